/** @odoo-module ignore **/
/* The technician's phone app: today's jobs, one-tap steps, notes and photos.
 * Works offline: the jobs are cached, every action is queued in IndexedDB with
 * its own id and replayed through one sync route, which applies each id once.
 */
(function () {
    "use strict";

    const SYNC_URL = "/aftersales/technician/sync";
    const ORDERS_URL = "/my/technician/orders.json";
    const CACHE_KEY = "aftersales_tech_orders";
    const STEP_LABELS = {
        start_travel: "On my way",
        start: "Start work",
        request_approval: "Ask approval",
        done: "Complete",
    };
    const NEXT_STATE = {
        approval: ["awaiting_approval", "Awaiting Approval"],
        start_travel: ["on_the_way", "On the Way"],
        start: ["in_progress", "In Progress"],
        request_approval: ["awaiting_approval", "Awaiting Approval"],
        done: ["done", "Done"],
    };
    const STEPS_FROM = {
        on_the_way: ["start"],
        in_progress: ["request_approval", "done"],
        awaiting_approval: ["done"],
        done: [],
    };

    // ------------------------------------------------------------------
    // Queue (IndexedDB)
    // ------------------------------------------------------------------

    // Refusals of a whole batch that come from one of its actions (not from
    // the session): that action would be refused again at every replay.
    const ACTION_REFUSALS = ["bad_json", "bad_payload", "not_your_order", "too_large"];
    // The server takes at most this many actions per sync.
    const MAX_BATCH = 100;

    let dbPromise = null;

    function openDb() {
        if (!dbPromise) {
            dbPromise = new Promise((resolve, reject) => {
                // Version 2: actions the server refused for what they are are
                // parked aside (kept, never replayed).
                const request = indexedDB.open("aftersales-technician", 2);
                request.onupgradeneeded = () => {
                    for (const name of ["queue", "parked"]) {
                        if (!request.result.objectStoreNames.contains(name)) {
                            request.result.createObjectStore(name, { keyPath: "id" });
                        }
                    }
                };
                request.onsuccess = () => {
                    // A newer page upgrading the database: let it.
                    request.result.onversionchange = () => {
                        request.result.close();
                        dbPromise = null;
                    };
                    resolve(request.result);
                };
                request.onerror = () => {
                    dbPromise = null;
                    reject(request.error);
                };
            });
        }
        return dbPromise;
    }

    async function queueOp(mode, fn, stores = "queue") {
        const db = await openDb();
        return new Promise((resolve, reject) => {
            const tx = db.transaction(stores, mode);
            const result = fn(tx.objectStore("queue"), tx);
            tx.oncomplete = () => resolve(result && result.result);
            tx.onerror = () => reject(tx.error);
        });
    }

    const queue = {
        add: (action) => queueOp("readwrite", (store) => store.put(action)),
        all: () => queueOp("readonly", (store) => store.getAll()),
        remove: (ids) =>
            queueOp("readwrite", (store) => ids.forEach((id) => store.delete(id))),
        park: (action, reason) =>
            queueOp(
                "readwrite",
                (store, tx) => {
                    store.delete(action.id);
                    tx.objectStore("parked").put({
                        ...action,
                        reason,
                        parked_at: new Date().toISOString(),
                    });
                },
                ["queue", "parked"]
            ),
    };

    function newId() {
        if (window.crypto && crypto.randomUUID) {
            return crypto.randomUUID();
        }
        return "id-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
    }

    // ------------------------------------------------------------------
    // App
    // ------------------------------------------------------------------

    class TechnicianApp {
        constructor(root) {
            this.root = root;
            this.body = root.querySelector(".o_as_body");
            this.status = root.querySelector(".o_as_sync_status");
            this.csrf = root.dataset.csrf;
            this.orders = [];
            this.current = null;
            this.conflicts = [];
            this.syncing = false;
        }

        async start() {
            window.addEventListener("online", () => this.flush());
            setInterval(() => this.flush(), 30000);
            await this.loadOrders();
            await this.flush();
        }

        async loadOrders() {
            try {
                const response = await fetch(ORDERS_URL, { credentials: "same-origin" });
                if (!response.ok) {
                    throw new Error(response.status);
                }
                const data = await response.json();
                this.orders = data.orders;
                localStorage.setItem(CACHE_KEY, JSON.stringify(this.orders));
            } catch {
                this.orders = JSON.parse(localStorage.getItem(CACHE_KEY) || "[]");
            }
            if (this.current) {
                // The fresh copy, or back to the list once the job is closed.
                this.current = this.order(this.current.id) || null;
            }
            this.render();
        }

        order(id) {
            return this.orders.find((order) => order.id === id);
        }

        async act(kind, data = {}) {
            const order = this.current;
            this.setStatus("Syncing…", "info");
            await queue.add({
                // Replayed in the order done: IndexedDB returns them by id.
                seq: Date.now() * 1000 + (this.seq = ((this.seq || 0) + 1) % 1000),
                id: newId(),
                order_id: order.id,
                kind,
                at: new Date().toISOString(),
                data,
            });
            if (NEXT_STATE[kind]) {
                // Shown at once; the server's answer corrects it if refused.
                [order.state, order.state_label] = NEXT_STATE[kind];
                order.steps = STEPS_FROM[order.state] || [];
            }
            localStorage.setItem(CACHE_KEY, JSON.stringify(this.orders));
            this.render();
            await this.flush();
        }

        async flush() {
            if (this.syncing) {
                // Actions queued during a sync go in the next one, at once.
                this.flushAgain = true;
                return;
            }
            this.flushAgain = false;
            const pending = (await queue.all()).sort((a, b) => a.seq - b.seq);
            if (!pending.length) {
                this.setStatus("All synced", "success");
                return;
            }
            this.syncing = true;
            try {
                const refusal = await this.replay(pending.slice(0, MAX_BATCH));
                if (refusal) {
                    // Refused for the session (e.g. logged out): keep it all,
                    // say so, do not loop.
                    this.flushAgain = false;
                    this.setStatus(
                        `Sync refused: ${refusal.message || refusal.error}`,
                        "danger"
                    );
                } else {
                    this.flushAgain = this.flushAgain || pending.length > MAX_BATCH;
                    await this.loadOrders();
                    const last = this.conflicts[this.conflicts.length - 1];
                    this.setStatus(
                        last
                            ? `${this.conflicts.length} not applied: ${last.message}`
                            : "All synced",
                        last ? "danger" : "success"
                    );
                }
            } catch {
                this.flushAgain = false;
                const waiting = (await queue.all()).length;
                this.setStatus(`Offline: ${waiting} waiting`, "warning");
            } finally {
                this.syncing = false;
            }
            if (this.flushAgain) {
                await this.flush();
            }
        }

        /**
         * Send ``actions`` in order. The server answers each (applied or
         * conflict, removed from the queue either way), or refuses the whole
         * batch: when that comes from one of its actions, find it by sending
         * them one at a time and park it, so that one bad action never blocks
         * the queue. Returns the refusal that is not about an action, if any.
         */
        async replay(actions) {
            const response = await fetch(SYNC_URL, {
                method: "POST",
                credentials: "same-origin",
                headers: {
                    "Content-Type": "application/json",
                    "X-CSRF-Token": this.csrf,
                },
                body: JSON.stringify({ actions }),
            });
            const data = await response.json();
            if (response.status === 200) {
                await queue.remove(data.results.map((result) => result.id));
                this.conflicts = this.conflicts.concat(
                    data.results.filter((result) => result.state === "conflict")
                );
                return null;
            }
            if (!ACTION_REFUSALS.includes(data.error)) {
                return data;
            }
            if (actions.length === 1) {
                const message = data.message || data.error;
                await queue.park(actions[0], message);
                this.conflicts.push({ id: actions[0].id, state: "refused", message });
                return null;
            }
            for (const action of actions) {
                const refusal = await this.replay([action]);
                if (refusal) {
                    return refusal;
                }
            }
            return null;
        }

        setStatus(text, tone) {
            this.status.textContent = text;
            this.status.className = `o_as_sync_status badge text-bg-${tone}`;
        }

        // --------------------------------------------------------------
        // Rendering
        // --------------------------------------------------------------

        el(tag, attrs = {}, children = []) {
            const node = document.createElement(tag);
            for (const [key, value] of Object.entries(attrs)) {
                if (key === "onclick" || key === "onchange") {
                    node.addEventListener(key.slice(2), value);
                } else if (key === "text") {
                    node.textContent = value;
                } else {
                    node.setAttribute(key, value);
                }
            }
            for (const child of children) {
                node.append(child);
            }
            return node;
        }

        render() {
            this.body.replaceChildren(
                this.current ? this.renderOrder(this.current) : this.renderList()
            );
        }

        renderList() {
            if (!this.orders.length) {
                return this.el("p", { class: "text-muted", text: "No job for now." });
            }
            return this.el(
                "div",
                { class: "o_as_list" },
                this.orders.map((order) =>
                    this.el(
                        "a",
                        {
                            class: "o_as_card o_as_order d-block text-reset text-decoration-none",
                            href: "#",
                            "data-order-id": order.id,
                            onclick: (ev) => {
                                ev.preventDefault();
                                this.current = order;
                                this.render();
                            },
                        },
                        [
                            this.el("div", { class: "d-flex justify-content-between" }, [
                                this.el("strong", { text: order.product }),
                                this.el("span", {
                                    class: "badge text-bg-secondary o_as_state",
                                    text: order.state_label,
                                }),
                            ]),
                            this.el("div", { text: `${order.customer} · ${order.schedule_text}` }),
                            this.el("div", { class: "text-muted small", text: order.address }),
                        ]
                    )
                )
            );
        }

        renderOrder(order) {
            const note = this.el("textarea", {
                class: "form-control mb-2 o_as_note",
                rows: "2",
                placeholder: "Work done",
            });
            const photo = this.el("input", {
                class: "form-control mb-2 o_as_photo",
                type: "file",
                accept: "image/*",
                capture: "environment",
                onchange: () => this.sendPhoto(photo),
            });
            return this.el("div", { class: "o_as_order_detail" }, [
                this.el("a", {
                    href: "#",
                    class: "o_as_back d-inline-block mb-2",
                    text: "‹ All jobs",
                    onclick: (ev) => {
                        ev.preventDefault();
                        this.current = null;
                        this.render();
                    },
                }),
                this.el("div", { class: "o_as_card" }, [
                    this.el("h2", { class: "h5", text: `${order.name} · ${order.product}` }),
                    this.el("div", {
                        class: "badge text-bg-primary o_as_state mb-2",
                        text: order.state_label,
                    }),
                    this.el("div", { text: `${order.service} · S/N ${order.serial}` }),
                    this.el("div", { text: order.customer }),
                    this.el("div", { class: "d-flex gap-2 my-2" }, [
                        this.el("a", { class: "btn btn-outline-primary", href: order.map_url, target: "_blank", text: "Map" }),
                        this.el("a", { class: "btn btn-outline-primary", href: `tel:${order.phone}`, text: "Call" }),
                        this.el("a", { class: "btn btn-outline-primary", href: `sms:${order.phone}`, text: "SMS" }),
                    ]),
                    this.el("div", { class: "text-muted small", text: order.address }),
                    this.el("p", { class: "small mt-2", text: order.description }),
                ]),
                this.el(
                    "div",
                    { class: "o_as_steps d-grid gap-2 mb-3" },
                    order.steps.map((step) =>
                        this.el("button", {
                            class: "btn btn-primary",
                            "data-step": step,
                            text: STEP_LABELS[step],
                            onclick: () => this.act(step),
                        })
                    )
                ),
                note,
                this.el("button", {
                    class: "btn btn-secondary mb-3 o_as_save_note",
                    text: "Save note",
                    onclick: () => {
                        if (note.value.trim()) {
                            this.act("worklog", { work_done: note.value.trim() });
                        }
                    },
                }),
                this.el("label", { class: "form-label", text: "Photo" }),
                photo,
                ...this.renderParts(order),
                ...this.renderApproval(order),
            ]);
        }

        renderParts(order) {
            if (!order.parts || !order.parts.length) {
                return [];
            }
            const select = this.el(
                "select",
                { class: "form-control mb-2 o_as_part" },
                order.parts.map((part) => this.el("option", { value: part.id, text: part.name }))
            );
            const quantity = this.el("input", {
                class: "form-control mb-2 o_as_part_qty",
                type: "number",
                min: "1",
                value: "1",
            });
            return [
                this.el("label", { class: "form-label mt-2", text: "Part used" }),
                select,
                quantity,
                this.el("button", {
                    class: "btn btn-secondary mb-3 o_as_add_part",
                    text: "Add part",
                    onclick: () =>
                        this.act("part", {
                            product_id: parseInt(select.value, 10),
                            quantity: Math.max(1, parseFloat(quantity.value) || 1),
                        }),
                }),
            ];
        }

        renderApproval(order) {
            if (!order.awaiting_customer) {
                return [];
            }
            const name = this.el("input", {
                class: "form-control mb-2 o_as_signed_by",
                placeholder: "Customer's name",
            });
            const feedback = this.el("textarea", {
                class: "form-control mb-2 o_as_feedback",
                rows: "2",
                placeholder: "Customer's comment (required to reject)",
            });
            const canvas = this.el("canvas", {
                class: "o_as_signature",
                width: "320",
                height: "120",
                style: "border: 1px dashed #adb5bd; border-radius: 0.375rem; touch-action: none; max-width: 100%;",
            });
            let drawn = false;
            const context = canvas.getContext("2d");
            canvas.addEventListener("pointerdown", (ev) => {
                drawn = true;
                context.beginPath();
                context.moveTo(ev.offsetX, ev.offsetY);
                canvas.onpointermove = (move) => {
                    context.lineTo(move.offsetX, move.offsetY);
                    context.stroke();
                };
            });
            canvas.addEventListener("pointerup", () => (canvas.onpointermove = null));
            const decide = (decision) =>
                this.act("approval", {
                    decision,
                    feedback: feedback.value.trim(),
                    signed_by: name.value.trim(),
                    signature: drawn ? canvas.toDataURL("image/png").split(",")[1] : "",
                });
            return [
                this.el("div", { class: "o_as_card o_as_approval mt-2" }, [
                    this.el("h2", { class: "h5", text: "Customer's decision" }),
                    // Recorded as an on-site decision in the technician's name
                    // (channel "onsite"), never as the customer's own channel.
                    this.el("div", {
                        class: "small text-muted mb-2 o_as_onsite_note",
                        text: "The customer decides here, on your phone; it is recorded as an on-site decision, in your name.",
                    }),
                    name,
                    feedback,
                    this.el("div", { class: "small text-muted", text: "Signature (optional)" }),
                    canvas,
                    this.el("div", { class: "d-flex gap-2 mt-2" }, [
                        this.el("button", {
                            class: "btn btn-primary o_as_approve",
                            text: "Customer approves",
                            onclick: () => decide("approved"),
                        }),
                        this.el("button", {
                            class: "btn btn-outline-primary o_as_reject",
                            text: "Customer rejects",
                            onclick: () => {
                                if (feedback.value.trim()) {
                                    decide("rejected");
                                } else {
                                    feedback.focus();
                                }
                            },
                        }),
                    ]),
                ]),
            ];
        }

        sendPhoto(input) {
            const file = input.files[0];
            if (!file) {
                return;
            }
            const reader = new FileReader();
            reader.onload = () => {
                const content = String(reader.result).split(",")[1];
                this.act("photo", { name: file.name, content, kind: "work" });
            };
            reader.readAsDataURL(file);
        }
    }

    function boot() {
        const root = document.getElementById("o_aftersales_tech");
        if (!root) {
            return;
        }
        window.aftersalesTechnicianApp = new TechnicianApp(root);
        window.aftersalesTechnicianApp.start();
        if ("serviceWorker" in navigator) {
            navigator.serviceWorker.register("/my/technician/sw.js", { scope: "/my/technician" }).catch(() => {});
        }
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", boot);
    } else {
        boot();
    }
})();

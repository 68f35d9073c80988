/** @odoo-module ignore **/
/* The technician's phone app: today's jobs, one-tap steps, notes and photos.
 * Works offline: the jobs are cached, every action is queued in IndexedDB with
 * its own id and replayed through one sync route, which applies each id once.
 */
(function () {
    "use strict";

    const SYNC_URL = "/aftersales/technician/sync";
    const ORDERS_URL = "/my/technician/orders.json";
    const APP_URL = "/my/technician";
    const CACHE_KEY = "aftersales_tech_orders";
    // The knowledge articles of the products of the jobs, kept for offline.
    const ARTICLES_URL = "/my/technician/articles.json";
    const ARTICLES_KEY = "aftersales_tech_articles";

    // Every text comes from the page, translated by Odoo in the technician's
    // language (aftersales.order._technician_app_labels): none is written here.
    const labelsNode = document.getElementById("o_aftersales_tech_labels");
    const L = labelsNode ? JSON.parse(labelsNode.textContent) : { states: {}, steps: {} };

    /** The label ``key`` with its %(name)s placeholders filled in. */
    function t(key, params = {}) {
        return String(L[key] || key).replace(/%\((\w+)\)s/g, (match, name) =>
            name in params ? String(params[name]) : match
        );
    }

    const numberFormat = new Intl.NumberFormat(document.documentElement.lang || undefined, {
        maximumFractionDigits: 2,
    });
    const num = (value) => numberFormat.format(value || 0);

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
            this.pending = [];
            this.flash = null;
            this.online = navigator.onLine;
            this.syncing = false;
        }

        async start() {
            window.addEventListener("online", () => this.flush());
            window.addEventListener("offline", () => {
                this.online = false;
                this.showQueueStatus();
            });
            // The phone's Back button goes back through the app's screens.
            window.addEventListener("popstate", (ev) => {
                const id = ev.state && ev.state.orderId;
                this.current = (id && this.order(id)) || null;
                this.render();
            });
            setInterval(() => this.flush(), 30000);
            const deepLink = parseInt(this.root.dataset.orderId, 10) || null;
            history.replaceState({ orderId: null }, "", APP_URL);
            this.pending = await queue.all();
            await this.loadOrders();
            await this.loadArticles();
            if (deepLink && this.order(deepLink)) {
                this.show(this.order(deepLink));
            }
            await this.flush();
        }

        async loadOrders(renderOffline = true) {
            try {
                const response = await fetch(ORDERS_URL, { credentials: "same-origin" });
                if (!response.ok) {
                    throw new Error(response.status);
                }
                const data = await response.json();
                this.orders = data.orders;
                this.online = true;
                localStorage.setItem(CACHE_KEY, JSON.stringify(this.orders));
            } catch {
                // A cached page answers offline: the list is the last one seen.
                this.online = false;
                if (!renderOffline && this.orders.length) {
                    // Still offline: leave the screen (and what is typed) alone.
                    return;
                }
                this.orders = JSON.parse(localStorage.getItem(CACHE_KEY) || "[]");
            }
            if (this.current) {
                // The fresh copy, or back to the list once the job is closed.
                this.current = this.order(this.current.id) || null;
                if (!this.current) {
                    history.replaceState({ orderId: null }, "", APP_URL);
                }
            }
            this.render();
        }

        order(id) {
            return this.orders.find((order) => order.id === id);
        }

        /** The articles of the jobs' products, fresh or as last cached. */
        async loadArticles() {
            try {
                const response = await fetch(ARTICLES_URL, { credentials: "same-origin" });
                if (!response.ok) {
                    throw new Error(response.status);
                }
                this.articles = (await response.json()).articles;
                localStorage.setItem(ARTICLES_KEY, JSON.stringify(this.articles));
            } catch {
                this.articles = JSON.parse(localStorage.getItem(ARTICLES_KEY) || "[]");
            }
        }

        /**
         * The articles matching ``query``: the server's best matches in the
         * whole knowledge base, or offline the cached articles holding every
         * word. Returns [articles, offline].
         */
        async searchArticles(query) {
            if (!query) {
                return [[], false];
            }
            try {
                const response = await fetch(`${ARTICLES_URL}?q=${encodeURIComponent(query)}`, {
                    credentials: "same-origin",
                });
                if (!response.ok) {
                    throw new Error(response.status);
                }
                return [(await response.json()).articles, false];
            } catch {
                const words = query.toLowerCase().split(/\s+/).filter(Boolean);
                const found = (this.articles || []).filter((article) => {
                    const text = `${article.name} ${article.body}`.toLowerCase();
                    return words.every((word) => text.includes(word));
                });
                return [found, true];
            }
        }

        /** Open a job (or the list, without ``order``) as a screen of its own. */
        show(order) {
            this.current = order || null;
            this.flash = null;
            history.pushState(
                { orderId: order ? order.id : null },
                "",
                order ? `${APP_URL}/job/${order.id}` : APP_URL
            );
            this.render();
            window.scrollTo(0, 0);
        }

        pendingOf(order, kind) {
            return this.pending.filter(
                (action) => action.order_id === order.id && action.kind === kind
            );
        }

        async act(kind, data = {}) {
            const order = this.current;
            this.setStatus(t("syncing"), "info");
            await queue.add({
                // Replayed in the order done: IndexedDB returns them by id.
                seq: Date.now() * 1000 + (this.seq = ((this.seq || 0) + 1) % 1000),
                id: newId(),
                order_id: order.id,
                order_name: order.name,
                kind,
                at: new Date().toISOString(),
                data,
            });
            this.pending = await queue.all();
            const target = (L.step_targets || {})[kind];
            if (target) {
                // Shown at once; the server's answer corrects it if refused.
                // The steps offered next are the ones the order's rules
                // accept from there, as the server computed them.
                order.state = target;
                order.state_label = L.states[target] || target;
                order.steps = (order.steps_by_state || {})[target] || [];
            }
            this.applyLocally(order, kind, data);
            localStorage.setItem(CACHE_KEY, JSON.stringify(this.orders));
            this.render();
            await this.flush();
        }

        /** Show a queued change of a part line before the server has it. */
        applyLocally(order, kind, data) {
            const lines = (order.parts && order.parts.lines) || [];
            const index = lines.findIndex((line) => line.id === data.part_id);
            if (index < 0) {
                return;
            }
            if (kind === "part_remove") {
                lines.splice(index, 1);
            } else if (kind === "part_update") {
                const line = lines[index];
                line.quantity = data.quantity || line.quantity;
                if (data.location_id) {
                    const location = order.parts.locations.find(
                        (loc) => loc.id === data.location_id
                    );
                    line.location_id = data.location_id;
                    line.location = location ? location.name : line.location;
                    const part = order.parts.catalogue.find((p) => p.id === line.product_id);
                    if (part && part.stock) {
                        line.available = part.stock[String(data.location_id)];
                    }
                }
                line.waiting = true;
            }
        }

        async showQueueStatus() {
            this.pending = await queue.all();
            const waiting = this.pending.length;
            if (this.online && !waiting) {
                this.setStatus(t("all_synced"), "success");
            } else if (!this.online) {
                this.setStatus(
                    waiting ? t("offline_waiting", { count: num(waiting) }) : t("offline"),
                    "warning"
                );
            }
        }

        async flush() {
            if (this.syncing) {
                // Actions queued during a sync go in the next one, at once.
                this.flushAgain = true;
                return;
            }
            this.flushAgain = false;
            const pending = (await queue.all()).sort((a, b) => a.seq - b.seq);
            this.pending = pending;
            if (!pending.length) {
                if (!this.online) {
                    // Nothing waiting, but nothing reached either: try again.
                    await this.loadOrders(false);
                }
                await this.showQueueStatus();
                return;
            }
            this.syncing = true;
            try {
                const refusal = await this.replay(pending.slice(0, MAX_BATCH));
                this.online = true;
                if (refusal) {
                    // Refused for the session (e.g. logged out): keep it all,
                    // say so, do not loop.
                    this.flushAgain = false;
                    this.setStatus(
                        t("sync_refused", { message: refusal.message || refusal.error }),
                        "danger"
                    );
                } else {
                    this.flushAgain = this.flushAgain || pending.length > MAX_BATCH;
                    this.pending = await queue.all();
                    await this.loadOrders();
                    const count = this.conflicts.length;
                    if (count) {
                        this.setStatus(t("not_applied", { count: num(count) }), "danger");
                    } else {
                        await this.showQueueStatus();
                    }
                }
            } catch {
                this.flushAgain = false;
                this.online = false;
                await this.showQueueStatus();
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
                const byId = Object.fromEntries(actions.map((action) => [action.id, action]));
                for (const result of data.results) {
                    const action = byId[result.id] || {};
                    if (result.state === "conflict") {
                        this.conflicts.push({ ...result, order_id: action.order_id });
                    } else {
                        this.confirm(action, result);
                    }
                }
                return null;
            }
            if (!ACTION_REFUSALS.includes(data.error)) {
                return data;
            }
            if (actions.length === 1) {
                const message = data.message || data.error;
                await queue.park(actions[0], message);
                this.conflicts.push({
                    id: actions[0].id,
                    order_id: actions[0].order_id,
                    state: "refused",
                    message,
                });
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

        /**
         * What the technician is told once a closing action is applied: the
         * server names the text per action and the state it left the order
         * in (L.notices); a decision the customer rejected says so.
         */
        confirm(action, result) {
            const notices = (L.notices || {})[action.kind];
            if (!notices) {
                return;
            }
            const notice =
                notices[result.order_state] ||
                ((action.data || {}).decision === "rejected" ? "rejected" : null);
            if (notice) {
                this.flash = t(notice, { order: action.order_name || "" });
            }
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
                if (key === "onclick" || key === "onchange" || key === "oninput") {
                    node.addEventListener(key.slice(2), value);
                } else if (key === "text") {
                    node.textContent = value;
                } else if (value !== false && value !== null && value !== undefined) {
                    node.setAttribute(key, value);
                }
            }
            for (const child of children) {
                if (child) {
                    node.append(child);
                }
            }
            return node;
        }

        render() {
            this.body.replaceChildren(
                ...this.renderMessages(),
                this.current ? this.renderOrder(this.current) : this.renderList()
            );
        }

        /** The confirmation of a closing action, and what was not applied. */
        renderMessages() {
            const nodes = [];
            if (this.flash) {
                nodes.push(
                    this.el("div", { class: "o_as_alert o_as_alert_success o_as_flash", role: "status" }, [
                        this.el("span", { text: this.flash }),
                        this.el("button", {
                            class: "btn btn-link o_as_close",
                            text: t("close"),
                            onclick: () => {
                                this.flash = null;
                                this.render();
                            },
                        }),
                    ])
                );
            }
            const conflicts = this.conflicts.filter(
                (conflict) => !this.current || conflict.order_id === this.current.id
            );
            if (conflicts.length) {
                nodes.push(
                    this.el("div", { class: "o_as_alert o_as_alert_danger o_as_conflicts", role: "alert" }, [
                        ...conflicts.map((conflict) =>
                            this.el("div", { class: "o_as_conflict", text: conflict.message })
                        ),
                        this.el("button", {
                            class: "btn btn-link o_as_close",
                            text: t("close"),
                            onclick: () => {
                                this.conflicts = this.conflicts.filter((c) => !conflicts.includes(c));
                                this.render();
                                this.showQueueStatus();
                            },
                        }),
                    ])
                );
            }
            return nodes;
        }

        /** The search box of the knowledge base, above the job list. */
        renderArticles() {
            const input = this.el("input", {
                class: "form-control mb-2 o_as_article_search",
                type: "search",
                placeholder: t("search_articles"),
                "aria-label": t("search_articles"),
                value: this.articleQuery || "",
            });
            const results = this.el("ul", { class: "o_as_articles o_as_plain" });
            const run = async () => {
                const query = (this.articleQuery || "").trim();
                const [articles, offline] = await this.searchArticles(query);
                if (query !== (this.articleQuery || "").trim()) {
                    return;
                }
                const items = articles.map((article) =>
                    this.el("li", { class: "o_as_article", "data-article-id": article.id }, [
                        this.el("details", {}, [
                            this.el("summary", { class: "fw-bold", text: article.name }),
                            this.el("div", { class: "o_as_pre small", text: article.body }),
                        ]),
                    ])
                );
                if (query && !items.length) {
                    items.push(this.el("li", { class: "text-muted small o_as_no_article", text: t("no_article") }));
                }
                if (query && offline) {
                    items.unshift(this.el("li", { class: "text-muted small", text: t("articles_offline") }));
                }
                results.replaceChildren(...items);
            };
            let timer = null;
            input.addEventListener("input", () => {
                this.articleQuery = input.value;
                clearTimeout(timer);
                timer = setTimeout(run, 300);
            });
            if (this.articleQuery) {
                run();
            }
            return this.el("section", { class: "o_as_card o_as_kb mb-3" }, [
                this.el("h2", { class: "h6", text: t("articles") }),
                input,
                results,
            ]);
        }

        renderList() {
            const kb = this.renderArticles();
            if (!this.orders.length) {
                return this.el("div", {}, [
                    kb,
                    this.el("p", { class: "text-muted o_as_empty", text: t("no_job") }),
                ]);
            }
            return this.el(
                "div",
                { class: "o_as_list" },
                [kb, ...this.orders.map((order) =>
                    this.el(
                        "a",
                        {
                            class: "o_as_card o_as_order d-block text-reset text-decoration-none",
                            href: `${APP_URL}/job/${order.id}`,
                            "data-order-id": order.id,
                            onclick: (ev) => {
                                ev.preventDefault();
                                this.show(order);
                            },
                        },
                        [
                            this.el("div", { class: "d-flex justify-content-between" }, [
                                this.el("strong", {}, [this.el("bdi", { text: order.product })]),
                                this.el("span", {
                                    class: "badge text-bg-secondary o_as_state",
                                    text: order.state_label,
                                }),
                            ]),
                            this.el("div", {}, [
                                this.el("bdi", { text: order.customer }),
                                order.schedule_text ? " · " : null,
                                order.schedule_text
                                    ? this.el("bdi", { class: "o_as_schedule", text: order.schedule_text })
                                    : null,
                            ]),
                            this.el("div", { class: "text-muted small", text: order.address }),
                        ]
                    )
                )]
            );
        }

        renderOrder(order) {
            const working = !order.waiting_center;
            return this.el("div", { class: "o_as_order_detail" }, [
                this.el(
                    "a",
                    {
                        href: APP_URL,
                        class: "o_as_back d-inline-block mb-2",
                        onclick: (ev) => {
                            ev.preventDefault();
                            // As the phone's Back button would.
                            if (history.state && history.state.orderId) {
                                history.back();
                            } else {
                                this.show(null);
                            }
                        },
                    },
                    [
                        this.el("span", { class: "o_as_back_arrow", "aria-hidden": "true", text: "‹" }),
                        this.el("span", { text: t("all_jobs") }),
                    ]
                ),
                this.el("div", { class: "o_as_card" }, [
                    // Each part isolated: a Latin reference beside a Persian
                    // product name keeps its reading order.
                    this.el("h2", { class: "h5" }, [
                        this.el("bdi", { text: order.name }),
                        " · ",
                        this.el("bdi", { text: order.product }),
                    ]),
                    this.el("div", {
                        class: "badge text-bg-primary o_as_state mb-2",
                        text: order.state_label,
                    }),
                    this.el("div", {
                        text: [order.service, order.serial && t("serial", { serial: order.serial })]
                            .filter(Boolean)
                            .join(" · "),
                    }),
                    this.el("div", { text: order.customer }),
                    order.schedule_text
                        ? this.el("div", { class: "o_as_schedule", text: order.schedule_text })
                        : null,
                    this.el("div", { class: "d-flex gap-2 my-2" }, [
                        this.el("a", { class: "btn btn-outline-primary", href: order.map_url, target: "_blank", text: t("map") }),
                        this.el("a", { class: "btn btn-outline-primary", href: `tel:${order.phone}`, text: t("call") }),
                        this.el("a", { class: "btn btn-outline-primary", href: `sms:${order.phone}`, text: t("sms") }),
                    ]),
                    this.el("div", { class: "text-muted small", text: order.address }),
                    this.el("p", { class: "small mt-2", text: order.description }),
                ]),
                order.waiting_center
                    ? this.el("div", {
                          class: "o_as_alert o_as_alert_info o_as_waiting_center",
                          text: t("waiting_center"),
                      })
                    : null,
                ...(working ? this.renderSteps(order) : []),
                ...(working ? this.renderNotes(order) : []),
                ...(working ? this.renderPhotos(order) : []),
                ...(working ? this.renderParts(order) : []),
                ...this.renderApproval(order),
            ]);
        }

        shortLines(order) {
            const lines = (order.parts && order.parts.lines) || [];
            return lines.filter(
                (line) => line.editable && line.available !== null && line.available < line.quantity
            );
        }

        renderSteps(order) {
            const short = this.shortLines(order).length > 0;
            // The steps that take the parts out of stock, as the server says.
            const blocked = (step) => short && (L.stock_steps || []).includes(step);
            return [
                short
                    ? this.el("div", { class: "o_as_alert o_as_alert_warning o_as_parts_short", text: t("parts_short") })
                    : null,
                this.el(
                    "div",
                    { class: "o_as_steps d-grid gap-2 mb-3" },
                    (order.steps || []).map((step) =>
                        this.el("button", {
                            class: "btn btn-primary",
                            "data-step": step,
                            disabled: blocked(step) ? "disabled" : false,
                            text: L.steps[step] || step,
                            onclick: () => this.act(step),
                        })
                    )
                ),
            ];
        }

        renderNotes(order) {
            const note = this.el("textarea", {
                class: "form-control mb-2 o_as_note",
                rows: "2",
                placeholder: t("note_placeholder"),
            });
            const saved = (order.notes || []).map((log) =>
                this.el("li", { class: "o_as_saved_note" }, [
                    this.el("div", { class: "o_as_pre", text: log.text }),
                    this.el("div", { class: "text-muted small", text: log.date }),
                ])
            );
            const waiting = this.pendingOf(order, "worklog").map((action) =>
                this.el("li", { class: "o_as_saved_note o_as_waiting" }, [
                    this.el("div", { class: "o_as_pre", text: action.data.work_done }),
                    this.el("span", { class: "badge text-bg-warning", text: t("waiting") }),
                ])
            );
            return [
                saved.length || waiting.length
                    ? this.el("h3", { class: "h6", text: t("notes") })
                    : null,
                saved.length || waiting.length
                    ? this.el("ul", { class: "o_as_notes o_as_plain" }, [...saved, ...waiting])
                    : null,
                note,
                this.el("button", {
                    class: "btn btn-secondary mb-3 o_as_save_note",
                    text: t("save_note"),
                    onclick: () => {
                        if (note.value.trim()) {
                            this.act("worklog", { work_done: note.value.trim() });
                        }
                    },
                }),
            ];
        }

        renderPhotos(order) {
            const kinds = L.photo_kinds || [];
            const kind = this.el(
                "select",
                { class: "form-control mb-2 o_as_photo_kind", "aria-label": t("photo_kind") },
                kinds.map(([value, label]) =>
                    this.el("option", { value, text: label, selected: value === (this.photoKind || "work") ? "selected" : false })
                )
            );
            kind.addEventListener("change", () => (this.photoKind = kind.value));
            const photo = this.el("input", {
                class: "form-control mb-2 o_as_photo",
                type: "file",
                accept: "image/*",
                capture: "environment",
                onchange: () => this.sendPhoto(photo, kind.value),
            });
            const kindLabel = Object.fromEntries(kinds);
            const thumbs = [
                ...(order.photos || []).map((p) =>
                    this.el("figure", { class: "o_as_thumb o_as_saved_photo" }, [
                        this.el("img", { src: p.url, alt: p.name, loading: "lazy" }),
                        this.el("figcaption", { class: "small", text: p.kind_label }),
                    ])
                ),
                ...this.pendingOf(order, "photo").map((action) =>
                    this.el("figure", { class: "o_as_thumb o_as_saved_photo o_as_waiting" }, [
                        this.el("img", { src: `data:${action.data.type || "image/png"};base64,${action.data.content}`, alt: action.data.name }),
                        this.el("figcaption", { class: "small" }, [
                            this.el("span", { text: `${kindLabel[action.data.kind] || ""} ` }),
                            this.el("span", { class: "badge text-bg-warning", text: t("waiting") }),
                        ]),
                    ])
                ),
            ];
            return [
                thumbs.length ? this.el("h3", { class: "h6", text: t("photos") }) : null,
                thumbs.length ? this.el("div", { class: "o_as_photos d-flex gap-2 mb-2" }, thumbs) : null,
                this.el("label", { class: "form-label", text: t("photo") }),
                kind,
                photo,
            ];
        }

        locationSelect(parts, selected, cls, current = null) {
            // A place the center chose that the app does not offer stays
            // selected, so that saving the quantity does not move the part.
            const locations =
                current && !parts.locations.some((loc) => loc.id === current.id)
                    ? [current, ...parts.locations]
                    : parts.locations;
            return this.el(
                "select",
                { class: `form-control ${cls}`, "aria-label": t("taken_from") },
                locations.map((loc) =>
                    this.el("option", {
                        value: loc.id,
                        text: loc.name,
                        selected: loc.id === selected ? "selected" : false,
                    })
                )
            );
        }

        stockText(product, locationId) {
            const parts = this.current.parts;
            const location = parts.locations.find((loc) => loc.id === locationId);
            const available = product && product.stock ? product.stock[String(locationId)] : null;
            if (available === null || available === undefined || !location) {
                return "";
            }
            return t("in_stock", { quantity: num(available), location: location.name });
        }

        renderParts(order) {
            const parts = order.parts || { catalogue: [], lines: [], locations: [] };
            const nodes = [];
            const lines = (parts.lines || []).map((line) => this.renderPartLine(order, line));
            const waiting = this.pendingOf(order, "part").map((action) => {
                const product = parts.catalogue.find((p) => p.id === action.data.product_id);
                const location = parts.locations.find((loc) => loc.id === action.data.location_id);
                return this.el("li", { class: "o_as_part_line o_as_waiting" }, [
                    this.el("span", {
                        text: `${product ? product.name : ""} × ${num(action.data.quantity)}${location ? ` · ${location.name}` : ""} `,
                    }),
                    this.el("span", { class: "badge text-bg-warning", text: t("waiting") }),
                ]);
            });
            if (lines.length || waiting.length) {
                nodes.push(
                    this.el("h3", { class: "h6 mt-2", text: t("parts") }),
                    this.el("ul", { class: "o_as_parts o_as_plain" }, [...lines, ...waiting])
                );
            }
            if (!parts.catalogue.length) {
                return nodes;
            }
            const select = this.el(
                "select",
                { class: "form-control mb-2 o_as_part" },
                [
                    // No part chosen until the technician chooses one.
                    this.el("option", { value: "", text: t("choose_part"), selected: "selected" }),
                    ...parts.catalogue.map((part) =>
                        this.el("option", { value: part.id, text: part.name })
                    ),
                ]
            );
            const location = this.locationSelect(parts, parts.locations.length ? parts.locations[0].id : null, "mb-2 o_as_part_location");
            const quantity = this.el("input", {
                class: "form-control mb-2 o_as_part_qty",
                type: "number",
                min: "1",
                value: "1",
                "aria-label": t("quantity"),
            });
            const stock = this.el("div", { class: "small mb-2 o_as_part_stock" });
            const add = this.el("button", {
                class: "btn btn-secondary mb-3 o_as_add_part",
                text: t("add_part"),
                disabled: "disabled",
                onclick: () => {
                    if (!select.value) {
                        return;
                    }
                    this.act("part", {
                        product_id: parseInt(select.value, 10),
                        location_id: parseInt(location.value, 10) || undefined,
                        quantity: Math.max(1, parseFloat(quantity.value) || 1),
                    });
                },
            });
            const refresh = () => {
                const product = parts.catalogue.find((p) => String(p.id) === select.value);
                add.disabled = !product;
                stock.replaceChildren();
                stock.className = "small mb-2 o_as_part_stock";
                if (!product) {
                    return;
                }
                const locationId = parseInt(location.value, 10);
                const available = product.stock ? product.stock[String(locationId)] : null;
                const wanted = Math.max(1, parseFloat(quantity.value) || 1);
                if (available !== null && available !== undefined && available < wanted) {
                    const loc = parts.locations.find((l) => l.id === locationId);
                    stock.classList.add("o_as_text_danger");
                    stock.textContent = t("not_in_stock", {
                        available: num(Math.max(available, 0)),
                        part: product.name,
                        location: loc ? loc.name : "",
                    });
                } else {
                    stock.textContent = this.stockText(product, locationId);
                }
            };
            select.addEventListener("change", refresh);
            location.addEventListener("change", refresh);
            quantity.addEventListener("input", refresh);
            nodes.push(
                this.el("label", { class: "form-label mt-2", text: t("part_used") }),
                select,
                parts.locations.length ? this.el("label", { class: "form-label small", text: t("taken_from") }) : null,
                parts.locations.length ? location : null,
                quantity,
                stock,
                add
            );
            return nodes;
        }

        renderPartLine(order, line) {
            const parts = order.parts;
            const short = line.available !== null && line.available < line.quantity;
            const info = this.el("div", { class: short ? "small o_as_text_danger" : "small text-muted" }, [
                this.el("span", {
                    class: "o_as_part_stock_line",
                    text:
                        line.available === null
                            ? line.location
                            : t("in_stock", { quantity: num(Math.max(line.available, 0)), location: line.location }),
                }),
                line.waiting ? this.el("span", { class: "badge text-bg-warning ms-1", text: t("waiting") }) : null,
            ]);
            if (!line.editable) {
                return this.el("li", { class: "o_as_part_line", "data-part-id": line.id }, [
                    this.el("strong", {}, [this.el("bdi", { text: line.product }), ` × ${num(line.quantity)}`]),
                    info,
                ]);
            }
            const quantity = this.el("input", {
                class: "form-control o_as_line_qty",
                type: "number",
                min: "1",
                value: String(line.quantity),
                "aria-label": t("quantity"),
            });
            const location = this.locationSelect(
                parts,
                line.location_id,
                "o_as_line_location",
                line.location_id ? { id: line.location_id, name: line.location } : null
            );
            return this.el("li", { class: "o_as_part_line o_as_card", "data-part-id": line.id }, [
                this.el("strong", { class: "o_as_line_name" }, [this.el("bdi", { text: line.product }), ` × ${num(line.quantity)}`]),
                info,
                this.el("div", { class: "d-flex gap-2 my-2" }, [quantity, location]),
                this.el("div", { class: "d-flex gap-2" }, [
                    this.el("button", {
                        class: "btn btn-outline-primary o_as_line_save",
                        text: t("save"),
                        onclick: () => {
                            const data = { part_id: line.id };
                            const qty = parseFloat(quantity.value);
                            if (qty > 0 && qty !== line.quantity) {
                                data.quantity = qty;
                            }
                            const loc = parseInt(location.value, 10);
                            if (loc && loc !== line.location_id) {
                                data.location_id = loc;
                            }
                            if (data.quantity || data.location_id) {
                                this.act("part_update", data);
                            }
                        },
                    }),
                    this.el("button", {
                        class: "btn btn-outline-danger o_as_line_remove",
                        text: t("remove"),
                        onclick: () => this.act("part_remove", { part_id: line.id }),
                    }),
                ]),
            ]);
        }

        renderApproval(order) {
            if (!order.awaiting_customer) {
                return [];
            }
            const name = this.el("input", {
                class: "form-control mb-2 o_as_signed_by",
                placeholder: t("signed_by"),
            });
            const feedback = this.el("textarea", {
                class: "form-control mb-2 o_as_feedback",
                rows: "2",
                placeholder: t("feedback"),
            });
            const canvas = this.el("canvas", {
                class: "o_as_signature",
                width: "320",
                height: "120",
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
            // The same lines as the customer's approval page and portal.
            const summary = (order.approval_lines || []).length
                ? this.el("table", { class: "o_as_summary mb-2" }, [
                      this.el(
                          "tbody",
                          {},
                          order.approval_lines.map(([label, quantity, price]) =>
                              this.el("tr", {}, [
                                  this.el("td", { text: label }),
                                  this.el("td", { class: "text-end", text: quantity }),
                                  this.el("td", { class: "text-end", text: price }),
                              ])
                          )
                      ),
                  ])
                : null;
            return [
                this.el("div", { class: "o_as_card o_as_approval mt-2" }, [
                    this.el("h2", { class: "h5", text: t("decision") }),
                    summary ? this.el("h3", { class: "h6", text: t("summary") }) : null,
                    summary,
                    // Recorded as an on-site decision in the technician's name
                    // (channel "onsite"), never as the customer's own channel.
                    this.el("div", {
                        class: "small text-muted mb-2 o_as_onsite_note",
                        text: t("onsite_note"),
                    }),
                    name,
                    feedback,
                    this.el("div", { class: "small text-muted", text: t("signature") }),
                    canvas,
                    this.el("div", {}, [
                        this.el("button", {
                            class: "btn btn-link o_as_signature_clear",
                            text: t("clear"),
                            onclick: () => {
                                context.clearRect(0, 0, canvas.width, canvas.height);
                                drawn = false;
                            },
                        }),
                    ]),
                    this.el("div", { class: "d-flex gap-2 mt-2" }, [
                        this.el("button", {
                            class: "btn btn-primary o_as_approve",
                            text: t("approves"),
                            onclick: () => decide("approved"),
                        }),
                        this.el("button", {
                            class: "btn btn-outline-primary o_as_reject",
                            text: t("rejects"),
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

        sendPhoto(input, kind) {
            const file = input.files[0];
            if (!file) {
                return;
            }
            const reader = new FileReader();
            reader.onload = () => {
                const content = String(reader.result).split(",")[1];
                this.act("photo", {
                    name: file.name,
                    type: file.type,
                    content,
                    kind: kind || "work",
                });
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

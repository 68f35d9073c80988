import { registry } from "@web/core/registry";

// A 1x1 PNG: the photo taken in the basement.
const PHOTO_PNG =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

function blockSync() {
    // No signal: the sync route cannot be reached.
    window.__aftersalesRealFetch = window.fetch;
    window.fetch = (url, ...args) =>
        String(url).includes("/aftersales/technician/sync")
            ? Promise.reject(new TypeError("Failed to fetch"))
            : window.__aftersalesRealFetch(url, ...args);
}

function restoreSync() {
    window.fetch = window.__aftersalesRealFetch;
    window.dispatchEvent(new Event("online"));
}

// A technician on a phone works a job from start to finish, with a stretch
// without signal in the middle.
registry.category("web_tour.tours").add("aftersales_technician_app_tour", {
    url: "/my/technician",
    steps: () => [
        {
            content: "Open the job",
            trigger: ".o_as_order:contains(Tour Offline Washer)",
            run: "click",
        },
        {
            content: "On my way (online)",
            trigger: ".o_as_steps button[data-step=start_travel]",
            run: "click",
        },
        {
            content: "Synced",
            trigger: ".o_as_sync_status:contains(All synced)",
        },
        {
            content: "In the basement: no signal",
            trigger: ".o_as_steps button[data-step=start]",
            run() {
                blockSync();
            },
        },
        {
            content: "Start the work (offline)",
            trigger: ".o_as_steps button[data-step=start]",
            run: "click",
        },
        {
            content: "Queued",
            trigger: ".o_as_sync_status:contains(Offline: 1 waiting)",
        },
        {
            content: "Write what was done",
            trigger: "textarea.o_as_note",
            run: "edit Replaced the drain pump",
        },
        {
            content: "Save the note (offline)",
            trigger: "button.o_as_save_note",
            run: "click",
        },
        {
            content: "Two queued",
            trigger: ".o_as_sync_status:contains(Offline: 2 waiting)",
        },
        {
            content: "Take a photo (offline)",
            trigger: "input.o_as_photo",
            run() {
                const bytes = Uint8Array.from(atob(PHOTO_PNG), (c) => c.charCodeAt(0));
                const transfer = new DataTransfer();
                transfer.items.add(new File([bytes], "pump.png", { type: "image/png" }));
                const input = document.querySelector("input.o_as_photo");
                input.files = transfer.files;
                input.dispatchEvent(new Event("change"));
            },
        },
        {
            content: "Three queued",
            trigger: ".o_as_sync_status:contains(Offline: 3 waiting)",
        },
        {
            content: "The signal is back",
            trigger: ".o_as_sync_status",
            run() {
                restoreSync();
            },
        },
        {
            content: "Everything synced",
            trigger: ".o_as_sync_status:contains(All synced)",
        },
        {
            content: "The server says the work is in progress",
            trigger: ".o_as_order_detail .o_as_state:contains(In Progress)",
        },
        {
            content: "Complete it",
            trigger: ".o_as_steps button[data-step=done]",
            run: "click",
        },
        {
            content: "Done and synced",
            trigger: ".o_as_sync_status:not(:contains(Syncing))",
            run() {
                const text = document.querySelector(".o_as_sync_status").textContent;
                if (!text.includes("All synced")) {
                    throw new Error(`Sync status: ${text}`);
                }
            },
        },
        {
            content: "The finished job left the list: nothing else to do today",
            trigger: ".o_as_body p:contains(No job for now)",
        },
    ],
});

// The customer approves the work on the technician's phone, and signs.
registry.category("web_tour.tours").add("aftersales_technician_app_approval_tour", {
    url: "/my/technician",
    steps: () => [
        {
            content: "Open the job awaiting the customer",
            trigger: ".o_as_order:contains(Tour Offline Washer)",
            run: "click",
        },
        {
            content: "The customer sees the work and its price before signing",
            trigger: ".o_as_approval table.o_as_summary td:contains(Tour Labour)",
        },
        {
            content: "A stroke by mistake",
            trigger: "canvas.o_as_signature",
            run() {
                const canvas = this.anchor;
                const box = canvas.getBoundingClientRect();
                const at = (x, y) => ({
                    bubbles: true,
                    clientX: box.left + x,
                    clientY: box.top + y,
                    pointerId: 1,
                });
                canvas.dispatchEvent(new PointerEvent("pointerdown", at(5, 5)));
                canvas.dispatchEvent(new PointerEvent("pointermove", at(60, 60)));
                canvas.dispatchEvent(new PointerEvent("pointerup", at(60, 60)));
            },
        },
        {
            content: "Clear the pad",
            trigger: "button.o_as_signature_clear",
            run: "click",
        },
        {
            content: "The pad is blank again",
            trigger: "canvas.o_as_signature",
            run() {
                const pixels = this.anchor
                    .getContext("2d")
                    .getImageData(0, 0, this.anchor.width, this.anchor.height).data;
                if (pixels.some((value) => value !== 0)) {
                    throw new Error("The signature pad was not cleared");
                }
            },
        },
        {
            content: "The customer gives a name",
            trigger: "input.o_as_signed_by",
            run: "edit Ayse Demir",
        },
        {
            content: "The customer signs",
            trigger: "canvas.o_as_signature",
            run() {
                const canvas = this.anchor;
                const box = canvas.getBoundingClientRect();
                const at = (x, y) => ({
                    bubbles: true,
                    clientX: box.left + x,
                    clientY: box.top + y,
                    pointerId: 1,
                });
                canvas.dispatchEvent(new PointerEvent("pointerdown", at(10, 10)));
                canvas.dispatchEvent(new PointerEvent("pointermove", at(80, 40)));
                canvas.dispatchEvent(new PointerEvent("pointerup", at(80, 40)));
            },
        },
        {
            content: "The customer approves",
            trigger: "button.o_as_approve",
            run: "click",
        },
        {
            content: "Recorded: the job is done and leaves the list, with a confirmation",
            trigger: ".o_as_flash:contains(completed)",
        },
        {
            content: "Nothing else to do",
            trigger: ".o_as_body p:contains(No job for now)",
        },
    ],
});

import { registry } from "@web/core/registry";

// A 1x1 PNG: the photo of the unit before the work.
const PHOTO_PNG =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

function assert(condition, message) {
    if (!condition) {
        throw new Error(message);
    }
}

// The technician records a part, a note and a photo and sees each back; the
// part is changed and removed in the app; the phone's Back button stays in
// the app; a job the center has not accepted says so.
registry.category("web_tour.tours").add("app_parts_tour", {
    url: "/my/technician",
    steps: () => [
        {
            content: "The job the center has not accepted yet",
            trigger: ".o_as_order:contains(Tour Waiting Dryer)",
            run: "click",
        },
        {
            content: "It says so, and offers no step",
            trigger: ".o_as_waiting_center",
            run() {
                assert(!document.querySelector(".o_as_steps button"), "a step is offered");
                assert(!document.querySelector(".o_as_note"), "work tools are offered");
            },
        },
        {
            content: "The phone's Back button",
            trigger: ".o_as_waiting_center",
            run() {
                history.back();
            },
        },
        {
            content: "Back in the job list, still in the app",
            trigger: ".o_as_list .o_as_order:contains(Tour Parts Washer)",
            run() {
                assert(location.pathname === "/my/technician", location.pathname);
            },
        },
        {
            content: "Open the job in progress",
            trigger: ".o_as_order:contains(Tour Parts Washer)",
            run: "click",
        },
        {
            content: "No part is chosen for the technician",
            trigger: "select.o_as_part",
            run() {
                assert(this.anchor.value === "", `part preselected: ${this.anchor.value}`);
                assert(document.querySelector("button.o_as_add_part").disabled, "add enabled");
                assert(location.pathname.startsWith("/my/technician/job/"), location.pathname);
            },
        },
        {
            content: "Choose the belt",
            trigger: "select.o_as_part",
            run: "selectByLabel Test Drive Belt",
        },
        {
            content: "The van has none: said before anything is asked",
            trigger: ".o_as_part_stock.o_as_text_danger:contains(Only 0)",
        },
        {
            content: "Take it from the center's stock",
            trigger: "select.o_as_part_location",
            run() {
                const select = this.anchor;
                select.selectedIndex = 1;
                select.dispatchEvent(new Event("change"));
            },
        },
        {
            content: "Its stock there is shown",
            trigger: ".o_as_part_stock:not(.o_as_text_danger):contains(5 in)",
        },
        {
            content: "Take it from the van after all (the center will refill it)",
            trigger: "select.o_as_part_location",
            run() {
                this.anchor.selectedIndex = 0;
                this.anchor.dispatchEvent(new Event("change"));
            },
        },
        {
            content: "Add it",
            trigger: "button.o_as_add_part:enabled",
            run: "click",
        },
        {
            content: "Listed back with where it comes from; the shortage is said before asking approval",
            trigger: ".o_as_parts_short",
            run() {
                assert(
                    document.querySelector(".o_as_steps button[data-step=request_approval]").disabled,
                    "Ask approval is offered with a part out of stock"
                );
                assert(
                    document.querySelector(".o_as_part_line[data-part-id] .o_as_text_danger"),
                    "the short line is not marked"
                );
            },
        },
        {
            content: "Take the listed part from the center's stock",
            trigger: ".o_as_part_line[data-part-id] select.o_as_line_location",
            run() {
                this.anchor.selectedIndex = 1;
            },
        },
        {
            content: "Save where it comes from",
            trigger: ".o_as_part_line[data-part-id] button.o_as_line_save",
            run: "click",
        },
        {
            content: "Listed back with its quantity and the stock where it comes from",
            trigger: ".o_as_sync_status:contains(All synced)",
            run() {
                assert(!document.querySelector(".o_as_parts_short"), "still short");
                assert(
                    !document.querySelector(".o_as_steps button[data-step=request_approval]").disabled,
                    "Ask approval stays off"
                );
                const stock = document.querySelector(".o_as_part_line[data-part-id] .o_as_part_stock_line");
                assert(stock.textContent.includes("5 in"), stock.textContent);
            },
        },
        {
            content: "Two of them",
            trigger: ".o_as_part_line[data-part-id] input.o_as_line_qty",
            run: "edit 2",
        },
        {
            content: "Save the line",
            trigger: ".o_as_part_line[data-part-id] button.o_as_line_save",
            run: "click",
        },
        {
            content: "The new quantity is listed",
            trigger: ".o_as_part_line[data-part-id] .o_as_line_name:contains(× 2)",
        },
        {
            content: "Synced",
            trigger: ".o_as_sync_status:contains(All synced)",
        },
        {
            content: "Remove it",
            trigger: ".o_as_part_line[data-part-id] button.o_as_line_remove",
            run: "click",
        },
        {
            content: "Gone from the list",
            trigger: ".o_as_sync_status:contains(All synced)",
            run() {
                assert(!document.querySelector(".o_as_part_line"), "the line is still listed");
            },
        },
        {
            content: "Write a note",
            trigger: "textarea.o_as_note",
            run: "edit Belt worn",
        },
        {
            content: "Save it",
            trigger: "button.o_as_save_note",
            run: "click",
        },
        {
            content: "The note is shown back",
            trigger: ".o_as_saved_note:not(.o_as_waiting):contains(Belt worn)",
        },
        {
            content: "A photo of the unit before the work",
            trigger: "select.o_as_photo_kind",
            run: "select before",
        },
        {
            content: "Take the photo",
            trigger: "input.o_as_photo",
            run() {
                const bytes = Uint8Array.from(atob(PHOTO_PNG), (c) => c.charCodeAt(0));
                const transfer = new DataTransfer();
                transfer.items.add(new File([bytes], "before.png", { type: "image/png" }));
                this.anchor.files = transfer.files;
                this.anchor.dispatchEvent(new Event("change"));
            },
        },
        {
            content: "Its thumbnail is shown back, with its kind",
            trigger: ".o_as_saved_photo:not(.o_as_waiting) figcaption:contains(Before)",
        },
        {
            content: "All synced",
            trigger: ".o_as_sync_status:contains(All synced)",
        },
    ],
});

// A Persian technician: the page reads right to left, in Persian.
registry.category("web_tour.tours").add("app_rtl_tour", {
    url: "/my/technician",
    steps: () => [
        {
            content: "Open the job",
            trigger: ".o_as_order:contains(Tour Parts Washer)",
            run: "click",
        },
        {
            content: "Right to left, with the Persian labels",
            trigger: ".o_as_order_detail .o_as_back",
            run() {
                const html = document.documentElement;
                assert(html.dir === "rtl", `dir=${html.dir}`);
                assert(html.lang === "fa-IR", `lang=${html.lang}`);
                assert(getComputedStyle(document.body).direction === "rtl", "computed ltr");
                const card = document.querySelector(".o_as_order_detail .o_as_card");
                const box = card.getBoundingClientRect();
                const title = card.querySelector("h2").getBoundingClientRect();
                // The title starts on the right of the card.
                assert(box.right - title.right < 20, "the title is not on the right");
            },
        },
        {
            content: "Back to the list",
            trigger: ".o_as_back",
            run: "click",
        },
        {
            content: "Open the job that has not started (the step is translated)",
            trigger: ".o_as_order:contains(Tour Persian Oven)",
            run: "click",
        },
        {
            content: "The first step reads in Persian",
            trigger: ".o_as_steps button[data-step=start_travel]:contains(در راه هستم)",
        },
    ],
});

function noSignal() {
    // No signal at all: neither the job list nor the sync route answers.
    window.__aftersalesRealFetch = window.fetch;
    window.fetch = () => Promise.reject(new TypeError("Failed to fetch"));
}

// Offline, the badge says so, and the steps offered are those the order's
// rules accept (this service type needs the customer's approval: no
// "Complete" before it).
registry.category("web_tour.tours").add("app_offline_steps_tour", {
    url: "/my/technician",
    steps: () => [
        {
            content: "Lose the signal, then the app starts again from its cache",
            trigger: ".o_as_order:contains(Tour Install Washer)",
            async run() {
                noSignal();
                const app = window.aftersalesTechnicianApp;
                await app.loadOrders();
                await app.flush();
            },
        },
        {
            content: "The badge says offline, not synced",
            trigger: ".o_as_sync_status:contains(Offline)",
            run() {
                const text = document.querySelector(".o_as_sync_status").textContent;
                assert(!text.includes("synced"), text);
            },
        },
        {
            content: "Open the job",
            trigger: ".o_as_order:contains(Tour Install Washer)",
            run: "click",
        },
        {
            content: "Start the work (offline)",
            trigger: ".o_as_steps button[data-step=start]",
            run: "click",
        },
        {
            content: "One waiting",
            trigger: ".o_as_sync_status:contains(Offline: 1 waiting)",
        },
        {
            content: "Only asking approval is offered, not completing",
            trigger: ".o_as_steps button[data-step=request_approval]",
            run() {
                assert(!document.querySelector(".o_as_steps button[data-step=done]"), "done offered");
            },
        },
        {
            content: "The signal is back",
            trigger: ".o_as_sync_status",
            run() {
                window.fetch = window.__aftersalesRealFetch;
                window.dispatchEvent(new Event("online"));
            },
        },
        {
            content: "Synced, and the server agrees",
            trigger: ".o_as_sync_status:contains(All synced)",
            run() {
                assert(!document.querySelector(".o_as_steps button[data-step=done]"), "done offered");
                assert(document.querySelector(".o_as_steps button[data-step=request_approval]"), "no step");
            },
        },
    ],
});

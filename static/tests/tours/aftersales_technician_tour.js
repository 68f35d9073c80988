import { registry } from "@web/core/registry";
import { inputFiles } from "@web/../tests/utils";

// A 1x1 PNG: the photo the technician takes.
const PHOTO_PNG =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

function photoFile() {
    const bytes = Uint8Array.from(atob(PHOTO_PNG), (c) => c.charCodeAt(0));
    return new File([bytes], "after-repair.png", { type: "image/png" });
}

// A technician on a phone: opens today's job, starts it, adds a photo and a
// part, completes it.
registry.category("web_tour.tours").add("aftersales_technician_order_tour", {
    url: "/odoo/action-aftersales.aftersales_order_action_my",
    steps: () => [
        {
            content: "Open today's job",
            trigger: ".o_kanban_record:contains(Tour Washer)",
            run: "click",
        },
        {
            content: "Start the work",
            trigger: ".o_statusbar_buttons button[name=action_start]",
            run: "click",
        },
        {
            content: "The work is in progress: Complete is now the main button",
            trigger: ".o_statusbar_buttons button[name=action_done]",
        },
        {
            content: "Open the photos",
            trigger: ".o_notebook .nav-link:contains(Problem)",
            run: "click",
        },
        {
            content: "Add a photo",
            trigger: ".o_field_widget[name=media_ids] .o-kanban-button-new",
            run: "click",
        },
        {
            content: "It shows the work done",
            trigger: ".modal .o_field_widget[name=kind] input[data-value=after]",
            run: "click",
        },
        {
            content: "Take the picture",
            trigger: ".modal .o_field_widget[name=file]",
            async run() {
                await inputFiles(".modal .o_field_widget[name=file] input[type=file]", [
                    photoFile(),
                ]);
            },
        },
        {
            content: "The photo is attached",
            trigger: ".modal .o_field_widget[name=mimetype]:contains(image/png)",
        },
        {
            content: "Save the photo",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "The photo is in the gallery",
            trigger: ".o_field_widget[name=media_ids] .o_kanban_record:contains(After)",
        },
        {
            content: "Open the parts",
            trigger: ".o_notebook .nav-link:contains(Work)",
            run: "click",
        },
        {
            content: "Add a part",
            trigger: ".o_field_widget[name=part_ids] .o-kanban-button-new",
            run: "click",
        },
        {
            content: "Choose the part (a phone opens a search screen)",
            trigger: ".modal .o_field_widget[name=product_id] input",
            run: "click",
        },
        {
            trigger: ".modal .o_kanban_record:contains(Tour Belt)",
            run: "click",
        },
        {
            content: "It is in the van",
            trigger: ".modal .o_field_widget[name=available_quantity]:contains(4)",
        },
        {
            content: "Save the part",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "The part is listed",
            trigger: ".o_field_widget[name=part_ids] .o_kanban_record:contains(Tour Belt)",
        },
        {
            content: "Complete the job",
            trigger: ".o_statusbar_buttons button[name=action_done]",
            run: "click",
        },
        {
            content: "The job is done",
            trigger: ".o_statusbar_status .o_arrow_button:contains(Done)",
        },
    ],
});

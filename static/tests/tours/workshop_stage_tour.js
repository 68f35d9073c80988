import { registry } from "@web/core/registry";

// Desk staff drop a card on the Workshop board (columns are stages): on
// "Accepted" it accepts the job through its step; back on "Awaiting
// Allocation" it is refused with the reason, and the card stays.
registry.category("web_tour.tours").add("workshop_stage_kanban_tour", {
    steps: () => [
        {
            trigger:
                ".o_kanban_group:has(.o_column_title:contains(Awaiting Allocation)) .o_kanban_record:contains(Stage Tour Kettle)",
            run: "drag_and_drop(.o_kanban_group:has(.o_column_title:contains(Accepted)))",
        },
        {
            content: "Accepted through the step",
            trigger:
                ".o_kanban_group:has(.o_column_title:contains(Accepted)) .o_kanban_record:contains(Stage Tour Kettle)",
            run: "drag_and_drop(.o_kanban_group:has(.o_column_title:contains(Awaiting Allocation)))",
        },
        {
            content: "Refused, with the reason",
            trigger: ".modal:contains(cannot go from Accepted to Assigned)",
        },
        {
            trigger: ".modal .btn-primary, .modal .o_dialog_footer button:first",
            run: "click",
        },
        {
            content: "The card stays where it was",
            trigger:
                ".o_kanban_group:has(.o_column_title:contains(Accepted)) .o_kanban_record:contains(Stage Tour Kettle)",
        },
    ],
});

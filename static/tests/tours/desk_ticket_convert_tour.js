import { registry } from "@web/core/registry";

// A desk agent (not a dispatcher) looks at the requests as a list, by
// activity and on the board, opens one from the board, converts
// it with the prefilled work order and lands on the order, which names the
// request.
registry.category("web_tour.tours").add("desk_ticket_convert_tour", {
    steps: () => [
        {
            content: "The list of requests",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row:contains('Tour: the dryer is silent')",
        },
        {
            content: "The activities of requests",
            trigger: ".o_switch_view.o_activity",
            run: "click",
        },
        {
            trigger: ".o_activity_view",
        },
        {
            trigger: ".o_switch_view.o_kanban",
            run: "click",
        },
        {
            content: "The request on the board",
            trigger: ".o_kanban_record:contains('Tour: the dryer is silent')",
            run: "click",
        },
        {
            content: "Convert it",
            trigger: ".o_form_view button[name=action_open_convert_wizard]",
            run: "click",
        },
        {
            content: "One work order proposed, with the request's serial",
            trigger: ".modal .o_field_widget[name=line_ids] .o_data_row:contains('TWM-0001')",
        },
        {
            trigger: ".modal button[name=action_convert]",
            run: "click",
        },
        {
            content: "The work order, made of the request",
            trigger: ".o_form_view .o_stat_text:contains('Service Request')",
            run() {
                if (document.querySelector(".modal")) {
                    throw new Error("The dialog stayed open");
                }
            },
        },
    ],
});

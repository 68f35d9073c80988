import { registry } from "@web/core/registry";

// A center user rejects a job assigned to it with a reason code: the order
// leaves the center, so the client must land on the list with a notification,
// never on the form it can no longer read (no access error dialog).
registry.category("web_tour.tours").add("desk_center_reject_tour", {
    url: "/odoo/action-aftersales.aftersales_order_action",
    steps: () => [
        {
            content: "Open the assigned job",
            trigger: ".o_data_row .o_data_cell:contains('Desk Tour Fridge')",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('Assigned')",
        },
        {
            content: "Reject it",
            trigger: ".o_statusbar_buttons button[name=action_open_reason_wizard]:contains('Reject')",
            run: "click",
        },
        {
            content: "The dialog says what it does",
            trigger: ".modal .modal-title:contains('Reject the job')",
        },
        {
            content: "Confirm without a reason code: a field hint, no server error",
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=reject_reason_id].o_field_invalid",
        },
        {
            content: "Choose the reason code",
            trigger: ".modal .o_field_widget[name=reject_reason_id] input",
            run: "edit Outside",
        },
        {
            trigger: ".ui-menu-item > a:contains('Outside our area')",
            run: "click",
        },
        {
            content: "Add a note",
            trigger: ".modal .o_field_widget[name=reason] textarea",
            run: "edit The customer moved to Ankara",
        },
        {
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "A notification tells where the job went",
            trigger: ".o_notification:contains('rejected; it goes')",
        },
        {
            content: "Back on the work order list, no dialog left open",
            trigger: ".o_list_view:not(:has(.o_data_row .o_data_cell:contains('Desk Tour Fridge')))",
            run() {
                if (document.querySelector(".modal, .o_error_dialog")) {
                    throw new Error("A dialog is still open after the rejection");
                }
                if (document.querySelector(".o_form_view")) {
                    throw new Error("The stale form is still shown");
                }
            },
        },
    ],
});

import { registry } from "@web/core/registry";

// A dispatcher registers a work order, sends it to a center, then cancels it
// with a reason through the reason dialog.
registry.category("web_tour.tours").add("aftersales_dispatcher_order_tour", {
    url: "/odoo/action-aftersales.aftersales_order_action",
    steps: () => [
        {
            content: "Create a work order",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "Choose the customer",
            trigger: ".o_field_widget[name=partner_id] input",
            run: "edit Tour Customer",
        },
        {
            trigger: ".ui-menu-item > a:contains('Tour Customer')",
            run: "click",
        },
        {
            content: "Choose the product",
            trigger: ".o_field_widget[name=product_id] input",
            run: "edit Tour Fridge",
        },
        {
            trigger: ".ui-menu-item > a:contains('Tour Fridge')",
            run: "click",
        },
        {
            content: "Choose the service type",
            trigger: ".o_field_widget[name=service_type_id] input",
            run: "edit Tour Repair",
        },
        {
            trigger: ".ui-menu-item > a:contains('Tour Repair')",
            run: "click",
        },
        {
            content: "Choose the service center",
            trigger: ".o_field_widget[name=center_id] input",
            run: "edit Tour Center",
        },
        {
            trigger: ".ui-menu-item > a:contains('Tour Center')",
            run: "click",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_form_saved",
        },
        {
            content: "Assign it to the center",
            trigger: ".o_statusbar_buttons button[name=action_assign]",
            run: "click",
        },
        {
            content: "The order is assigned",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('Assigned')",
        },
        {
            content: "Cancel it",
            trigger: ".o_statusbar_buttons button[name=action_open_reason_wizard]:contains('Cancel')",
            run: "click",
        },
        {
            content: "Give the reason",
            trigger: ".modal .o_field_widget[name=reason] textarea",
            run: "edit The customer bought a new fridge",
        },
        {
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The order is cancelled",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('Cancelled')",
        },
    ],
});

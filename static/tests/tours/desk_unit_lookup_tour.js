import { registry } from "@web/core/registry";

// Find a Unit as a dialog: a local phone number with nothing behind it says
// so, part of a serial finds the unit, and New Work Order opens an order for
// it (no Save/Discard on the search tool).
registry.category("web_tour.tours").add("desk_unit_lookup_tour", {
    url: "/odoo/action-aftersales.aftersales_unit_lookup_action",
    steps: () => [
        {
            content: "A search tool in a dialog, titled",
            trigger: ".modal .modal-title:contains('Find a Unit')",
            run() {
                if (document.querySelector(".o_form_button_save")) {
                    throw new Error("Save button on the search tool");
                }
            },
        },
        {
            trigger: ".modal .o_field_widget[name=query] input",
            run: "edit 0555 000 00 00 && press Enter",
        },
        {
            content: "Nothing found: said, with a shortcut",
            trigger: ".modal .alert:contains('No unit found') button[name=action_register_request]",
        },
        {
            content: "Part of a serial",
            trigger: ".modal .o_field_widget[name=query] input",
            run: "edit 26A00011 && press Enter",
        },
        {
            trigger: ".modal .o_data_row:contains('26A00011XK')",
        },
        {
            content: "New work order for that unit",
            trigger: ".modal .o_data_row:contains('26A00011XK') button[name=action_aftersales_new_order]",
            run: "click",
        },
        {
            content: "The order form, with the unit",
            trigger: ".o_form_view .o_field_widget[name=lot_id] input:value(26A00011XK)",
            run() {
                if (document.querySelector(".modal")) {
                    throw new Error("The dialog stayed open");
                }
            },
        },
    ],
});

import { registry } from "@web/core/registry";
import { rpc } from "@web/core/network/rpc";

// The form of a running warranty import follows the import by itself: the
// background job's progress (simulated here by another client's write)
// shows up without reloading the page.
registry.category("web_tour.tours").add("desk_warranty_import_progress_tour", {
    steps: () => [
        {
            content: "The import is running",
            trigger: ".o_field_widget[name=state] .o_arrow_button_current:contains('Importing')",
        },
        {
            content: "The background job imports every row",
            trigger: ".o_field_widget[name=progress]",
            async run() {
                const resId = Number(window.location.pathname.split("/").pop());
                await rpc("/web/dataset/call_kw/aftersales.warranty.import/write", {
                    model: "aftersales.warranty.import",
                    method: "write",
                    args: [[resId], { imported_count: 2, state: "done" }],
                    kwargs: {},
                });
            },
        },
        {
            content: "The form shows it without a reload",
            trigger: ".o_field_widget[name=state] .o_arrow_button_current:contains('Imported')",
        },
        {
            trigger: ".o_field_widget[name=imported_count]:contains('2')",
        },
    ],
});

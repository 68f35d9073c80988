import { registry } from "@web/core/registry";

// A dealer sends three service requests at once; one line is wrong and comes
// back with its reason, ready to fix.
registry.category("web_tour.tours").add("aftersales_dealer_bulk_tour", {
    url: "/my/dealer",
    steps: () => [
        {
            content: "Paste the units",
            trigger: ".o_aftersales_dealer_bulk textarea[name=rows]",
            run() {
                // Several lines: the "edit" action types one.
                this.anchor.value = "DLR-0001;TDR;Does not drain\nDLR-0002;TDR;Noisy\nNOT-MINE-9;TDR;Broken";
            },
        },
        {
            content: "Send the requests",
            trigger: ".o_aftersales_dealer_bulk button[type=submit]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Two requests are created",
            trigger: "h5:contains(2 request(s) created)",
        },
        {
            content: "The bad line says why",
            trigger: ".o_aftersales_bulk_results tr.table-danger:contains(NOT-MINE-9):contains(Not a unit registered by you)",
        },
        {
            content: "The bad line is back in the box, to fix",
            trigger: ".o_aftersales_dealer_bulk textarea[name=rows]:value(NOT-MINE-9;TDR;Broken)",
        },
    ],
});

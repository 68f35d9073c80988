import { registry } from "@web/core/registry";

// Each role logs in at /odoo (its home action) and lands where it works.

registry.category("web_tour.tours").add("views_landing_dispatcher_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "The dispatcher lands on the work orders to assign",
            trigger: ".o_breadcrumb:contains(Work Orders to Assign)",
        },
        {
            trigger: ".o_searchview_facet:contains(To Assign)",
        },
        {
            content: "The new order is listed, its reference and status not cut",
            trigger: ".o_list_view .o_data_row:contains(Landing Fridge)",
            run() {
                for (const name of ["name", "state"]) {
                    const cell = document.querySelector(`.o_data_row .o_data_cell[name=${name}]`);
                    if (!cell || cell.scrollWidth > cell.clientWidth + 1) {
                        throw new Error(`The ${name} column is cut at ${window.innerWidth} px`);
                    }
                }
            },
        },
        {
            content: "The app menu opens the same place",
            trigger: ".o_main_navbar .o_menu_brand",
            run: "click",
        },
        {
            trigger: ".o_breadcrumb:contains(Work Orders to Assign)",
        },
    ],
});

registry.category("web_tour.tours").add("views_landing_center_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "The center lands on what awaits it, by status",
            trigger: ".o_breadcrumb:contains(Open Work Orders)",
        },
        {
            trigger: ".o_searchview_facet:contains(Open)",
        },
        {
            content: "The order to accept is in the Assigned column",
            trigger:
                ".o_kanban_group:has(.o_column_title:contains(Assigned)) .o_kanban_record:contains(Landing Fridge)",
        },
    ],
});

registry.category("web_tour.tours").add("views_landing_technician_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "The technician lands on My Jobs",
            trigger: ".o_breadcrumb:contains(My Jobs)",
        },
        {
            content: "Open jobs first, nearest first; the done job last",
            trigger: ".o_kanban_record:contains(Landing Fridge)",
            run() {
                const cards = [...document.querySelectorAll(".o_kanban_record:not(.o_kanban_ghost)")];
                const names = cards.map((c) => c.textContent);
                const order = ["Landing Soon", "Landing Later", "Landing Done"].map((n) =>
                    names.findIndex((t) => t.includes(n))
                );
                if (order.includes(-1) || order[0] > order[1] || order[1] > order[2]) {
                    throw new Error(`My Jobs order is wrong: ${order}`);
                }
            },
        },
        {
            content: "On a phone, a button opens the technician app",
            trigger: "button.o_aftersales_tech_app_link:contains(Technician App):visible",
        },
    ],
});

registry.category("web_tour.tours").add("views_landing_manager_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "The manager lands on the After-Sales dashboard",
            // The spreadsheet bundle is loaded lazily: slow on a busy machine.
            trigger: ".o_spreadsheet_dashboard_action",
            timeout: 60000,
        },
        {
            trigger: ".o_spreadsheet_dashboard_action .o-spreadsheet .o-figure",
            timeout: 60000,
        },
        {
            content: "Its charts and key figures render, without error",
            trigger: ".o_spreadsheet_dashboard_action:not(:has(.dashboard-loading-status))",
            run() {
                const figures = document.querySelectorAll(".o-spreadsheet .o-figure");
                if (figures.length < 8) {
                    throw new Error(`Only ${figures.length} figures on the dashboard`);
                }
            },
        },
        {
            content: "The After-Sales dashboard is the one selected",
            trigger: ".o_search_panel li.active:contains(After-Sales), .o_search_panel .active:contains(After-Sales)",
        },
    ],
});

// Center staff drop a card: on Accepted it accepts the order; on Done it is
// refused with the reason, and the card stays where it was.
registry.category("web_tour.tours").add("views_kanban_move_tour", {
    steps: () => [
        {
            trigger:
                ".o_kanban_group:has(.o_column_title:contains(Assigned)) .o_kanban_record:contains(Landing Fridge)",
            run: "drag_and_drop(.o_kanban_group:has(.o_column_title:contains(Done)))",
        },
        {
            content: "Refused, with the reason",
            trigger: ".modal:contains(cannot go from Assigned to Done)",
        },
        {
            trigger: ".modal .btn-primary, .modal .o_dialog_footer button:first",
            run: "click",
        },
        {
            trigger:
                ".o_kanban_group:has(.o_column_title:contains(Assigned)) .o_kanban_record:contains(Landing Fridge)",
            run: "drag_and_drop(.o_kanban_group:has(.o_column_title:contains(Accepted)))",
        },
        {
            content: "Accepted through the step",
            trigger:
                ".o_kanban_group:has(.o_column_title:contains(Accepted)) .o_kanban_record:contains(Landing Fridge)",
        },
    ],
});

// The performance pivot shows its rates in percent.
registry.category("web_tour.tours").add("views_rates_in_percent_tour", {
    url: "/odoo/action-aftersales.aftersales_order_analysis_action_performance",
    steps: () => [
        {
            content: "A rate cell carries a percent sign",
            trigger: ".o_pivot .o_pivot_cell_value:contains(%)",
        },
    ],
});

import { registry } from "@web/core/registry";

// A visitor without login sends a request on the public form and reads its
// reference (tests/test_ticket_web.py sets the form's minimum time to 0).
registry.category("web_tour.tours").add("ticket_public_form_tour", {
    steps: () => [
        {
            content: "Give my name",
            trigger: ".o_aftersales_ticket_form input[name=name]",
            run: "edit Tour Visitor",
        },
        {
            content: "Give my e-mail",
            trigger: ".o_aftersales_ticket_form input[name=email]",
            run: "edit tour.visitor@example.com",
        },
        {
            content: "Choose a service report",
            trigger: ".o_aftersales_ticket_form select[name=category_id]",
            run: "selectByIndex 1",
        },
        {
            content: "The category's hint shows",
            trigger: ".o_aftersales_category_hint:not(.d-none)",
        },
        {
            content: "Write the subject",
            trigger: ".o_aftersales_ticket_form input[name=subject]",
            run: "edit Tour: the heater is cold",
        },
        {
            content: "Describe it",
            trigger: ".o_aftersales_ticket_form textarea[name=description]",
            run: "edit The heater stays cold since this morning.",
        },
        {
            content: "Send",
            trigger: ".o_aftersales_ticket_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The reference of my request",
            trigger: ".o_aftersales_ticket_ref bdi:not(:empty)",
        },
    ],
});

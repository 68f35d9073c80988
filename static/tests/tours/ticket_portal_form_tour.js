import { registry } from "@web/core/registry";

// A portal customer asks from My Requests and lands on the request's page
// with its thread (tests/test_ticket_portal.py).
registry.category("web_tour.tours").add("ticket_portal_form_tour", {
    steps: () => [
        {
            content: "Ask something new",
            trigger: "a.o_aftersales_ticket_new",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Choose what it is about",
            trigger: ".o_aftersales_ticket_form select[name=category_id]",
            run: "selectByIndex 1",
        },
        {
            content: "Write the subject",
            trigger: ".o_aftersales_ticket_form input[name=subject]",
            run: "edit Tour: portal question",
        },
        {
            content: "Describe it",
            trigger: ".o_aftersales_ticket_form textarea[name=description]",
            run: "edit Which detergent should I use?",
        },
        {
            content: "Send",
            trigger: ".o_aftersales_ticket_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The request is registered",
            trigger: ".o_aftersales_portal_ticket .alert-success",
        },
        {
            content: "Its messages are loaded",
            trigger: "#chatterRoot:shadow .o-mail-Chatter",
        },
    ],
});

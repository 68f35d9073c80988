import { registry } from "@web/core/registry";

// A customer opens the approval link from the SMS on a phone, rates the work
// and approves it.
registry.category("web_tour.tours").add("aftersales_approval_tour", {
    steps: () => [
        {
            content: "The work order is shown",
            trigger: ".o_aftersales_approval h1",
        },
        {
            content: "Rate it 5",
            trigger: "label[for=rating_5]",
            run: "click",
        },
        {
            content: "Leave a comment",
            trigger: "textarea[name=feedback]",
            run: "edit Very tidy work",
        },
        {
            content: "Approve",
            trigger: "button.o_aftersales_approve",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Thanked, the form is gone",
            trigger: ".o_aftersales_thanks",
        },
        {
            trigger: ".o_aftersales_decision:not(:has(form))",
        },
    ],
});

import { registry } from "@web/core/registry";

// A customer opens the estimate of their workshop repair on the portal,
// signs it and accepts it (the test starts on the quotation's page).
registry.category("web_tour.tours").add("aftersales_workshop_estimate_tour", {
    steps: () => [
        {
            content: "The estimate lists the labour and the inspection fee",
            trigger: "#quote_content:contains(Test Inspection Fee)",
        },
        {
            content: "Accept & Sign",
            trigger: ".o_portal_sale_sidebar a[data-bs-target='#modalaccept']",
            run: "click",
        },
        {
            content: "Type the name to sign with",
            trigger: ".modal .o_web_sign_name_and_signature input",
            run: "edit Ayse Customer",
        },
        {
            trigger: ".modal canvas.o_web_sign_signature",
            run: "canvasNotEmpty",
        },
        {
            content: "Accept and sign",
            trigger: ".modal .o_portal_sign_submit:enabled",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Thanked, the order confirmed",
            trigger: "#quote_content:contains(Thank You)",
        },
    ],
});

import { registry } from "@web/core/registry";

// A customer on their order's page: the "Service form (PDF)" link answers
// with a PDF (the review saw a 500 there).
registry.category("web_tour.tours").add("portal_service_form_pdf_tour", {
    steps: () => [
        {
            content: "The order's messages are loaded",
            trigger: "#chatterRoot:shadow .o-mail-Chatter",
        },
        {
            content: "The order's page offers the service form",
            trigger: "a.o_aftersales_service_form_pdf",
            async run() {
                await odoo.portalChatterReady;
                const link = document.querySelector("a.o_aftersales_service_form_pdf");
                const response = await fetch(link.href);
                const type = response.headers.get("Content-Type");
                const bytes = new Uint8Array(await response.arrayBuffer());
                const magic = String.fromCharCode(...bytes.slice(0, 4));
                if (response.status !== 200 || type !== "application/pdf" || magic !== "%PDF") {
                    throw new Error(`Service form: ${response.status} ${type} ${magic}`);
                }
                document.body.classList.add("o_aftersales_pdf_ok");
            },
        },
        {
            content: "The PDF answered",
            trigger: "body.o_aftersales_pdf_ok",
        },
    ],
});

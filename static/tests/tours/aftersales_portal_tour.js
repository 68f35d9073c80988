import { registry } from "@web/core/registry";

// A 1x1 PNG: the photo of the fault.
const PHOTO_PNG =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

function attachPhoto(selector) {
    const bytes = Uint8Array.from(atob(PHOTO_PNG), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], "fault.png", { type: "image/png" }));
    document.querySelector(selector).files = transfer.files;
}

// A customer on the portal: requests service for one of their products with a
// photo, then approves finished work and rates it.
registry.category("web_tour.tours").add("aftersales_portal_customer_tour", {
    url: "/my/service-orders",
    steps: () => [
        {
            content: "Request service",
            trigger: "a[href='/my/service-orders/new']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Choose my washing machine",
            trigger: "select[name=lot_id]",
            run: "selectByLabel Tour Portal Washer · TPW-0001",
        },
        {
            content: "Choose the service",
            trigger: "select[name=service_type_id]",
            run: "selectByLabel Tour Portal Repair",
        },
        {
            content: "Describe the problem",
            trigger: "textarea[name=description]",
            run: "edit It leaks water under the door.",
        },
        {
            content: "Add a photo",
            trigger: "input[name=photos]",
            run() {
                attachPhoto("input[name=photos]");
            },
        },
        {
            content: "Send the request",
            trigger: ".o_aftersales_request_form button[type=submit]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The request is registered",
            trigger: ".alert-success:contains(Your request is registered)",
        },
        {
            content: "Back to my service orders",
            trigger: ".breadcrumb a[href='/my/service-orders']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Open the finished work",
            trigger: "a:contains(TOUR-AWAITING)",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Say a word",
            trigger: "textarea[name=feedback]",
            run: "edit Clean work, thanks.",
        },
        {
            content: "Approve the work",
            trigger: "button[name=decision][value=approve]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The decision is recorded",
            trigger: ".alert-success:contains(your decision is recorded)",
        },
        {
            content: "Give five stars",
            trigger: ".o_aftersales_rate_form label[for=rating_5]",
            run: "click",
        },
        {
            content: "Send the rating",
            trigger: ".o_aftersales_rate_form button[type=submit]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Rated",
            trigger: ".alert-success:contains(Thank you for your rating)",
        },
    ],
});

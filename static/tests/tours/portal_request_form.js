import { registry } from "@web/core/registry";

// The request form asks for a serial number only for a product that is not
// one of the customer's.
registry.category("web_tour.tours").add("portal_request_form_tour", {
    steps: () => [
        {
            content: "Another product: the serial number is asked for",
            trigger: ".o_aftersales_request_form input[name=serial]:visible",
        },
        {
            content: "Choose my washing machine",
            trigger: "select[name=lot_id]",
            run: "selectByLabel Tour Portal Washer · TPW-0001",
        },
        {
            content: "The serial number and code boxes are gone",
            trigger: ".o_aftersales_request_form:not(:has(input[name=serial]:visible)):not(:has(input[name=product_code]:visible))",
        },
    ],
});

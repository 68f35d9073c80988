import { registry } from "@web/core/registry";

// A customer on the portal: opens their service contract, sees its planned
// visit and what it covers, and signs it. Data from tests/test_contract_portal.py.
registry.category("web_tour.tours").add("aftersales_contract_portal_tour", {
    url: "/my/contracts",
    steps: () => [
        {
            content: "Open my contract",
            trigger: ".o_aftersales_contract_row a:contains(TOUR-CONTRACT)",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The planned visit is listed",
            trigger: ".o_aftersales_contract_planned .o_aftersales_contract_visit:contains(TOUR-VISIT)",
        },
        {
            content: "What the contract covers is shown",
            trigger: ".o_aftersales_contract_coverage:contains(Labour)",
        },
        {
            content: "Sign the contract",
            trigger: "a.o_aftersales_contract_sign",
            run: "click",
        },
        {
            content: "Type my name",
            trigger: ".modal .o_web_sign_name_and_signature input",
            run: "edit Tour Signer",
        },
        {
            trigger: ".modal canvas.o_web_sign_signature",
            run: "canvasNotEmpty",
        },
        {
            content: "Send the signature",
            trigger: ".modal .o_portal_sign_submit:enabled",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The contract is signed",
            trigger: ".o_aftersales_contract_signed_ok",
        },
        {
            trigger: ".o_aftersales_contract_signed",
        },
    ],
});

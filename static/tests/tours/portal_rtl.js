import { registry } from "@web/core/registry";

function check(condition, message) {
    if (!condition) {
        throw new Error(message);
    }
}

// A Persian customer opens the approval link: the page reads right to left,
// with Odoo's right-to-left stylesheet (Bootstrap's start/end flipped), and
// the order's reference keeps its left-to-right order inside it.
registry.category("web_tour.tours").add("portal_rtl_tour", {
    steps: () => [
        {
            content: "The page is marked right to left",
            trigger: "html[dir=rtl] .o_aftersales_approval",
            run() {
                check(
                    getComputedStyle(document.body).direction === "rtl",
                    "the body is not laid out right to left"
                );
                const price = document.querySelector(".o_aftersales_decision_lines td.text-end");
                check(price, "no price shown");
                // .text-end is the line's end: the left in a right-to-left page.
                check(
                    getComputedStyle(price).textAlign === "left",
                    `prices align ${getComputedStyle(price).textAlign}, not at the end`
                );
                const reference = document.querySelector("bdi[dir=ltr]");
                check(
                    reference && getComputedStyle(reference).direction === "ltr",
                    "the reference is not isolated"
                );
                document.body.classList.add("o_aftersales_rtl_ok");
            },
        },
        {
            content: "Checked",
            trigger: "body.o_aftersales_rtl_ok",
        },
    ],
});

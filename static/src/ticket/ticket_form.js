import { Interaction } from "@web/public/interaction";
import { registry } from "@web/core/registry";

// The public request form, the site QR page and the portal form
// (controllers/ticket.py): the hint of the chosen category shows under it.
export class TicketForm extends Interaction {
    static selector = ".o_aftersales_ticket_form";
    dynamicContent = {
        "select[name=category_id]": { "t-on-change": this.showHint },
    };

    setup() {
        this.showHint();
    }

    showHint() {
        const chosen = this.el.querySelector("select[name=category_id]")?.value || "";
        for (const el of this.el.querySelectorAll(".o_aftersales_category_hint")) {
            el.classList.toggle("d-none", el.dataset.categoryId !== chosen);
        }
    }
}

registry.category("public.interactions").add("aftersales.ticket_form", TicketForm);

import { Interaction } from "@web/public/interaction";
import { registry } from "@web/core/registry";

// The request form asks for a serial number or a product code only when the
// customer did not choose one of their own products.
export class ServiceRequestForm extends Interaction {
    static selector = ".o_aftersales_request_form";
    dynamicContent = {
        "select[name=lot_id]": { "t-on-change": this.showUnitFields },
    };

    setup() {
        this.showUnitFields();
    }

    showUnitFields() {
        const chosen = Boolean(this.el.querySelector("select[name=lot_id]")?.value);
        for (const el of this.el.querySelectorAll(".o_aftersales_unit_other")) {
            el.classList.toggle("d-none", chosen);
            for (const input of el.querySelectorAll("input")) {
                input.disabled = chosen;
            }
        }
    }
}

registry
    .category("public.interactions")
    .add("aftersales.service_request_form", ServiceRequestForm);

from odoo import fields, models
from odoo.tools import float_round


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    aftersales_order_ids = fields.One2many(
        "aftersales.order", "sale_line_id", string="Work Orders"
    )

    def _get_aftersales_unit_count(self):
        """How many units of the line need a work order each."""
        self.ensure_one()
        quantity = self.product_uom_id._compute_quantity(
            self.product_uom_qty, self.product_id.uom_id
        )
        return int(float_round(quantity, precision_digits=0))

    def _prepare_aftersales_order_vals(self):
        """Values of one work order for one unit of the line (extension hook)."""
        self.ensure_one()
        sale = self.order_id
        return {
            "partner_id": sale.partner_id.id,
            "address_id": sale.partner_shipping_id.id,
            "phone": sale.partner_shipping_id.phone or sale.partner_id.phone,
            "product_id": self.product_id.id,
            "service_type_id": self.product_id.aftersales_service_type_id.id,
            "sale_line_id": self.id,
            "channel": "sale",
            "company_id": sale.company_id.id,
            "date_requested": sale.commitment_date,
            "user_id": sale.company_id.aftersales_dispatcher_id.id,
            "team_id": sale.team_id.id,
        }

    def _create_aftersales_orders(self):
        """Create the work orders the lines still miss; return them (sudo)."""
        # Salespeople confirm sales without being after-sales users: the work
        # orders are read and created on behalf of the sale.
        lines_sudo = self.sudo()
        vals_list = []
        for line in lines_sudo:
            if line.display_type or not line.product_id.aftersales_service_type_id:
                continue
            existing = line.aftersales_order_ids.filtered(
                lambda o: o.state != "cancelled"
            )
            missing = line._get_aftersales_unit_count() - len(existing)
            vals_list += [
                line._prepare_aftersales_order_vals() for _unit in range(missing)
            ]
        orders_sudo = self.env["aftersales.order"].sudo().create(vals_list)
        return orders_sudo

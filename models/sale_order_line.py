from odoo import api, fields, models
from odoo.tools import float_round

# What the customer was quoted: changed on a sent estimate only by preparing
# it again from the work order (a new version).
ESTIMATE_PRICED_FIELDS = {
    "product_id",
    "product_uom_qty",
    "price_unit",
    "discount",
    "tax_ids",
}


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    aftersales_order_ids = fields.One2many(
        "aftersales.order", "sale_line_id", string="Work Orders"
    )
    aftersales_estimate_covered = fields.Boolean(
        string="Covered",
        readonly=True,
        copy=False,
        help="On a workshop estimate: the warranty or contract pays this line.",
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
            if (
                line.display_type
                or not line.product_id.aftersales_service_type_id
                # An estimate's labour is the work order's own repair.
                or line.order_id.aftersales_estimate_order_id
            ):
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

    # ------------------------------------------------------------
    # Service contracts
    # ------------------------------------------------------------

    @api.depends(
        "order_id.aftersales_contract_id",
        "order_id.aftersales_contract_template_id",
        "order_id.aftersales_estimate_order_id",
    )
    def _compute_qty_to_invoice(self):
        result = super()._compute_qty_to_invoice()
        # The contract bills its term by its billing plan, not the sale; a
        # workshop estimate is invoiced by its work order at pickup.
        for line in self:
            if (
                line._is_aftersales_contract_line()
                or line.order_id.aftersales_estimate_order_id
            ):
                line.qty_to_invoice = 0
        return result

    def _is_aftersales_contract_line(self):
        """Whether the line sells a service contract's term (billed by it)."""
        self.ensure_one()
        order = self.order_id
        if self.display_type or not self.product_id:
            return False
        if order.aftersales_contract_id:
            return True
        # The template is after-sales configuration salespeople may not read.
        template_sudo = order.aftersales_contract_template_id.sudo()
        return bool(template_sudo) and self.product_id == template_sudo.product_id

    # ------------------------------------------------------------
    # Workshop estimates
    # ------------------------------------------------------------

    @api.depends("aftersales_estimate_covered")
    def _compute_invoice_status(self):
        result = super()._compute_invoice_status()
        # A covered line of an accepted estimate is paid by the warranty or
        # contract: there is never anything to invoice on it.
        for line in self:
            if line.state == "sale" and line.aftersales_estimate_covered:
                line.invoice_status = "invoiced"
        return result

    def _action_launch_stock_rule(self, **kwargs):
        # The estimate's parts are the work order's (reserved at the desk),
        # not goods to deliver: no delivery for them.
        lines = self.filtered(
            lambda line: not line.order_id.aftersales_estimate_order_id
        )
        return super(SaleOrderLine, lines)._action_launch_stock_rule(**kwargs)

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.order_id._ensure_aftersales_estimate_unchanged()
        return lines

    def write(self, vals):
        if ESTIMATE_PRICED_FIELDS.intersection(vals):
            self.order_id._ensure_aftersales_estimate_unchanged()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_aftersales_estimate_sent(self):
        self.order_id._ensure_aftersales_estimate_unchanged()

    def _get_aftersales_estimate_item(self, link=True):
        """The estimate line as an item the work order invoices (see the
        order's _get_invoiceable_items): linked to this line when ``link``,
        so the quotation shows what is invoiced."""
        self.ensure_one()
        extra = {
            "tax_ids": [fields.Command.set(self.tax_ids.ids)],
            "product_uom_id": self.product_uom_id.id,
        }
        if link:
            extra["sale_line_ids"] = [fields.Command.link(self.id)]
        return {
            "product": self.product_id,
            "name": self.name,
            "quantity": self.product_uom_qty,
            "price_unit": self.price_unit * (1 - (self.discount or 0.0) / 100.0),
            "covered": self.aftersales_estimate_covered,
            "invoice_line_vals": extra,
        }

from odoo import api, fields, models

from .aftersales_order.core import TRANSITIONS


class SaleOrder(models.Model):
    _inherit = "sale.order"

    aftersales_order_count = fields.Integer(
        string="Work Orders", compute="_compute_aftersales_order_count"
    )

    # ------------------------------------------------------------
    # Compute methods
    # ------------------------------------------------------------

    @api.depends("order_line.aftersales_order_ids")
    def _compute_aftersales_order_count(self):
        # The count shows on the sale to users who may not read work orders.
        orders_sudo = self.env["aftersales.order"].sudo()
        counts = dict(
            orders_sudo._read_group(
                [("sale_order_id", "in", self.ids)], ["sale_order_id"], ["__count"]
            )
        )
        for sale in self:
            sale.aftersales_order_count = counts.get(sale._origin, 0)

    # ------------------------------------------------------------
    # Overrides
    # ------------------------------------------------------------

    def _action_confirm(self):
        result = super()._action_confirm()
        # The orders are assigned by their create() when the company says so.
        self.order_line._create_aftersales_orders()
        return result

    def _action_cancel(self):
        result = super()._action_cancel()
        # Same reason as the count: cancelling a sale is a salesperson's job.
        orders_sudo = (
            self.env["aftersales.order"]
            .sudo()
            .search(
                [
                    ("sale_order_id", "in", self.ids),
                    ("state", "in", TRANSITIONS["cancel"]["from"]),
                ]
            )
        )
        for sale in self:
            orders_sudo.filtered(
                lambda o, sale=sale: o.sale_order_id == sale
            )._action_cancel(
                self.env._("Sale order %(sale)s was cancelled.", sale=sale.name)
            )
        return result

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_view_aftersales_orders(self):
        """Open the work orders created by this sale."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales.aftersales_order_action"
        )
        action["domain"] = [("sale_order_id", "=", self.id)]
        action["context"] = {}
        return action

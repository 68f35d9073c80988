from odoo import fields, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    aftersales_order_id = fields.Many2one(
        "aftersales.order",
        string="Work Order",
        index="btree_not_null",
        readonly=True,
        copy=False,
        help="The work order whose parts this transfer consumed or took back.",
    )

    def _send_confirmation_email(self):
        # Parts used on a work order are not a delivery: the customer hears of
        # the work from the order (SMS, approval page), not from a shipping
        # notice, which stock_sms would moreover send inline, not queued.
        # The same for the units handed back at a desk: the customer is there.
        deliveries = self.filtered(
            lambda picking: (
                not picking.aftersales_order_id
                and not picking.picking_type_id._is_aftersales_unit_hand_back()
            )
        )
        return super(StockPicking, deliveries)._send_confirmation_email()


class StockPickingType(models.Model):
    _inherit = "stock.picking.type"

    def _is_aftersales_unit_hand_back(self):
        """Whether this is the "Units Handed Back" operation type of its
        warehouse (the desks' deliveries of the customers' units)."""
        return len(self) == 1 and self == self.warehouse_id.aftersales_unit_out_type_id

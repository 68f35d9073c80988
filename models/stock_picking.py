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
        deliveries = self.filtered(lambda picking: not picking.aftersales_order_id)
        return super(StockPicking, deliveries)._send_confirmation_email()

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

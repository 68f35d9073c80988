from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    aftersales_order_id = fields.Many2one(
        "aftersales.order",
        string="Work Order",
        index="btree_not_null",
        copy=False,
        help="The work order this line charges.",
    )

from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    aftersales_order_ids = fields.Many2many(
        "aftersales.order",
        "aftersales_order_account_move_rel",
        "move_id",
        "order_id",
        string="Work Orders",
        readonly=True,
        copy=False,
    )

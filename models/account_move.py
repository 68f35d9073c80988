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
    aftersales_contract_id = fields.Many2one(
        "aftersales.contract",
        string="Service Contract",
        readonly=True,
        copy=False,
        index="btree_not_null",
        check_company=True,
        help="The service contract this invoice bills.",
    )

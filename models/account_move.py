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

    def _reverse_moves(self, default_values_list=None, cancel=False):
        # A credit note of a contract invoice is the contract's too: it nets
        # what the contract invoiced and its income.
        default_values_list = default_values_list or [{} for _move in self]
        for move, default_values in zip(self, default_values_list, strict=True):
            if move.aftersales_contract_id:
                default_values.setdefault(
                    "aftersales_contract_id", move.aftersales_contract_id.id
                )
        return super()._reverse_moves(default_values_list, cancel=cancel)

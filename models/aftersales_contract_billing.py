from odoo import fields, models


class AftersalesContractBilling(models.Model):
    """One billing period of a contract and the invoice that billed it: the
    unique (contract, period) makes a period billed once, whoever bills it."""

    _name = "aftersales.contract.billing"
    _description = "After-Sales Contract Billing Period"
    _order = "contract_id, date_from"
    _check_company_auto = True

    contract_id = fields.Many2one(
        "aftersales.contract", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(
        related="contract_id.company_id", store=True, index=True
    )
    date_from = fields.Date(required=True)
    date_to = fields.Date(required=True)
    move_id = fields.Many2one(
        "account.move", string="Invoice", index="btree_not_null", ondelete="set null"
    )

    _period_uniq = models.Constraint(
        "unique(contract_id, date_from)", "A contract's period is billed once."
    )

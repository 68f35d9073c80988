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
    currency_id = fields.Many2one(related="contract_id.currency_id")
    amount = fields.Monetary(
        help="What the period costs before tax: the price per year for its "
        "months, a cut last period prorated by its days."
    )
    move_id = fields.Many2one(
        "account.move", string="Invoice", index="btree_not_null", ondelete="set null"
    )
    payment_state = fields.Selection(
        related="move_id.payment_state", string="Payment Status"
    )

    _period_uniq = models.Constraint(
        "unique(contract_id, date_from)", "A contract's period is billed once."
    )

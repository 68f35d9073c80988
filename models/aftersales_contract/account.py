from odoo import fields, models


class AftersalesContract(models.Model):
    """The contract in accounting (depends on ``account``): invoices per
    billing plan, once per period; invoiced, paid and due."""

    _inherit = "aftersales.contract"

    billing_ids = fields.One2many(
        "aftersales.contract.billing", "contract_id", string="Billing Periods"
    )

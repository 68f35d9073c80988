from odoo import fields, models


class AftersalesContract(models.Model):
    """The contract's planned visits (depends on the work order): plan lines
    turned into work orders ahead of time, reminders, planned vs done."""

    _inherit = "aftersales.contract"

    plan_ids = fields.One2many(
        "aftersales.contract.plan", "contract_id", string="Planned Visits", copy=True
    )

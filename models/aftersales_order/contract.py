from odoo import fields, models


class AftersalesOrder(models.Model):
    """The work order under a service contract (depends on the contract): the
    contract that covers or planned it, its coverage and caps."""

    _inherit = "aftersales.order"

    contract_id = fields.Many2one(
        "aftersales.contract",
        index="btree_not_null",
        check_company=True,
        tracking=True,
        help="The service contract that covers this unit or planned this visit.",
    )
    # ============================================================
    # Coverage and caps (the coverage work writes below this line)
    # ============================================================

    # ============================================================
    # Planned visits (the planning work writes below this line)
    # ============================================================

    contract_unit_id = fields.Many2one(
        "aftersales.contract.unit", index="btree_not_null", readonly=True, copy=False
    )
    contract_plan_id = fields.Many2one(
        "aftersales.contract.plan",
        string="Contract Plan Line",
        index="btree_not_null",
        readonly=True,
        copy=False,
    )
    planned_date = fields.Date(
        readonly=True,
        copy=False,
        help="The day the contract's plan set this visit for.",
    )

    # A plan line's visit of a unit on a day exists once, whoever planned it.
    _contract_visit_uniq = models.UniqueIndex(
        "(contract_plan_id, contract_unit_id, planned_date) "
        "WHERE contract_plan_id IS NOT NULL",
        "This planned visit already has a work order.",
    )

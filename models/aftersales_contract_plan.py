from odoo import api, fields, models
from odoo.exceptions import ValidationError

RECURRENCE_RULES = [
    ("interval", "Every N Days, Weeks or Months"),
    ("weekdays", "On Chosen Weekdays"),
    ("monthdays", "On Chosen Days of the Month"),
]
INTERVAL_UNITS = [("days", "Days"), ("weeks", "Weeks"), ("months", "Months")]


class AftersalesContractPlan(models.Model):
    """A line of planned visits: which service, how often, in which time
    window, for which of the contract's units. On a template, the plan a new
    contract of the template starts with."""

    _name = "aftersales.contract.plan"
    _description = "After-Sales Contract Plan Line"
    _order = "sequence, id"
    _check_company_auto = True

    sequence = fields.Integer(default=10)
    contract_id = fields.Many2one(
        "aftersales.contract", index="btree_not_null", ondelete="cascade"
    )
    template_id = fields.Many2one(
        "aftersales.contract.template", index="btree_not_null", ondelete="cascade"
    )
    company_id = fields.Many2one(
        "res.company",
        compute="_compute_company_id",
        store=True,
        index=True,
        precompute=True,
    )
    name = fields.Char(string="Description", translate=True)
    service_type_id = fields.Many2one(
        "aftersales.service.type", required=True, check_company=True
    )
    rule_type = fields.Selection(
        RECURRENCE_RULES, string="Repeat", required=True, default="interval"
    )
    interval = fields.Integer(string="Every", default=6)
    interval_unit = fields.Selection(INTERVAL_UNITS, default="months")
    mon = fields.Boolean(string="Mon")
    tue = fields.Boolean(string="Tue")
    wed = fields.Boolean(string="Wed")
    thu = fields.Boolean(string="Thu")
    fri = fields.Boolean(string="Fri")
    sat = fields.Boolean(string="Sat")
    sun = fields.Boolean(string="Sun")
    month_days = fields.Char(
        string="Days of the Month", help="Comma-separated days, e.g. 1, 15."
    )
    hour_from = fields.Float(
        string="Window From", default=9.0, help="Preferred visit window, local time."
    )
    hour_to = fields.Float(string="Window To", default=12.0)
    unit_ids = fields.Many2many(
        "aftersales.contract.unit",
        string="Units",
        domain="[('contract_id', '=', contract_id)]",
        help="The units visited; empty: every unit of the contract.",
    )
    generated_until = fields.Date(
        readonly=True,
        copy=False,
        help="The visits planned up to this day exist as work orders.",
    )

    _owner_check = models.Constraint(
        "CHECK((contract_id IS NULL) != (template_id IS NULL))",
        "A plan line belongs to a contract or to a template.",
    )

    @api.depends("contract_id.company_id", "template_id.company_id")
    def _compute_company_id(self):
        for plan in self:
            plan.company_id = (
                plan.contract_id.company_id
                or plan.template_id.company_id
                or self.env.company
            )

    @api.constrains("hour_from", "hour_to")
    def _check_window(self):
        for plan in self:
            if not (0 <= plan.hour_from < plan.hour_to <= 24):
                raise ValidationError(
                    self.env._(
                        "The visit window of %(plan)s must start before it ends, "
                        "within the day.",
                        plan=plan.display_name,
                    )
                )

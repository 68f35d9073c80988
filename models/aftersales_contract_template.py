from odoo import api, fields, models
from odoo.exceptions import ValidationError

# The kinds of service contract our users sell. Each kind says what it covers
# by default; a template of the kind sets the price, plan and caps.
CONTRACT_KINDS = [
    ("amc", "Comprehensive (AMC)"),
    ("cmc", "Labour Only (CMC)"),
    ("extended_warranty", "Extended Warranty"),
    ("call_based", "Call-Based"),
]

# What each kind covers unless its template or contract says otherwise:
# (parts, labour, travel).
KIND_COVERAGE = {
    "amc": (True, True, True),
    "cmc": (False, True, True),
    "extended_warranty": (True, True, False),
    "call_based": (False, False, False),
}

BILLING_PLANS = [
    ("upfront", "Up Front"),
    ("monthly", "Monthly"),
    ("quarterly", "Quarterly"),
    ("yearly", "Yearly"),
]

# Months in one billing period (up front: the whole term, one invoice).
BILLING_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}

CAP_PERIODS = [
    ("term", "Whole Term"),
    ("year", "Per Year"),
    ("month", "Per Month"),
]


class AftersalesContractTemplate(models.Model):
    """A kind of contract as it is sold: coverage, caps, billing plan, price
    and planned visits by default. A new contract copies them."""

    _name = "aftersales.contract.template"
    _description = "After-Sales Contract Template"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    kind = fields.Selection(CONTRACT_KINDS, required=True, default="amc")
    description = fields.Html(translate=True)

    # Term and price
    duration_months = fields.Integer(
        string="Duration (months)", default=12, required=True
    )
    billing_plan = fields.Selection(BILLING_PLANS, required=True, default="yearly")
    price = fields.Monetary(
        string="Price per Year",
        help="What the customer pays for one year of the contract, before tax; "
        "billed by the billing plan.",
    )
    product_id = fields.Many2one(
        "product.product",
        string="Invoicing Product",
        check_company=True,
        domain=[("type", "=", "service")],
        help="The service product on the contract's invoices and renewal offers: "
        "its taxes and income account apply.",
    )

    # Coverage
    covers_parts = fields.Boolean(
        compute="_compute_coverage", store=True, readonly=False, precompute=True
    )
    covers_labour = fields.Boolean(
        compute="_compute_coverage", store=True, readonly=False, precompute=True
    )
    covers_travel = fields.Boolean(
        compute="_compute_coverage", store=True, readonly=False, precompute=True
    )
    visit_cap = fields.Integer(
        string="Visits Covered",
        help="Covered visits per cap period; 0: no limit. Beyond it, labour and "
        "travel are charged.",
    )
    parts_cap = fields.Monetary(
        string="Parts Value Covered",
        help="Value of the parts covered per cap period; 0: no limit. Beyond it, "
        "parts are charged.",
    )
    cap_period = fields.Selection(CAP_PERIODS, required=True, default="year")
    priority = fields.Selection(
        [("0", "Normal"), ("1", "High"), ("2", "Urgent")],
        string="SLA Priority",
        default="0",
        required=True,
        help="The priority of the contract's work orders: the SLA policies of "
        "that priority apply to them.",
    )

    # Planned visits by default
    plan_ids = fields.One2many(
        "aftersales.contract.plan", "template_id", string="Planned Visits"
    )

    @api.depends("kind")
    def _compute_coverage(self):
        for template in self:
            parts, labour, travel = KIND_COVERAGE[template.kind or "amc"]
            template.covers_parts = parts
            template.covers_labour = labour
            template.covers_travel = travel

    @api.constrains("duration_months", "visit_cap", "parts_cap", "price")
    def _check_amounts(self):
        for template in self:
            if template.duration_months <= 0:
                raise ValidationError(
                    self.env._(
                        "Template %(name)s must last at least one month.",
                        name=template.name,
                    )
                )
            if template.visit_cap < 0 or template.parts_cap < 0 or template.price < 0:
                raise ValidationError(
                    self.env._(
                        "The price and caps of template %(name)s cannot be below zero.",
                        name=template.name,
                    )
                )

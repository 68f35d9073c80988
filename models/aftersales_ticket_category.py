from odoo import fields, models

# What a request is, as the Swedish support system's web forms name them.
CATEGORY_KINDS = [
    ("service_report", "Service Report"),
    ("deviation", "Deviation"),
    ("order", "Order"),
    ("question", "Question"),
]


class AftersalesTicketCategory(models.Model):
    """What a request is about; the public form offers the published ones."""

    _name = "aftersales.ticket.category"
    _description = "After-Sales Service Request Category"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True)
    kind = fields.Selection(CATEGORY_KINDS, required=True, default="question")
    public = fields.Boolean(
        string="On the Public Form",
        default=True,
        help="Offered on the web form without login and on the site QR page.",
    )
    # No check_company: the shipped categories are shared by all companies,
    # and routing ignores a team of another company than the request's.
    team_id = fields.Many2one(
        "aftersales.ticket.team",
        help="The team its requests go to when no area of responsibility says "
        "otherwise (a team of another company than the request's is ignored).",
    )
    service_type_id = fields.Many2one(
        "aftersales.service.type",
        check_company=True,
        help="The work its requests usually become (proposed on conversion).",
    )
    description = fields.Text(
        translate=True, help="The hint the request form shows under the category."
    )

from odoo import fields, models


class AftersalesServiceType(models.Model):
    _name = "aftersales.service.type"
    _description = "After-Sales Service Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True,
        help="Short technical code used by integrations and routing rules.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    description = fields.Text(translate=True)
    company_id = fields.Many2one(
        "res.company",
        index=True,
        help="Leave empty to share this service type between all companies.",
    )

    # Completion rules
    approval_required = fields.Boolean(
        string="Customer Approval Required",
        help="A work order of this type can only be completed once the customer "
        "has approved the work.",
    )
    is_repair = fields.Boolean(
        string="Counts as a Repair",
        help="Work orders of this type count towards the replacement threshold.",
    )
    starts_warranty = fields.Boolean(
        string="Starts Warranties",
        help="Completing a work order of this type starts the serial's warranty "
        "when its type starts at installation.",
    )
    default_duration = fields.Float(
        string="Default Duration (hours)",
        default=1.0,
        help="Planned time on site, used to block the technician's calendar.",
    )

    # NULLS NOT DISTINCT: a shared type (no company) must not duplicate a code either.
    _code_company_uniq = models.UniqueIndex(
        "(code, company_id) NULLS NOT DISTINCT",
        "The code of a service type must be unique per company.",
    )

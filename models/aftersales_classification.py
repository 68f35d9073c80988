from odoo import api, fields, models


class AftersalesClassification(models.Model):
    """One of the business's own classification codes of work orders (the
    fault seen, its cause, the action taken, a customer category...), found
    by code or name."""

    _name = "aftersales.classification"
    _description = "After-Sales Classification Code"
    _order = "kind, code"
    _rec_names_search = ["code", "name"]
    _check_company_auto = True

    code = fields.Char(required=True, index=True)
    name = fields.Char(required=True, translate=True)
    kind = fields.Selection(
        [
            ("fault", "Fault"),
            ("cause", "Cause"),
            ("action", "Action"),
            ("other", "Other"),
        ],
        required=True,
        default="fault",
    )
    color = fields.Integer()
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True)

    _code_unique = models.Constraint(
        "UNIQUE(company_id, kind, code)",
        "A classification code is unique per kind and company.",
    )

    @api.depends("code", "name")
    def _compute_display_name(self):
        for record in self:
            record.display_name = f"[{record.code}] {record.name}"

from odoo import fields, models


class AftersalesResolutionCode(models.Model):
    _name = "aftersales.resolution.code"
    _description = "After-Sales Resolution Code"
    _order = "sequence, code, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, index=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True)
    fixed = fields.Boolean(
        string="Fixes the Fault",
        default=True,
        help="The unit works after the visit; clear it when the code means "
        "another visit is needed (part ordered, unit taken to the shop, ...).",
    )

    _code_company_uniq = models.Constraint(
        "UNIQUE (code, company_id)",
        "A resolution code must be unique per company.",
    )

    def _compute_display_name(self):
        for code in self:
            code.display_name = f"[{code.code}] {code.name}"

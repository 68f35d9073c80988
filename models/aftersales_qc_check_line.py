from odoo import fields, models


class AftersalesQcCheckLine(models.Model):
    _name = "aftersales.qc.check.line"
    _description = "Quality Check Point Result"
    _order = "check_id, sequence, id"

    check_id = fields.Many2one(
        "aftersales.qc.check",
        string="Quality Check",
        required=True,
        index=True,
        ondelete="cascade",
    )
    sequence = fields.Integer(default=10)
    name = fields.Char(string="Check", required=True)
    mandatory = fields.Boolean(default=True)
    passed = fields.Boolean(string="OK")
    note = fields.Char()

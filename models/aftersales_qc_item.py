from odoo import fields, models


class AftersalesQcItem(models.Model):
    _name = "aftersales.qc.item"
    _description = "Quality Checklist Point"
    _order = "service_type_id, sequence, id"

    service_type_id = fields.Many2one(
        "aftersales.service.type", required=True, index=True, ondelete="cascade"
    )
    sequence = fields.Integer(default=10)
    name = fields.Char(string="Check", required=True, translate=True)
    mandatory = fields.Boolean(
        default=True, help="A check cannot pass unless this point is ticked."
    )

from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    aftersales_service_type_id = fields.Many2one(
        "aftersales.service.type",
        string="After-Sales Service",
        help="Confirming a sale of this product creates a work order of this "
        "type for each unit sold (each serial, for tracked products).",
    )

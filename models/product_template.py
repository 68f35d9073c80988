from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    aftersales_service_type_id = fields.Many2one(
        "aftersales.service.type",
        string="After-Sales Service",
        help="Confirming a sale of this product creates a work order of this "
        "type for each unit sold (each serial, for tracked products).",
    )
    aftersales_warranty_type_id = fields.Many2one(
        "aftersales.warranty.type",
        string="Warranty",
        help="Warranty given with each serial of this product; the category's "
        "default when empty.",
    )

    def _get_aftersales_warranty_type(self):
        self.ensure_one()
        return (
            self.aftersales_warranty_type_id
            or self.categ_id._get_aftersales_warranty_type()
        )

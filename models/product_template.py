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

    aftersales_spare_part_ids = fields.Many2many(
        "product.product",
        "product_template_aftersales_spare_part_rel",
        "template_id",
        "part_id",
        string="Spare Parts",
        domain=[("type", "=", "consu")],
        help="Parts technicians commonly replace on this product: suggested on "
        "its work orders.",
    )

    def _get_aftersales_warranty_type(self):
        self.ensure_one()
        return (
            self.aftersales_warranty_type_id
            or self.categ_id._get_aftersales_warranty_type()
        )

from odoo import fields, models


class ProductCategory(models.Model):
    _inherit = "product.category"

    aftersales_warranty_type_id = fields.Many2one(
        "aftersales.warranty.type",
        string="Default Warranty",
        help="Warranty of the serial-tracked products of this category (and of its "
        "sub-categories) that set none themselves.",
    )

    def _get_aftersales_warranty_type(self):
        """The warranty type of the nearest category, self first, that has one
        (none for products without a category, which Odoo 19 allows)."""
        category = self[:1]
        while category and not category.aftersales_warranty_type_id:
            category = category.parent_id
        return category.aftersales_warranty_type_id

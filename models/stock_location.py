from odoo import fields, models


class StockLocation(models.Model):
    _inherit = "stock.location"

    aftersales_center_id = fields.Many2one(
        "aftersales.center",
        string="Service Center",
        index="btree_not_null",
        ondelete="set null",
        help="The service center whose stock (or technician's van) this is: its "
        "staff see it, other centers do not.",
    )

from odoo import api, fields, models


class StockLot(models.Model):
    _inherit = "stock.lot"

    aftersales_warranty_ids = fields.One2many(
        "aftersales.warranty", "lot_id", string="Warranties"
    )
    aftersales_warranty_id = fields.Many2one(
        "aftersales.warranty",
        string="Warranty",
        compute="_compute_aftersales_warranty_id",
        help="The serial's current warranty (not void).",
    )
    aftersales_warranty_state = fields.Selection(
        [
            ("draft", "Not Started"),
            ("active", "Active"),
            ("expired", "Expired"),
        ],
        string="Warranty Status",
        compute="_compute_aftersales_warranty_id",
    )
    aftersales_warranty_end = fields.Date(
        string="Warranty Until", compute="_compute_aftersales_warranty_id"
    )

    @api.depends("aftersales_warranty_ids.state", "aftersales_warranty_ids.date_end")
    def _compute_aftersales_warranty_id(self):
        for lot in self:
            current = lot.aftersales_warranty_ids.filtered(lambda w: w.state != "void")
            warranty = current.sorted("date_end", reverse=True)[:1]
            lot.aftersales_warranty_id = warranty
            lot.aftersales_warranty_state = warranty.state
            lot.aftersales_warranty_end = warranty.date_end

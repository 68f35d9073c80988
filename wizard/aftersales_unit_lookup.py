from odoo import api, fields, models


class AftersalesUnitLookup(models.TransientModel):
    """One search box for a unit: by serial, warranty card, product code,
    customer name or phone."""

    _name = "aftersales.unit.lookup"
    _description = "Find a Unit"

    query = fields.Char(
        string="Search",
        help="Serial number, warranty card number, product code, customer name or "
        "phone.",
    )
    lot_ids = fields.Many2many(
        "stock.lot", string="Units", compute="_compute_lot_ids", readonly=True
    )

    @api.depends("query")
    def _compute_lot_ids(self):
        for lookup in self:
            lookup.lot_ids = self.env["stock.lot"]._aftersales_lookup(lookup.query)

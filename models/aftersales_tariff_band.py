from odoo import api, fields, models
from odoo.exceptions import ValidationError


class AftersalesTariffBand(models.Model):
    _name = "aftersales.tariff.band"
    _description = "Travel Band of a Settlement Tariff"
    _order = "tariff_id, km_from, id"

    tariff_id = fields.Many2one(
        "aftersales.tariff", required=True, index=True, ondelete="cascade"
    )
    km_from = fields.Float(string="From (km)", required=True)
    km_to = fields.Float(string="Up to (km)", help="Empty: no upper limit.")
    amount = fields.Monetary(required=True)
    currency_id = fields.Many2one(related="tariff_id.currency_id")

    @api.constrains("km_from", "km_to")
    def _check_range(self):
        for band in self:
            if band.km_from < 0 or (band.km_to and band.km_to <= band.km_from):
                raise ValidationError(
                    self.env._("A travel band runs from a distance to a larger one.")
                )

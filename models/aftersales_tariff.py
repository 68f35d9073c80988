from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools.distance import great_circle_km
from .aftersales_contract_template import CONTRACT_KINDS


def _contract_kind(order):
    # The center's pay follows the contract, whoever settles the work.
    contract_sudo = order.contract_id.sudo()
    return contract_sudo.kind or "none"


# The dimensions a tariff may restrict, from the order's point of view.
TARIFF_DIMENSIONS = {
    "service_type_id": lambda order: order.service_type_id,
    "center_kind": lambda order: order.center_id.kind,
    "country_id": lambda order: order.country_id,
    "state_id": lambda order: order.state_id,
    "product_categ_id": lambda order: order.product_categ_id,
    "under_contract": lambda order: "yes" if order.contract_id else "no",
    "contract_kind": _contract_kind,
}


class AftersalesTariff(models.Model):
    _name = "aftersales.tariff"
    _description = "Service Center Settlement Tariff"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(
        default=10, help="Among equally specific tariffs, the first one applies."
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
    )

    # When and to what it applies (empty: any)
    date_from = fields.Date(string="Valid From", index=True)
    date_to = fields.Date(string="Valid Until", index=True)
    service_type_id = fields.Many2one("aftersales.service.type", check_company=True)
    center_kind = fields.Selection(
        [("authorized", "Authorized"), ("private", "Private")]
    )
    country_id = fields.Many2one("res.country")
    state_id = fields.Many2one(
        "res.country.state",
        string="Region",
        domain="[('country_id', '=?', country_id)]",
    )
    product_categ_id = fields.Many2one("product.category", string="Product Category")
    under_contract = fields.Selection(
        [("yes", "Under Contract"), ("no", "Without Contract")],
        string="Contract Work",
        help="Pays the work orders under a service contract, or those without one.",
    )
    contract_kind = fields.Selection(
        [("none", "No Contract"), *CONTRACT_KINDS],
        help="Pays the work orders under a service contract of this kind.",
    )

    # What the center earns
    amount = fields.Monetary(
        string="Per Work Order", help="Paid for each completed work order."
    )
    travel_mode = fields.Selection(
        [("none", "No Travel"), ("flat", "Flat Amount"), ("band", "By Distance")],
        default="none",
        required=True,
    )
    travel_amount = fields.Monetary(string="Travel (flat)")
    band_ids = fields.One2many(
        "aftersales.tariff.band", "tariff_id", string="Travel Bands"
    )
    part_fee = fields.Monetary(
        string="Handling Fee per Part", help="Paid for each part line consumed."
    )

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for tariff in self:
            if (
                tariff.date_from
                and tariff.date_to
                and tariff.date_to < tariff.date_from
            ):
                raise ValidationError(
                    self.env._(
                        "Tariff %(name)s ends before it starts.", name=tariff.name
                    )
                )

    # ------------------------------------------------------------
    # Selection
    # ------------------------------------------------------------

    def _matches(self, order, date):
        self.ensure_one()
        if self.company_id != order.company_id:
            return False
        if (self.date_from and date < self.date_from) or (
            self.date_to and date > self.date_to
        ):
            return False
        return all(
            not self[fname] or self[fname] == value(order)
            for fname, value in TARIFF_DIMENSIONS.items()
        )

    def _specificity(self):
        return sum(1 for fname in TARIFF_DIMENSIONS if self[fname])

    @api.model
    def _select_for_orders(self, orders):
        """{order: tariff} for the orders, the most specific tariff valid on
        the day each was completed; tariffs are read with one search."""
        tariffs = self.search(
            [("company_id", "in", orders.company_id.ids)], order="sequence, id"
        )
        ranked = sorted(tariffs, key=lambda t: -t._specificity())
        result = {}
        for order in orders:
            date = fields.Date.to_date(order.date_done) or fields.Date.today()
            result[order] = next(
                (tariff for tariff in ranked if tariff._matches(order, date)),
                self.browse(),
            )
        return result

    # ------------------------------------------------------------
    # Amounts
    # ------------------------------------------------------------

    def _get_travel_amount(self, order):
        self.ensure_one()
        if self.travel_mode == "flat":
            return self.travel_amount
        if self.travel_mode != "band":
            return 0.0
        center = order.center_id
        if not (order.latitude or order.longitude) or not (
            center.latitude or center.longitude
        ):
            return 0.0
        km = great_circle_km(
            center.latitude, center.longitude, order.latitude, order.longitude
        )
        band = self.band_ids.filtered(
            lambda b: b.km_from <= km and (not b.km_to or km < b.km_to)
        )[:1]
        return band.amount

    def _get_amounts(self, order, part_count):
        """(service, travel, parts) the center earns for ``order``."""
        self.ensure_one()
        return (
            self.amount,
            self._get_travel_amount(order),
            self.part_fee * part_count,
        )

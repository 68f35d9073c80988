from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .aftersales_contract.states import LIVE_STATES


class AftersalesContractUnit(models.Model):
    """A unit a contract covers: a serial, or a product at a site."""

    _name = "aftersales.contract.unit"
    _description = "After-Sales Contract Unit"
    _order = "contract_id, id"
    _check_company_auto = True

    contract_id = fields.Many2one(
        "aftersales.contract", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(
        related="contract_id.company_id", store=True, index=True
    )
    partner_id = fields.Many2one(related="contract_id.partner_id")
    lot_id = fields.Many2one(
        "stock.lot",
        string="Serial Number",
        index="btree_not_null",
        check_company=True,
        domain="[('product_id', '=?', product_id)]",
    )
    product_id = fields.Many2one(
        "product.product",
        compute="_compute_product_id",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        index=True,
        check_company=True,
        domain=[("type", "=", "consu")],
    )
    address_id = fields.Many2one(
        "res.partner",
        string="Site",
        compute="_compute_address_id",
        store=True,
        readonly=False,
        precompute=True,
        check_company=True,
        help="Where the unit is installed: the visits planned for it go there.",
    )
    note = fields.Char()

    @api.depends("lot_id")
    def _compute_product_id(self):
        for unit in self:
            if unit.lot_id:
                unit.product_id = unit.lot_id.product_id

    @api.depends("contract_id.partner_id")
    def _compute_address_id(self):
        for unit in self:
            if not unit.address_id and unit.contract_id.partner_id:
                unit.address_id = unit.contract_id.partner_id.address_get(["delivery"])[
                    "delivery"
                ]

    def _matches(self, unit):
        """Whether this line covers ``unit`` (see contract ``_find_covering``)."""
        self.ensure_one()
        if self.lot_id:
            return self.lot_id.id == unit.get("lot_id")
        return self.product_id.id == unit["product_id"] and (
            not self.address_id or self.address_id.id == unit.get("address_id")
        )

    @api.constrains("lot_id", "product_id", "address_id", "contract_id")
    def _check_covered_once(self):
        """A unit is covered by one live contract of a kind at a time."""
        for unit in self:
            contract = unit.contract_id
            if contract.state not in LIVE_STATES:
                continue
            domain = [
                ("id", "!=", unit.id),
                ("contract_id.company_id", "=", contract.company_id.id),
                ("contract_id.kind", "=", contract.kind),
                ("contract_id.state", "in", LIVE_STATES),
                ("contract_id.date_start", "<=", contract.date_end),
                ("contract_id.date_end", ">=", contract.date_start),
            ]
            if unit.lot_id:
                domain.append(("lot_id", "=", unit.lot_id.id))
            else:
                domain += [
                    ("lot_id", "=", False),
                    ("product_id", "=", unit.product_id.id),
                    ("address_id", "=", unit.address_id.id),
                ]
            # The clash may be in a contract the user cannot read.
            clash = self.sudo().search(domain, limit=1)
            if clash and clash.contract_id != contract:
                raise ValidationError(
                    self.env._(
                        "%(unit)s is already covered by contract %(other)s of the "
                        "same kind over these dates.",
                        unit=unit.lot_id.name or unit.product_id.display_name,
                        other=clash.contract_id.name,
                    )
                )
            if clash:
                raise ValidationError(
                    self.env._(
                        "%(unit)s is listed twice on contract %(contract)s.",
                        unit=unit.lot_id.name or unit.product_id.display_name,
                        contract=contract.name,
                    )
                )

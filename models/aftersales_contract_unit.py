from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain

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
            customer = unit.contract_id.partner_id
            if not customer:
                continue
            # A site of another customer (the contract's customer changed)
            # gives way to the new customer's delivery address.
            if (
                not unit.address_id
                or unit.address_id.commercial_partner_id
                != customer.commercial_partner_id
            ):
                unit.address_id = customer.address_get(["delivery"])["delivery"]

    def _matches(self, unit):
        """Whether this line covers ``unit`` (see contract ``_find_covering``)."""
        self.ensure_one()
        if self.lot_id:
            return self.lot_id.id == unit.get("lot_id")
        return self.product_id.id == unit["product_id"] and (
            not self.address_id or self.address_id.id == unit.get("address_id")
        )

    def _get_clash_domain(self):
        """The other lines that cover this line's unit: the same serial; or,
        for the customer, a line of its product at the same site (a line
        without a site covers the product at every site, and its serials)."""
        self.ensure_one()
        customer = Domain(
            "contract_id.commercial_partner_id",
            "=",
            self.contract_id.commercial_partner_id.id,
        )
        product = Domain("product_id", "=", self.product_id.id)
        anywhere = Domain("lot_id", "=", False) & Domain("address_id", "=", False)
        if self.lot_id:
            return Domain("lot_id", "=", self.lot_id.id) | (
                customer & product & anywhere
            )
        if self.address_id:
            return (
                customer
                & product
                & Domain("lot_id", "=", False)
                & Domain("address_id", "in", [self.address_id.id, False])
            )
        return customer & product

    @api.constrains("lot_id", "product_id", "address_id", "contract_id")
    def _check_covered_once(self):
        """A unit is covered by one live contract of a kind at a time: its
        serial or its product at its site on one contract, and no contract of
        the kind for every unit of the customer over the same dates."""
        # The clash may be in a contract the user cannot read.
        lines_sudo = self.sudo()
        whole_by_contract = {}
        for unit in self:
            contract = unit.contract_id
            if contract.state not in LIVE_STATES:
                continue
            overlapping = contract._get_overlap_domain()
            clash_sudo = lines_sudo.search(
                Domain("id", "!=", unit.id)
                & unit._get_clash_domain()
                & (
                    Domain("contract_id", "=", contract.id)
                    | Domain("contract_id", "any", overlapping)
                ),
                limit=1,
            )
            name = unit.lot_id.name or unit.product_id.display_name
            if clash_sudo.contract_id == contract:
                raise ValidationError(
                    self.env._(
                        "%(unit)s is listed twice on contract %(contract)s.",
                        unit=name,
                        contract=contract.name,
                    )
                )
            if clash_sudo:
                raise ValidationError(
                    self.env._(
                        "%(unit)s is already covered by contract %(other)s of the "
                        "same kind over these dates.",
                        unit=name,
                        other=clash_sudo.contract_id.name,
                    )
                )
            if contract not in whole_by_contract:
                # Same reason: one search per contract, not per line.
                whole_by_contract[contract] = contract.sudo().search(
                    overlapping & Domain("scope", "=", "customer"), limit=1
                )
            whole_sudo = whole_by_contract[contract]
            if whole_sudo:
                raise ValidationError(
                    self.env._(
                        "%(unit)s is already covered by contract %(other)s of the "
                        "same kind, which covers every unit of %(customer)s over "
                        "these dates.",
                        unit=name,
                        other=whole_sudo.name,
                        customer=contract.partner_id.display_name,
                    )
                )

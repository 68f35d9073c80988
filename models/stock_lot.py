import re
import secrets

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.fields import Domain

from ..tools.phone import e164_or_none

# How many units a lookup shows at most.
LOOKUP_LIMIT = 80
# Characters of a serial enough to search for the serials containing them.
LOOKUP_MIN_PARTIAL = 4


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

    aftersales_order_ids = fields.One2many(
        "aftersales.order", "lot_id", string="Work Orders"
    )
    aftersales_qr_token = fields.Char(
        string="QR Token",
        copy=False,
        index="btree_not_null",
        readonly=True,
        groups="aftersales.group_dispatcher",
        help="Secret part of the unit's QR code link.",
    )
    aftersales_qr_url = fields.Char(
        string="QR Link",
        compute="_compute_aftersales_qr_url",
        groups="aftersales.group_dispatcher",
    )
    aftersales_owner_id = fields.Many2one(
        "res.partner",
        string="Owner",
        compute="_compute_aftersales_history",
        help="The customer of the current warranty, else of the last work order.",
    )
    aftersales_delivery_line_ids = fields.Many2many(
        "stock.move.line",
        string="Deliveries",
        compute="_compute_aftersales_sales",
        groups="aftersales.group_dispatcher",
    )
    aftersales_sale_line_ids = fields.Many2many(
        "sale.order.line",
        string="Sales",
        compute="_compute_aftersales_sales",
        groups="aftersales.group_dispatcher",
    )
    aftersales_approval_ids = fields.Many2many(
        "aftersales.approval",
        string="Customer Decisions",
        compute="_compute_aftersales_history",
    )

    @api.depends("aftersales_warranty_ids.state", "aftersales_warranty_ids.date_end")
    def _compute_aftersales_warranty_id(self):
        for lot in self:
            current = lot.aftersales_warranty_ids.filtered(lambda w: w.state != "void")
            warranty = current.sorted("date_end", reverse=True)[:1]
            lot.aftersales_warranty_id = warranty
            lot.aftersales_warranty_state = warranty.state
            lot.aftersales_warranty_end = warranty.date_end

    def _compute_aftersales_qr_url(self):
        for lot in self:
            lot.aftersales_qr_url = (
                f"{lot.get_base_url()}/aftersales/qr/{lot.aftersales_qr_token}"
                if lot.aftersales_qr_token
                else False
            )

    def _aftersales_ensure_qr_token(self):
        """The unit's QR token, created the first time it is printed. Only
        dispatchers print QR codes: the token opens a service request for
        the unit to whoever holds it."""
        if not self.env.su and not self.env.user.has_group(
            "aftersales.group_dispatcher"
        ):
            raise AccessError(
                self.env._("Only dispatchers print the QR codes of units.")
            )
        self.check_access("read")
        # The token is not writable by users (readonly, created here).
        lots_sudo = self.sudo()
        for lot in lots_sudo.filtered(lambda lot: not lot.aftersales_qr_token):
            lot.aftersales_qr_token = secrets.token_urlsafe(18)
        return {lot.id: lot.aftersales_qr_token for lot in lots_sudo}

    @api.model
    def _aftersales_get_by_qr_token(self, token):
        """The unit of a scanned QR code, as superuser (the scanner may be
        anyone); empty for an unknown or malformed token."""
        if not token or len(token) > 64:
            return self.browse()
        return self.sudo().search([("aftersales_qr_token", "=", token)], limit=1)

    def _compute_aftersales_history(self):
        for lot in self:
            orders = lot.aftersales_order_ids.sorted("id", reverse=True)
            lot.aftersales_approval_ids = orders.approval_ids
            lot.aftersales_owner_id = (
                lot.aftersales_warranty_id.partner_id or orders[:1].partner_id
            )

    def _compute_aftersales_sales(self):
        # Dispatchers see how a unit was sold and delivered without needing
        # sales or inventory rights (stock.move, sale.order.line).
        move_lines_sudo = self.env["stock.move.line"].sudo()
        delivered_sudo = move_lines_sudo.search(
            [
                ("lot_id", "in", self.ids),
                ("state", "=", "done"),
                ("location_dest_id.usage", "=", "customer"),
            ]
        )
        for lot in self:
            deliveries_sudo = delivered_sudo.filtered(
                lambda line, lot=lot: line.lot_id == lot
            )
            lot.aftersales_delivery_line_ids = deliveries_sudo
            lot.aftersales_sale_line_ids = deliveries_sudo.move_id.sale_line_id

    @api.model
    def name_search(self, name="", domain=None, operator="ilike", limit=100):
        """With ``aftersales_owner_first`` (a partner id) in the context, the
        serials of that customer come first (the serial dropdown of a work
        order): two searches, the customer's then the others."""
        partner_id = self.env.context.get("aftersales_owner_first")
        if not partner_id or not isinstance(partner_id, int):
            return super().name_search(name, domain, operator, limit)
        own_domain = Domain.OR(
            [
                [("aftersales_warranty_ids.partner_id", "child_of", partner_id)],
                [("aftersales_order_ids.partner_id", "child_of", partner_id)],
            ]
        )
        domain = Domain(domain or Domain.TRUE)
        own = super().name_search(name, domain & own_domain, operator, limit)
        if limit and len(own) >= limit:
            return own
        others = super().name_search(
            name,
            domain & Domain("id", "not in", [lot_id for lot_id, _name in own]),
            operator,
            limit and limit - len(own),
        )
        return own + others

    @api.model
    def _aftersales_lookup(self, query):
        """The units matching ``query``: a serial number (or at least
        LOOKUP_MIN_PARTIAL characters of one), a warranty card number, a
        product code, or a customer's name or phone number, in any local or
        international format."""
        query = (query or "").strip()
        if not query:
            return self.browse()
        Warranty = self.env["aftersales.warranty"]
        Order = self.env["aftersales.order"]
        lots = self.search([("name", "=ilike", query)], limit=LOOKUP_LIMIT)
        lots |= Warranty.search([("card_number", "=ilike", query)]).lot_id
        lots |= self.search(
            [("product_id.default_code", "=ilike", query)], limit=LOOKUP_LIMIT
        )
        if len(query) >= LOOKUP_MIN_PARTIAL:
            # After the exact matches: part of a serial read off a label.
            lots |= self.search([("name", "ilike", query)], limit=LOOKUP_LIMIT)
        customers = self.env["res.partner"].search(
            [("name", "ilike", query)], limit=LOOKUP_LIMIT
        )
        phone_domain = self._aftersales_phone_domain(query)
        if phone_domain:
            customers |= self.env["res.partner"].search(
                phone_domain, limit=LOOKUP_LIMIT
            )
        if customers:
            customers = customers.commercial_partner_id
            lots |= Warranty.search(
                [("partner_id", "child_of", customers.ids)], limit=LOOKUP_LIMIT
            ).lot_id
            lots |= Order.search(
                [("partner_id", "child_of", customers.ids), ("lot_id", "!=", False)],
                limit=LOOKUP_LIMIT,
            ).lot_id
        return lots[:LOOKUP_LIMIT]

    @api.model
    def _aftersales_phone_domain(self, query):
        """A partner domain for ``query`` read as a phone number, or None.
        Numbers are stored in E.164 (``phone_sanitized``); the query is read
        as the user's company country would write it ("0530 123 45 01"),
        then as the country of the user; a number valid in neither is looked
        up by its national digits, so a Turkish number typed the Turkish way
        is found even in a company set up in another country."""
        countries = self.env.company.country_id | self.env.user.country_id
        numbers = {
            number
            for country in countries or [self.env["res.country"]]
            if (number := e164_or_none(query, country))
        }
        if numbers:
            return [("phone_sanitized", "in", list(numbers))]
        if not re.fullmatch(r"[\d\s()+.\-/]{6,}", query):
            return None
        # The trunk prefix (0) is not part of the E.164 number.
        national = re.sub(r"\D", "", query).lstrip("0")
        if len(national) < 7:
            return None
        return [("phone_sanitized", "=like", f"+%{national}")]

    def action_aftersales_open_unit(self):
        """Open the unit card (read only: a card, not an edit form)."""
        self.ensure_one()
        card = self.env.ref("aftersales.stock_lot_view_form_aftersales")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Unit"),
            "res_model": "stock.lot",
            "res_id": self.id,
            "view_mode": "form",
            "views": [(card.id, "form")],
            "target": "current",
        }

    def action_aftersales_new_order(self):
        """A new work order for this unit, for its owner."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Work Order"),
            "res_model": "aftersales.order",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": {
                "default_lot_id": self.id,
                "default_product_id": self.product_id.id,
                "default_partner_id": self.aftersales_owner_id.id,
            },
        }

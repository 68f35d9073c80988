import secrets
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError

# Desk agents print and renew site QR codes (dispatchers imply agents).
SITE_QR_GROUP = "aftersales.group_desk_agent"


class ResPartner(models.Model):
    _inherit = "res.partner"

    aftersales_is_dealer = fields.Boolean(
        string="Dealer or Branch",
        help="Its portal users register sales and warranties of their customers "
        "and request service for them.",
    )
    aftersales_dealer_id = fields.Many2one(
        "res.partner",
        string="Registered by Dealer",
        index="btree_not_null",
        domain=[("aftersales_is_dealer", "=", True)],
        help="The dealer or branch this customer bought from.",
    )

    # Inverses read by the record rules only: the work a partner is the
    # customer, the service address or the center of (technicians and
    # center staff read the partners of their own work, not the whole
    # address book).
    aftersales_order_ids = fields.One2many(
        "aftersales.order", "partner_id", groups="aftersales.group_dispatcher"
    )
    aftersales_address_order_ids = fields.One2many(
        "aftersales.order", "address_id", groups="aftersales.group_dispatcher"
    )
    aftersales_center_ids = fields.One2many(
        "aftersales.center", "partner_id", groups="aftersales.group_dispatcher"
    )

    # The site QR code: a sticker at a customer's address opens a deviation
    # report for that site, prefilled with the address and contact person.
    aftersales_site_token = fields.Char(
        string="Site QR Token",
        copy=False,
        index="btree_not_null",
        readonly=True,
        groups=SITE_QR_GROUP,
        help="Secret part of the site's QR code link; renewing it voids the "
        "printed labels.",
    )
    aftersales_site_contact_id = fields.Many2one(
        "res.partner",
        string="Site Contact Person",
        domain="[('id', 'child_of', commercial_partner_id), ('type', '=', 'contact')]",
        help="Whom the site QR page names as the contact at this address.",
    )

    _aftersales_site_token_unique = models.Constraint(
        "unique(aftersales_site_token)", "A site QR token opens one site only."
    )

    aftersales_warranty_count = fields.Integer(
        string="Warranties", compute="_compute_aftersales_counts"
    )
    aftersales_order_count = fields.Integer(
        string="Work Orders", compute="_compute_aftersales_counts"
    )

    def _compute_aftersales_counts(self):
        # A company counts the work of its contacts too (as Sales does): one
        # search for the contacts, one grouped count per model.
        partners = self.with_context(active_test=False).search_fetch(
            [("id", "child_of", self.ids)], ["parent_id"]
        )
        for fname, model in (
            ("aftersales_warranty_count", "aftersales.warranty"),
            ("aftersales_order_count", "aftersales.order"),
        ):
            counts = defaultdict(int)
            for partner, count in self.env[model]._read_group(
                [("partner_id", "in", partners.ids)], ["partner_id"], ["__count"]
            ):
                while partner:
                    if partner in self:
                        counts[partner] += count
                    partner = partner.parent_id
            for partner in self:
                partner[fname] = counts[partner]

    def action_view_aftersales_warranties(self):
        """Open the warranties of this customer."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales.aftersales_warranty_action"
        )
        action["domain"] = [("partner_id", "child_of", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action

    def action_view_aftersales_orders(self):
        """Open the work orders of this customer, open and closed."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales.aftersales_order_action"
        )
        action["domain"] = [("partner_id", "child_of", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action

    # ------------------------------------------------------------------
    # Site QR code
    # ------------------------------------------------------------------

    def _aftersales_check_site_qr_access(self):
        if not self.env.su and not self.env.user.has_group(SITE_QR_GROUP):
            raise AccessError(
                self.env._("Only the service desk prints the QR codes of sites.")
            )
        self.check_access("read")

    def _aftersales_ensure_site_token(self):
        """{partner id: token} of the sites, tokens made the first time a
        label is printed. The token opens a deviation report for the site to
        whoever holds the label: desk agents only."""
        self._aftersales_check_site_qr_access()
        # The token is readonly for users: created here, by the desk.
        partners_sudo = self.sudo()
        for partner in partners_sudo.filtered(lambda p: not p.aftersales_site_token):
            partner.aftersales_site_token = secrets.token_urlsafe(18)
        return {partner.id: partner.aftersales_site_token for partner in partners_sudo}

    def action_aftersales_renew_site_token(self):
        """Give the sites a new QR token: the labels printed before stop
        working (a label lost or copied)."""
        self._aftersales_check_site_qr_access()
        # The token is readonly for users: renewed here, by the desk.
        partners_sudo = self.sudo()
        for partner in partners_sudo:
            partner.aftersales_site_token = secrets.token_urlsafe(18)
        return True

    @api.model
    def _aftersales_get_by_site_token(self, token):
        """The site of a scanned QR code, as superuser (the scanner may be
        anyone); empty for an unknown or malformed token."""
        if not token or len(token) > 64:
            return self.browse()
        # The token is desk-only; a match proves the label is at hand.
        partners_sudo = self.sudo()
        return partners_sudo.search([("aftersales_site_token", "=", token)], limit=1)

    def _aftersales_site_contact(self):
        """The contact person the site's label and page name: the one set on
        the site, else the site's own first contact."""
        self.ensure_one()
        if self.aftersales_site_contact_id:
            return self.aftersales_site_contact_id
        return self.child_ids.filtered(lambda child: child.type == "contact")[:1]

    def _aftersales_site_address(self):
        """The site's address on one line, as the label prints it."""
        self.ensure_one()
        address = self._display_address(without_company=True)
        return ", ".join(line.strip() for line in address.splitlines() if line.strip())

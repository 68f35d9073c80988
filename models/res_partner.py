from collections import defaultdict

from odoo import fields, models


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

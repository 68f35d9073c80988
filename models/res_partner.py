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
        string="Warranties", compute="_compute_aftersales_warranty_count"
    )

    def _compute_aftersales_warranty_count(self):
        counts = dict(
            self.env["aftersales.warranty"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.aftersales_warranty_count = counts.get(partner, 0)

    def action_view_aftersales_warranties(self):
        """Open the warranties of this customer."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales.aftersales_warranty_action"
        )
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action

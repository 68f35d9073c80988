from odoo import api, fields, models


class AftersalesUnitLookup(models.TransientModel):
    """One search box for a unit: by serial, warranty card, product code,
    customer name or phone."""

    _name = "aftersales.unit.lookup"
    _description = "Find a Unit"

    query = fields.Char(
        string="Search",
        help="Serial number (or at least 4 characters of it), warranty card "
        "number, product code, customer name or phone, in any format.",
    )
    lot_ids = fields.Many2many(
        "stock.lot", string="Units", compute="_compute_lot_ids", readonly=True
    )
    found_nothing = fields.Boolean(compute="_compute_lot_ids")

    @api.depends("query")
    def _compute_lot_ids(self):
        for lookup in self:
            lookup.lot_ids = self.env["stock.lot"]._aftersales_lookup(lookup.query)
            lookup.found_nothing = bool((lookup.query or "").strip()) and not (
                lookup.lot_ids
            )

    def _compute_display_name(self):
        # The breadcrumb and the dialog title of a search tool, not a record.
        for lookup in self:
            lookup.display_name = self.env._("Find a Unit")

    def action_register_request(self):
        """Nothing found: register a service request for what was typed."""
        self.ensure_one()
        query = (self.query or "").strip()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales.aftersales_order_intake_action"
        )
        is_phone = bool(self.env["stock.lot"]._aftersales_phone_domain(query))
        action["context"] = (
            {"default_phone": query} if is_phone else {"default_units": query}
        )
        return action

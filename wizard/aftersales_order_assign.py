from odoo import api, fields, models
from odoo.exceptions import UserError


class AftersalesOrderAssign(models.TransientModel):
    """Assign or reassign a work order by hand, among ranked candidates."""

    _name = "aftersales.order.assign"
    _description = "Assign a Work Order by Hand"

    order_id = fields.Many2one("aftersales.order", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="order_id.company_id")
    center_id = fields.Many2one(
        "aftersales.center",
        string="Service Center",
        domain="[('company_id', '=', company_id)]",
        compute="_compute_center_id",
        store=True,
        readonly=False,
        help="Any center of the company; the list below ranks those that pass "
        "the filters.",
    )
    line_ids = fields.One2many(
        "aftersales.order.assign.line",
        "wizard_id",
        compute="_compute_line_ids",
        store=True,
        readonly=True,
    )

    @api.depends("order_id")
    def _compute_line_ids(self):
        for wizard in self:
            order = wizard.order_id
            if not order:
                wizard.line_ids = False
                continue
            # Rank as the engine does (the same scores as "Why this center?"):
            # the order's current center competes too, without its slot.
            ranked, excluded = order._rank_centers()
            wizard.line_ids = [
                fields.Command.create(
                    {
                        "center_id": row["id"],
                        "rank": rank,
                        "score": row.get("score", 0.0),
                        "distance_km": row.get("distance_km") or 0.0,
                        "distance_text": order._format_distance(row.get("distance_km")),
                        "open_count": row["open_count"],
                        "capacity": row["capacity"],
                        "reason": row["reason"],
                    }
                )
                for rank, row in enumerate(ranked + excluded, start=1)
            ]

    @api.depends("line_ids")
    def _compute_center_id(self):
        """Suggest the best candidate other than the current center."""
        for wizard in self:
            if wizard.center_id:
                continue
            current = wizard.order_id.center_id
            best = wizard.line_ids.filtered(
                lambda line, current=current: (
                    not line.reason and line.center_id != current
                )
            )[:1]
            wizard.center_id = best.center_id

    def action_confirm(self):
        """Give the order to the center chosen above."""
        self.ensure_one()
        return self._assign_to(self.center_id)

    def _assign_to(self, center):
        order = self.order_id
        if not center:
            raise UserError(self.env._("Choose a service center."))
        if order.state == "new":
            order.center_id = center
            order.action_assign()
        else:
            order.action_reassign(center)
        return {"type": "ir.actions.act_window_close"}


class AftersalesOrderAssignLine(models.TransientModel):
    _name = "aftersales.order.assign.line"
    _description = "Candidate Center for a Work Order"
    _order = "rank"

    wizard_id = fields.Many2one(
        "aftersales.order.assign", required=True, ondelete="cascade"
    )
    center_id = fields.Many2one("aftersales.center", required=True)
    kind = fields.Selection(related="center_id.kind")
    rank = fields.Integer()
    score = fields.Float(digits=(5, 2))
    distance_km = fields.Float(string="Distance (km)", digits=(7, 1))
    distance_text = fields.Char(
        string="Distance", help="As on “Why this center?”: “-” when unknown."
    )
    open_count = fields.Integer(string="Open")
    capacity = fields.Integer()
    reason = fields.Selection(
        [
            ("rejected", "Already rejected"),
            ("service_type", "Not this service type"),
            ("product_category", "Not this product category"),
            ("holiday", "Public holiday"),
            ("closed", "Closed"),
            ("capacity", "Full"),
            ("area", "Does not cover the address"),
            ("rule", "Not allowed by the routing rule"),
            ("inactive", "Archived"),
            ("company", "Another company"),
        ],
        string="Left Out Because",
    )

    def action_choose(self):
        """Assign the order to this candidate."""
        self.ensure_one()
        return self.wizard_id._assign_to(self.center_id)

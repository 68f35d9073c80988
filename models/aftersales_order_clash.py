from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models

from .aftersales_center import OPEN_ORDER_STATES

# No job lasts longer than this: bounds the search for overlapping jobs.
MAX_JOB_HOURS = 24


class AftersalesOrder(models.Model):
    """A technician booked twice at the same time: warned, never blocked."""

    _inherit = "aftersales.order"

    technician_clash_order_ids = fields.Many2many(
        "aftersales.order",
        compute="_compute_technician_clash_order_ids",
        string="Technician's Other Jobs Then",
        help="Open jobs of the same technician whose time overlaps this one.",
        groups="base.group_user",
    )

    # ------------------------------------------------------------
    # Compute methods
    # ------------------------------------------------------------

    @api.depends("technician_id", "scheduled_date", "scheduled_duration")
    def _compute_technician_clash_order_ids(self):
        for order in self:
            order.technician_clash_order_ids = order._get_technician_clashes()

    @api.onchange("technician_id", "scheduled_date")
    def _onchange_technician_clash(self):
        clashes = self._get_technician_clashes()
        if clashes:
            return {
                "warning": {
                    "title": self.env._("The technician is already booked"),
                    "message": self._get_clash_message(clashes),
                }
            }
        return None

    # ------------------------------------------------------------
    # Overrides
    # ------------------------------------------------------------

    def write(self, vals):
        result = super().write(vals)
        if "technician_id" in vals or "scheduled_date" in vals:
            self._note_technician_clashes()
        return result

    # ------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------

    def _get_technician_clashes(self):
        """The technician's other open jobs overlapping this one's time."""
        self.ensure_one()
        if not self.technician_id or not self.scheduled_date:
            return self.browse()
        start = self.scheduled_date
        end = start + timedelta(hours=self.scheduled_duration or 1.0)
        nearby = self.search(
            [
                ("technician_id", "=", self.technician_id.id),
                ("state", "in", OPEN_ORDER_STATES),
                ("id", "!=", self._origin.id or 0),
                ("scheduled_date", "<", end),
                ("scheduled_date", ">", start - timedelta(hours=MAX_JOB_HOURS)),
            ],
            order="scheduled_date, id",
        )
        return nearby.filtered(
            lambda other: (
                other.scheduled_date + timedelta(hours=other.scheduled_duration or 1.0)
                > start
            )
        )

    def _get_clash_message(self, clashes):
        self.ensure_one()
        return self.env._(
            "%(technician)s already has %(jobs)s at that time.",
            technician=self.technician_id.name,
            jobs=", ".join(
                self.env._(
                    "%(order)s (%(when)s)",
                    order=other.name,
                    when=self._format_datetime_for(self.env.user, other.scheduled_date),
                )
                for other in clashes
            ),
        )

    def _note_technician_clashes(self):
        """Say on the chatter that the technician is booked twice; the
        booking stands (the center may know better)."""
        for order in self:
            if order.state not in OPEN_ORDER_STATES:
                continue
            clashes = order._get_technician_clashes()
            if clashes:
                order._message_log(
                    body=Markup("<p>%s</p>") % order._get_clash_message(clashes)
                )

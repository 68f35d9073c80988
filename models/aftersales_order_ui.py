from lxml import etree

from odoo import api, fields, models
from odoo.exceptions import UserError

from .aftersales_order import ORDER_STATES, TRANSITIONS

# A card dropped in a kanban column asks for the step that leads to that
# state: (transition of TRANSITIONS, method to call). Steps that need a reason
# open the reason dialog, as their buttons do.
KANBAN_MOVES = {
    "assigned": ("assign", "action_assign"),
    "accepted": ("accept", "action_accept"),
    "on_the_way": ("start_travel", "action_start_travel"),
    "in_progress": ("start", "action_start"),
    "awaiting_approval": ("request_approval", "action_request_approval"),
    "done": ("done", "action_done"),
    "new": ("reject", None),
    "cancelled": ("cancel", None),
    "returned": ("return", None),
}


# Bookkeeping fields that mean nothing as a grouping: not offered in the
# search's Custom Group (they stay readable and groupable by code).
TECHNICAL_FIELDS = (
    "access_token",
    "sla_pause_start",
    "sla_warned_target",
    "sla_deadline_target",
    "approval_code",
    "assignment_log",
    "message_main_attachment_id",
)


class AftersalesOrder(models.Model):
    _inherit = "aftersales.order"

    calendar_display_name = fields.Char(
        compute="_compute_calendar_display_name",
        help="What a calendar event says: reference, customer, product, technician.",
    )

    # Positions and the last rating are not quantities to add up: not offered
    # as pivot and graph measures (the analysis report averages ratings).
    latitude = fields.Float(aggregator=None)
    longitude = fields.Float(aggregator=None)
    rating_last_value = fields.Float(aggregator=None)

    @api.depends("name", "partner_id", "product_id", "technician_id")
    def _compute_calendar_display_name(self):
        for order in self:
            parts = [
                order.name,
                order.partner_id.name,
                order.product_id.name,
                order.technician_id.name,
            ]
            order.calendar_display_name = " · ".join(part for part in parts if part)

    # ------------------------------------------------------------
    # Landing
    # ------------------------------------------------------------

    @api.model
    def action_open_landing(self):
        """Open After-Sales where the user's role works: managers on the
        dashboard, dispatchers on the orders to assign, center staff on what
        awaits their center, technicians on their jobs, accountants (who
        have no after-sales role) on the settlements with the centers."""
        user = self.env.user
        if not user.has_group("aftersales.group_technician"):
            xmlid = "aftersales.aftersales_settlement_action"
        elif user.has_group("aftersales.group_manager"):
            xmlid = "aftersales.aftersales_dashboard_action"
        elif user.has_group("aftersales.group_dispatcher"):
            xmlid = "aftersales.aftersales_order_action_dispatch"
        elif user.has_group("aftersales.group_center_user"):
            xmlid = "aftersales.aftersales_order_action_center"
        else:
            xmlid = "aftersales.aftersales_order_action_my"
        return self.env["ir.actions.actions"]._for_xml_id(xmlid)

    def action_open_technician_app(self):
        """The phone app of the technicians, in the same tab."""
        return {"type": "ir.actions.act_url", "url": "/my/technician", "target": "self"}

    # ------------------------------------------------------------
    # Kanban
    # ------------------------------------------------------------

    def action_kanban_move(self, state):
        """A card dropped in the column of ``state``: run the step that leads
        there when the order's rules allow it, or say why not. Never writes the
        state directly."""
        self.ensure_one()
        states = dict(ORDER_STATES)
        if state not in KANBAN_MOVES:
            raise UserError(self.env._("Unknown status."))
        transition, method = KANBAN_MOVES[state]
        from_states = TRANSITIONS[transition]["from"]
        if self.state not in from_states:
            raise UserError(
                self.env._(
                    "%(order)s cannot go from %(current)s to %(wanted)s. Use the "
                    "buttons on the order for the next step.",
                    order=self.name,
                    current=states[self.state],
                    wanted=states[state],
                )
            )
        if method is None:
            return self.with_context(
                aftersales_transition=transition
            ).action_open_reason_wizard()
        if transition == "assign" and not self.center_id:
            # Dropped on "Assigned": the rules choose the center, as the
            # Assign button does; a dispatcher picks by hand if none is found.
            return self.action_assign()
        return getattr(self, method)()

    # ------------------------------------------------------------
    # Views
    # ------------------------------------------------------------

    @api.model
    def _get_writable_fields_for_user(self):
        """What the current user may write on an existing order (the same
        whitelists as _ensure_fields_writable), or None when not restricted."""
        user = self.env.user
        if self.env.su or user.has_group("aftersales.group_dispatcher"):
            return None
        if user.has_group("aftersales.group_center_user"):
            return self._get_writable_fields_center()
        return self._get_writable_fields_technician()

    @api.model
    def fields_get(self, allfields=None, attributes=None):
        res = super().fields_get(allfields, attributes)
        for fname in TECHNICAL_FIELDS:
            if "groupable" in res.get(fname, {}):
                res[fname]["groupable"] = False
        return res

    @api.model
    def get_view(self, view_id=None, view_type="form", **options):
        """Technicians and center staff see the fields they may not change
        as read-only, instead of an error on save. Computed here, after the
        view cache, because it depends on the user's groups; the whitelist
        hooks stay the single source."""
        result = super().get_view(view_id, view_type, **options)
        writable = view_type == "form" and self._get_writable_fields_for_user()
        if writable is None or writable is False:
            return result
        create_locked = self._get_create_dispatcher_fields()
        arch = etree.fromstring(result["arch"])
        for node in arch.iter("field"):
            fname = node.get("name")
            if fname in writable or fname not in self._fields:
                continue
            if any(parent.tag == "field" for parent in node.iterancestors()):
                continue  # a field of a line, checked by the line's model
            if fname in create_locked:
                node.set("readonly", "1")
            else:
                # New orders are theirs to fill (see _ensure_create_fields_allowed).
                current = node.get("readonly")
                node.set("readonly", f"id or ({current})" if current else "id")
        result["arch"] = etree.tostring(arch, encoding="unicode")
        return result

import secrets
import uuid
from datetime import timedelta

from markupsafe import escape

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import consteq

from .states import (
    ORDER_STATES,
    WORKSHOP_DECISION_STATES,
    WORKSHOP_REPAIR_STATES,
    WORKSHOP_STATES,
)

# The workshop flow, within the fixed states: for each step, the fixed states
# and the workshop states it starts from, the lowest group allowed to run it
# and its UI flag. Buttons, can_be_* flags and _ensure_* guards read it, as
# the core's TRANSITIONS. Customer decisions on an estimate go through the
# core's _record_customer_decision (every channel), which lands in
# _apply_customer_decision below.
WORKSHOP_TRANSITIONS = {
    "receive": {
        "flag": "can_be_received",
        "from": ("new", "assigned", "accepted"),
        "from_workshop": ("to_receive",),
        "group": "aftersales.group_center_user",
    },
    "send_estimate": {
        "flag": "can_send_estimate",
        "from": ("accepted", "in_progress"),
        "from_workshop": ("awaiting_estimate",),
        "group": "aftersales.group_technician",
    },
    "record_estimate_decision": {
        "flag": "can_record_estimate_decision",
        "from": ("awaiting_approval",),
        "from_workshop": WORKSHOP_DECISION_STATES,
        "group": "aftersales.group_dispatcher",
    },
    "check_parts": {
        "flag": "can_check_parts",
        "from": ("in_progress",),
        "from_workshop": ("waiting_parts", "cost_approved"),
        "group": "aftersales.group_technician",
    },
    "finish_repair": {
        "flag": "can_finish_repair",
        "from": ("in_progress",),
        "from_workshop": ("repair", "qc_returned"),
        "group": "aftersales.group_technician",
    },
    "close_unrepaired": {
        "flag": "can_close_unrepaired",
        "from": ("in_progress",),
        "from_workshop": ("cost_rejected",),
        "group": "aftersales.group_center_user",
    },
    "hand_back": {
        "flag": "can_be_handed_back",
        "from": ("done",),
        "from_workshop": ("ready",),
        "group": "aftersales.group_center_user",
    },
    "replace": {
        "flag": "can_be_replaced",
        "from": ("accepted", "in_progress", "awaiting_approval"),
        "from_workshop": (
            "awaiting_estimate",
            "estimate_sent",
            "no_cost_declared",
            "cost_rejected",
            "cost_approved",
            "waiting_parts",
            "repair",
            "qc_returned",
        ),
        "group": "aftersales.group_dispatcher",
    },
}

# Workshop fields only the flow writes (see core's WORKFLOW_FIELDS).
WORKSHOP_WORKFLOW_FIELDS = {
    "date_received",
    "received_by_id",
    "pickup_code",
    "date_estimate_sent",
    "estimate_reminded",
    "date_ready",
    "date_picked_up",
    "picked_up_by",
    "pickup_signature",
    "replacement_lot_id",
    "turnaround_hours",
    "pickup_hours",
}


class AftersalesOrder(models.Model):
    """The work order at a service desk (workshop service types): the unit
    received, estimated, repaired, checked, made ready and handed back, or
    replaced. This file is the flow's state machine (``WORKSHOP_TRANSITIONS``,
    on ``workshop_state`` within the fixed ``state``); what it needs of
    stock, sale and account it asks through the core's workshop hooks
    (``_receive_units()``, ``_prepare_estimates()``, ``_hand_back_units()``,
    ...), which the desk, estimate and replacement seams fill in."""

    _inherit = "aftersales.order"

    # UI flags of WORKSHOP_TRANSITIONS
    can_be_received = fields.Boolean(compute="_compute_can_be_workshop")
    can_send_estimate = fields.Boolean(compute="_compute_can_be_workshop")
    can_record_estimate_decision = fields.Boolean(compute="_compute_can_be_workshop")
    can_check_parts = fields.Boolean(compute="_compute_can_be_workshop")
    can_finish_repair = fields.Boolean(compute="_compute_can_be_workshop")
    can_close_unrepaired = fields.Boolean(compute="_compute_can_be_workshop")
    can_be_handed_back = fields.Boolean(compute="_compute_can_be_workshop")
    can_be_replaced = fields.Boolean(compute="_compute_can_be_workshop")

    # ------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------

    @api.depends("state", "workshop_state")
    @api.depends_context("uid")
    def _compute_can_be_workshop(self):
        for transition, rule in WORKSHOP_TRANSITIONS.items():
            user_may = self._user_may_workshop(transition)
            for order in self:
                order[rule["flag"]] = bool(
                    user_may
                    and order.work_place == "workshop"
                    and order.state in rule["from"]
                    and order.workshop_state in rule["from_workshop"]
                )

    # ------------------------------------------------------------
    # Overrides
    # ------------------------------------------------------------

    def _get_workflow_fields(self):
        return super()._get_workflow_fields() | WORKSHOP_WORKFLOW_FIELDS

    @api.model
    def _get_writable_fields_center(self):
        # Desk staff note what came with the unit and how it looks.
        return super()._get_writable_fields_center() | {
            "unit_accessories",
            "unit_condition",
        }

    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        # A workshop job starts by waiting for the unit.
        # (_workflow_write writes as the state machine: no sudo needed here.)
        orders.filtered(
            lambda o: o.work_place == "workshop" and not o.workshop_state
        )._workflow_write({"workshop_state": "to_receive"})
        return orders

    def _get_completion_blockers(self):
        blockers = super()._get_completion_blockers()
        if self.work_place == "workshop" and self.workshop_state not in (
            *WORKSHOP_REPAIR_STATES,
            False,
        ):
            blockers.append(
                self.env._(
                    "%(order)s cannot be completed while it is %(status)s: the "
                    "customer accepts the estimate and the parts are there first.",
                    order=self.name,
                    status=dict(WORKSHOP_STATES)[self.workshop_state],
                )
            )
        return blockers

    def _action_done(self):
        result = super()._action_done()
        workshop = self.filtered(
            lambda o: o.work_place == "workshop" and o.workshop_state != "ready"
        )
        if not workshop:
            return result
        now = fields.Datetime.now()
        for order in workshop:
            order._workflow_write(
                {
                    "workshop_state": "ready",
                    "workshop_outcome": order.workshop_outcome or "repaired",
                    "date_ready": now,
                }
            )
        workshop._send_workshop_event("ready_for_pickup")
        return result

    def _action_return_from_qc(self, check):
        result = super()._action_return_from_qc(check)
        if self.work_place == "workshop":
            self._workflow_write({"workshop_state": "qc_returned"})
        return result

    def _apply_customer_decision(self, approval):
        """A decision on a workshop estimate moves the workshop flow; any
        other decision is the core's (approving finished work)."""
        self.ensure_one()
        if not (
            self.work_place == "workshop"
            and self.workshop_state in WORKSHOP_DECISION_STATES
        ):
            return super()._apply_customer_decision(approval)
        if approval.decision == "approved":
            self._action_accept_estimate(approval)
        else:
            self._action_reject_estimate(approval)
        return None

    # ------------------------------------------------------------
    # Guards
    # ------------------------------------------------------------

    def _user_may_workshop(self, transition):
        return self.env.su or self.env.user.has_group(
            WORKSHOP_TRANSITIONS[transition]["group"]
        )

    def _ensure_workshop_transition(self, transition, label):
        """Raise unless the current user may run the workshop step
        ``transition`` on all of ``self``."""
        self.check_access("write")
        if not self._user_may_workshop(transition):
            raise AccessError(
                self.env._(
                    "You are not allowed to %(action)s work orders.", action=label
                )
            )
        rule = WORKSHOP_TRANSITIONS[transition]
        not_workshop = self.filtered(lambda o: o.work_place != "workshop")
        if not_workshop:
            raise UserError(
                self.env._(
                    "You cannot %(action)s %(orders)s: it is not a workshop job.",
                    action=label,
                    orders=", ".join(not_workshop.mapped("name")),
                )
            )
        blocked = self.filtered(
            lambda o: (
                o.state not in rule["from"]
                or o.workshop_state not in rule["from_workshop"]
            )
        )
        if blocked:
            states = dict(ORDER_STATES)
            workshop_states = dict(WORKSHOP_STATES)
            raise UserError(
                self.env._(
                    "You cannot %(action)s %(orders)s: the work order must be "
                    "%(states)s.",
                    action=label,
                    orders=", ".join(
                        f"{o.name} ({states[o.state]}, "
                        f"{workshop_states.get(o.workshop_state, '-')})"
                        for o in blocked
                    ),
                    states=self.env._(" or ").join(
                        workshop_states[s] for s in rule["from_workshop"]
                    ),
                )
            )

    def _ensure_desk(self):
        """The unit is received where units are received."""
        not_desk = self.filtered(lambda o: not o.center_id.receives_units)
        if not_desk:
            raise UserError(
                self.env._(
                    "%(orders)s: choose a service desk (a center that receives "
                    "units) before receiving the unit.",
                    orders=", ".join(not_desk.mapped("name")),
                )
            )

    def _ensure_pickup_code(self, pickup_code):
        """The unit goes to whoever gives the code of the slip or the text."""
        for order in self:
            # The code is hidden from the users who check it.
            expected = order.sudo().pickup_code
            if not (
                pickup_code and expected and consteq(str(pickup_code).strip(), expected)
            ):
                raise UserError(
                    self.env._(
                        "The pickup code of %(order)s is wrong: the unit is handed "
                        "back only against the code on the receipt slip or in the "
                        "customer's text.",
                        order=order.name,
                    )
                )

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_receive(self):
        """Receive the units at the service desk: into its stock as the
        customers' property, with a receipt slip and a pickup code."""
        self._ensure_workshop_transition("receive", self.env._("receive"))
        self._ensure_desk()
        self._action_receive()
        return self.env.ref("aftersales.action_report_order_receipt").report_action(
            self
        )

    def action_send_estimate(self):
        """Send the cost estimate to the customer, who accepts or declines
        it on the portal, by text or at the desk."""
        self._ensure_workshop_transition(
            "send_estimate", self.env._("send the estimate of")
        )
        self._action_send_estimate()

    def action_accept_estimate(self):
        """Record that the customer accepted the estimate at the desk or on
        the phone."""
        self._ensure_workshop_transition(
            "record_estimate_decision", self.env._("record the decision on")
        )
        for order in self:
            order._record_customer_decision("approve", "backend")

    def action_reject_estimate(self, reason=None):
        """Record that the customer declined the estimate: the unit goes back
        unrepaired."""
        self._ensure_workshop_transition(
            "record_estimate_decision", self.env._("record the decision on")
        )
        for order in self:
            order._record_customer_decision("reject", "backend", feedback=reason)

    def action_check_parts(self):
        """See whether the parts the repair waits for have arrived."""
        self._ensure_workshop_transition(
            "check_parts", self.env._("check the parts of")
        )
        self._action_check_parts()

    def action_finish_repair(self):
        """The technician finished the repair: to quality control when the
        service type requires it, else ready for pickup."""
        self._ensure_workshop_transition("finish_repair", self.env._("finish"))
        to_check = self.filtered("qc_required")
        to_check._workflow_write({"workshop_state": "awaiting_qc"})
        (self - to_check).action_done()

    def action_close_unrepaired(self):
        """The customer declined the estimate: the unit is ready to go back
        as it came."""
        self._ensure_workshop_transition(
            "close_unrepaired", self.env._("hand back unrepaired")
        )
        self._workflow_write({"workshop_outcome": "unrepaired"})
        self._action_done()

    def action_hand_back(self, pickup_code, signature=None, signed_by=None):
        """Hand the unit back against its pickup code: a delivery to the
        customer, signed, and the invoice of what the estimate charged."""
        self._ensure_workshop_transition("hand_back", self.env._("hand back"))
        self._ensure_pickup_code(pickup_code)
        self._action_hand_back(signature, signed_by)

    def action_replace(self, lot):
        """Replace the unit instead of repairing it: the old serial goes to
        the defective location, ``lot`` (a serial in stock) to the customer
        at pickup, with the old unit's warranty."""
        self._ensure_workshop_transition("replace", self.env._("replace"))
        self._ensure_replacement_lot(lot)
        self._action_replace(lot)

    def action_open_hand_back_wizard(self):
        """The pickup dialog: code, who picks up, signature."""
        self.ensure_one()
        self._ensure_workshop_transition("hand_back", self.env._("hand back"))
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales.aftersales_order_hand_back_action"
        )
        action["context"] = {"default_order_id": self.id}
        return action

    def action_open_replace_wizard(self):
        """The replacement dialog: which serial replaces the unit."""
        self.ensure_one()
        self._ensure_workshop_transition("replace", self.env._("replace"))
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales.aftersales_order_replace_action"
        )
        action["context"] = {"default_order_id": self.id}
        return action

    def action_print_receipt(self):
        """Print the receipt slip again."""
        return self.env.ref("aftersales.action_report_order_receipt").report_action(
            self
        )

    # ------------------------------------------------------------
    # Workers
    # ------------------------------------------------------------

    def _action_receive(self):
        now = fields.Datetime.now()
        for order in self:
            vals = {
                "workshop_state": "awaiting_estimate",
                "date_received": now,
                "received_by_id": self.env.user.id,
                "pickup_code": f"{secrets.randbelow(900000) + 100000}",
            }
            if order.state in ("new", "assigned"):
                # Receiving the unit is the desk taking the job.
                vals.update(
                    state="accepted",
                    date_assigned=order.date_assigned or now,
                    date_accepted=now,
                )
            order._workflow_write(vals)
        self._receive_units()

    def _action_send_estimate(self):
        self._prepare_estimates()
        now = fields.Datetime.now()
        for order in self:
            company = order.company_id
            # The link stays open until the estimate counts as unanswered
            # (a reminder does not have to reopen it), at least the link hours.
            hours = max(
                company.aftersales_approval_link_hours or 72,
                company.aftersales_estimate_expiry_days * 24,
            )
            order._workflow_write(
                {
                    "state": "awaiting_approval",
                    "workshop_state": "estimate_sent",
                    "date_started": order.date_started or now,
                    "date_estimate_sent": now,
                    "estimate_reminded": False,
                    "approval_code": order._generate_approval_code(),
                    "date_approval_requested": now,
                    "approval_link_expiry": now + timedelta(hours=hours),
                    "access_token": str(uuid.uuid4()),
                }
            )
        self._send_estimates()
        self._send_workshop_event("estimate_sent")

    def _action_accept_estimate(self, approval):
        self.ensure_one()
        self._workflow_write(
            {
                "state": "in_progress",
                "workshop_state": "cost_approved",
                "customer_rejected": False,
            }
        )
        self._confirm_estimate(approval)
        self._action_check_parts()

    def _action_reject_estimate(self, approval):
        self.ensure_one()
        self._workflow_write(
            {
                "state": "in_progress",
                "workshop_state": "cost_rejected",
                "workshop_outcome": "unrepaired",
            }
        )
        self._cancel_estimate(approval)
        self.message_post(
            body=self.env._(
                "The customer declined the estimate of %(order)s: %(reason)s",
                order=self.name,
                reason=approval.feedback or self.env._("no reason given"),
            ),
            partner_ids=(
                self.center_id.partner_id | self.technician_id.user_id.partner_id
            ).ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )

    def _action_check_parts(self):
        ready = self._reserve_repair_parts()
        ready._workflow_write({"workshop_state": "repair"})
        waiting = self - ready
        waiting._workflow_write({"workshop_state": "waiting_parts"})

    def _action_hand_back(self, signature, signed_by):
        self._invoice_hand_back()
        self._hand_back_units()
        now = fields.Datetime.now()
        for order in self:
            order._workflow_write(
                {
                    "workshop_state": "replaced"
                    if order.workshop_outcome == "replaced"
                    else "delivered",
                    "date_picked_up": now,
                    "picked_up_by": signed_by or order.partner_id.name,
                    "pickup_signature": signature or False,
                }
            )

    def _action_replace(self, lot):
        for order in self:
            order._workflow_write(
                {"replacement_lot_id": lot.id, "workshop_outcome": "replaced"}
            )
        self._scrap_replaced_units()
        self._transfer_warranty_to_replacement()
        # An estimate still waiting for an answer is moot: its link closes
        # and its quotation is cancelled (nobody's decision: no approval).
        waiting = self.filtered(lambda o: o.state == "awaiting_approval")
        waiting._close_approval_link()
        for order in waiting:
            order._cancel_estimate(None)
        # The exchange is the work: the order is done, the new unit ready.
        self._action_done()

    def _send_workshop_event(self, event):
        """Text the customers of a workshop step, where the SMS seam knows
        the event."""
        if self and event in self._get_sms_events():
            self._send_sms_event(event)

    # ------------------------------------------------------------
    # Cron: estimates nobody answers
    # ------------------------------------------------------------

    @api.model
    def _cron_estimate_followup(self, batch_size=200, after_batch=None):
        """Remind the customers of estimates unanswered for the company's
        reminder days; after its expiry days, mark the estimate "no cost
        declared" and give the desk a to-do. In batches until none is left,
        each batch committed (``after_batch(processed, remaining=...)``, the
        cron's progress by default; a false return stops the run). An order
        a batch handled leaves the batch's domain, so a rerun after a crash
        does nothing twice."""
        now = fields.Datetime.now()
        after_batch = after_batch or self.env["ir.cron"]._commit_progress
        for company in self.env["res.company"].search([]):  # pylint: disable=no-search-all
            reminder = company.aftersales_estimate_reminder_days
            expiry = company.aftersales_estimate_expiry_days
            base = [
                ("company_id", "=", company.id),
                ("workshop_state", "=", "estimate_sent"),
            ]
            steps = []
            if expiry:
                # Expired first: an estimate past both deadlines is not
                # reminded the day it is declared unanswered.
                steps.append(
                    (
                        base
                        + [("date_estimate_sent", "<=", now - timedelta(days=expiry))],
                        lambda orders: orders._action_no_cost_declared(),
                    )
                )
            if reminder:
                steps.append(
                    (
                        base
                        + [
                            ("estimate_reminded", "=", False),
                            (
                                "date_estimate_sent",
                                "<=",
                                now - timedelta(days=reminder),
                            ),
                        ],
                        lambda orders, days=expiry: orders._action_remind_estimate(
                            days
                        ),
                    )
                )
            for domain, step in steps:
                if not self._run_estimate_batches(
                    domain, step, batch_size, after_batch
                ):
                    return

    @api.model
    def _run_estimate_batches(self, domain, step, batch_size, after_batch):
        """Apply ``step`` to the orders of ``domain``, one batch at a time;
        return False when ``after_batch`` stops the run."""
        while True:
            batch = self.search(domain, limit=batch_size, order="id")
            if not batch:
                return True
            # Another worker holds some: they are its to handle.
            locked = batch.try_lock_for_update()
            if locked:
                step(locked)
            remaining = self.search_count(domain)
            if not after_batch(len(locked), remaining=remaining):
                return False
            if len(locked) < len(batch):
                return True

    def _action_remind_estimate(self, expiry_days):
        now = fields.Datetime.now()
        for order in self:
            vals = {"estimate_reminded": True}
            # The reminder's link and codes answer until the estimate counts
            # as unanswered (the request's own hours may be shorter).
            if expiry_days:
                deadline = order.date_estimate_sent + timedelta(days=expiry_days)
                if (order.approval_link_expiry or now) < deadline:
                    vals["approval_link_expiry"] = deadline
            order._workflow_write(vals)
        self._send_workshop_event("estimate_reminder")

    def _action_no_cost_declared(self):
        now = fields.Datetime.now()
        for order in self:
            # The desk calls the customer: their answer by the link or by
            # text still counts for the request's hours from now.
            hours = order.company_id.aftersales_approval_link_hours or 72
            order._workflow_write(
                {
                    "workshop_state": "no_cost_declared",
                    "approval_link_expiry": max(
                        order.approval_link_expiry or now,
                        now + timedelta(hours=hours),
                    ),
                }
            )
        for order in self:
            order.activity_schedule(
                "aftersales.mail_activity_type_estimate_unanswered",
                note=escape(
                    self.env._(
                        "Nobody answered the estimate of %(order)s: call the customer.",
                        order=order.name,
                    )
                ),
                user_id=(order.center_id.user_ids[:1] or order._get_dispatcher()).id,
            )

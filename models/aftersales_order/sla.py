from collections import defaultdict
from datetime import datetime, time, timedelta

from markupsafe import escape

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.fields import Domain

from ..aftersales_sla_policy import SLA_TARGETS
from .states import CLOSED_STATES

SLA_TARGET_SELECTION = [
    ("accept", "Acceptance"),
    ("arrival", "Arrival"),
    ("resolve", "Completion"),
]


# When each target is reached: the states from which it counts as met and the
# date field that records the moment.
TARGET_REACHED = {
    "accept": (
        ("accepted", "on_the_way", "in_progress", "awaiting_approval", "done"),
        "date_accepted",
    ),
    "arrival": (("in_progress", "awaiting_approval", "done"), "date_started"),
    "resolve": (("done",), "date_done"),
}


SLA_FIELDS = {
    "sla_policy_id",
    "date_sla_start",
    "sla_accept_deadline",
    "sla_arrival_deadline",
    "sla_resolve_deadline",
    "sla_accept_breached",
    "sla_arrival_breached",
    "sla_resolve_breached",
    "sla_paused_hours",
    "sla_pause_start",
    "sla_warned_target",
    "sla_breached",
    "sla_deadline",
    "sla_deadline_target",
    "date_sla_warning",
    "sla_status",
}

# The SMS the SLA check may send, added to the order's SMS events.
SLA_SMS_EVENTS = {
    "technician_sla_warning": (
        "aftersales_sms_sla_warning",
        "aftersales.sms_template_technician_sla_warning",
        "technician",
    ),
}


METRIC_FIELDS = {
    "approval_outcome",
    "first_time_fix",
    "service_duration",
    "sla_outcome",
    "fix_outcome",
    "arrival_outcome",
}
# The technician arrived on time up to this long after the appointment.
ARRIVAL_GRACE = timedelta(minutes=30)

# The rates of the orders a center or technician closed, each the share of the
# closed orders whose fact (a stored field of the order) has the value given,
# among the closed orders where that fact is set. A fact is empty where it
# does not apply (no SLA, no customer decision, not completed, no
# appointment): such an order counts in neither part of the rate. This is the
# one rule: the metrics (_get_performance) and the analysis report
# (aftersales.order.analysis) both aggregate these facts by it.
KPI_RATES = {
    # rate: (fact, value counted)
    "completion_rate": ("state", "done"),
    "cancel_rate": ("state", "cancelled"),
    "return_rate": ("state", "returned"),
    "on_time_rate": ("sla_outcome", "met"),
    "first_time_approval_rate": ("approval_outcome", "first_time"),
    "first_time_fix_rate": ("fix_outcome", "first_time"),
    "arrival_rate": ("arrival_outcome", "on_time"),
}


# The rates that make the score, with the company weight of each.
SCORE_WEIGHTS = {
    "on_time_rate": "aftersales_score_weight_on_time",
    "first_time_approval_rate": "aftersales_score_weight_approval",
    "rating_rate": "aftersales_score_weight_rating",
    "first_time_fix_rate": "aftersales_score_weight_first_fix",
    "completion_rate": "aftersales_score_weight_completion",
}

# Transaction cache key of the orders each running _action_assign assigned.
SLA_ASSIGNED_KEY = "aftersales_sla_assigned"


class _DeadlinePlanner:
    """Memoised deadlines: the orders of one batch share their start time and
    calendar, and planning working hours is the costly part."""

    def __init__(self):
        self._cache = {}
        # The calendars' work intervals read per start, for every deadline
        # planned from it (see _add_hours).
        self._intervals = {}

    def add(self, policy, calendar, start, hours):
        key = (policy.time_basis, calendar.id, start, hours)
        if key not in self._cache:
            self._cache[key] = policy._add_hours(
                calendar, start, hours, intervals_cache=self._intervals
            )
        return self._cache[key]


class AftersalesOrder(models.Model):
    """Service-level targets of the work order (deadlines, warnings,
    breaches), the metrics of closed orders and the customers' ratings."""

    _inherit = "aftersales.order"

    # ============================================================
    # Service-level targets: deadlines, warnings, breaches
    # ============================================================
    # Policy and deadlines
    sla_policy_id = fields.Many2one(
        "aftersales.sla.policy",
        string="SLA Policy",
        readonly=True,
        copy=False,
        index="btree_not_null",
        tracking=True,
        check_company=True,
        groups="base.group_user",
    )
    date_sla_start = fields.Datetime(
        string="SLA Clock Start",
        readonly=True,
        copy=False,
        help="When the arrival and completion clocks started.",
        groups="base.group_user",
    )
    sla_accept_deadline = fields.Datetime(
        string="Accept By",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups="base.group_user",
    )
    sla_arrival_deadline = fields.Datetime(
        string="Arrive By",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups="base.group_user",
    )
    sla_resolve_deadline = fields.Datetime(
        string="Complete By",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups="base.group_user",
    )
    sla_accept_breached = fields.Boolean(
        string="Acceptance Late",
        readonly=True,
        copy=False,
        groups="base.group_user",
    )
    sla_arrival_breached = fields.Boolean(
        string="Arrival Late",
        readonly=True,
        copy=False,
        groups="base.group_user",
    )
    sla_resolve_breached = fields.Boolean(
        string="Completion Late",
        readonly=True,
        copy=False,
        groups="base.group_user",
    )
    sla_breached = fields.Boolean(
        string="SLA Breached",
        compute="_compute_sla_breached",
        store=True,
        index=True,
        aggregator="bool_or",
        groups="base.group_user",
    )
    sla_deadline = fields.Datetime(
        string="SLA Deadline",
        compute="_compute_sla_deadline",
        store=True,
        index="btree_not_null",
        help="The nearest deadline still to meet.",
        groups="base.group_user",
    )
    date_sla_warning = fields.Datetime(
        string="Sla Warning Date",
        compute="_compute_sla_deadline",
        store=True,
        index="btree_not_null",
        help="When the center and the dispatcher get warned of the SLA deadline; "
        "empty once warned.",
        groups="base.group_user",
    )
    sla_deadline_target = fields.Selection(
        SLA_TARGET_SELECTION,
        compute="_compute_sla_deadline",
        store=True,
        help="Which target the SLA deadline is.",
        groups="base.group_user",
    )
    sla_warned_target = fields.Selection(
        SLA_TARGET_SELECTION,
        readonly=True,
        copy=False,
        help="The target of the last warning: one warning per deadline, again "
        "only if that deadline is planned anew.",
        groups="base.group_user",
    )
    sla_pause_start = fields.Datetime(
        readonly=True, copy=False, groups="base.group_user"
    )
    sla_paused_hours = fields.Float(
        string="SLA Paused Hours",
        readonly=True,
        copy=False,
        help="Hours the completion clock stood still while the order awaited "
        "the customer.",
        groups="base.group_user",
    )
    sla_status = fields.Selection(
        [
            ("on_track", "On Track"),
            ("at_risk", "At Risk"),
            ("breached", "Breached"),
            ("met", "Met"),
        ],
        string="SLA Status",
        compute="_compute_sla_status",
        store=True,
        index="btree_not_null",
        groups="base.group_user",
    )

    sla_deadline_text = fields.Char(
        compute="_compute_sla_deadline_text",
        help="The SLA deadline as messages say it, in the center's time zone.",
        groups="base.group_user",
    )

    # ------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------

    @api.depends("sla_deadline", "center_id")
    @api.depends_context("lang", "uid", "aftersales_recipient")
    def _compute_sla_deadline_text(self):
        # In the reader's zone and format (see _format_datetime_for).
        recipient = self._get_context_recipient()
        for order in self:
            order.sla_deadline_text = order._format_datetime_for(
                recipient, order.sla_deadline
            )

    @api.depends("sla_accept_breached", "sla_arrival_breached", "sla_resolve_breached")
    def _compute_sla_breached(self):
        for order in self:
            order.sla_breached = any(
                order[breached] for _t, _h, _d, breached in SLA_TARGETS
            )

    @api.depends(
        "state",
        "sla_accept_deadline",
        "sla_arrival_deadline",
        "sla_resolve_deadline",
        "sla_accept_breached",
        "sla_arrival_breached",
        "sla_resolve_breached",
        "sla_pause_start",
        "sla_warned_target",
        "sla_policy_id.warning_hours",
    )
    def _compute_sla_deadline(self):
        for order in self:
            target, deadline = min(
                order._get_sla_open_deadlines().items(),
                key=lambda item: item[1],
                default=(False, False),
            )
            order.sla_deadline = deadline
            order.sla_deadline_target = target
            margin = order.sla_policy_id.warning_hours
            order.date_sla_warning = (
                deadline - timedelta(hours=margin)
                if deadline and margin and target != order.sla_warned_target
                else False
            )

    @api.depends(
        "state",
        "sla_policy_id",
        "sla_breached",
        "sla_deadline_target",
        "sla_warned_target",
    )
    def _compute_sla_status(self):
        for order in self:
            if not order.sla_policy_id:
                order.sla_status = False
            elif order.sla_breached:
                order.sla_status = "breached"
            elif order.state == "done":
                order.sla_status = "met"
            elif order.state in CLOSED_STATES:
                order.sla_status = False
            elif (
                order.sla_deadline_target
                and order.sla_deadline_target == order.sla_warned_target
            ):
                order.sla_status = "at_risk"
            else:
                order.sla_status = "on_track"

    def _get_sla_open_deadlines(self):
        """{target: deadline} of the targets still to meet and not breached;
        the completion clock counts nothing while paused."""
        self.ensure_one()
        if self.state in CLOSED_STATES:
            return {}
        deadlines = {}
        for target, _hours, deadline_field, breached_field in SLA_TARGETS:
            reached_states, _date_field = TARGET_REACHED[target]
            if (
                self[deadline_field]
                and not self[breached_field]
                and self.state not in reached_states
                and not (target == "resolve" and self.sla_pause_start)
            ):
                deadlines[target] = self[deadline_field]
        return deadlines

    # ------------------------------------------------------------
    # Overrides
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        orders._sla_apply_policy()
        return orders

    def _action_assign(self):
        # The orders this call assigns get their deadlines together at its
        # end (one policy search, one plan per calendar and start, one cron
        # trigger), not one by one as the engine places them.
        batches = self.env.cr.cache.setdefault(SLA_ASSIGNED_KEY, [])
        batches.append(set())
        try:
            left = super()._action_assign()
            assigned = self.browse(sorted(batches[-1]))
        finally:
            batches.pop()
        assigned._sla_apply_policy()
        return left

    def _write_assignment(self, center, log, rule=None, scheduled_date=None):
        result = super()._write_assignment(center, log, rule, scheduled_date)
        # A new center brings its own calendar and acceptance clock: planned
        # at the end of the assignment call under way, else now.
        batches = self.env.cr.cache.get(SLA_ASSIGNED_KEY)
        if batches:
            batches[-1].update(self.ids)
        else:
            self._sla_apply_policy()
        return result

    def _get_workflow_fields(self):
        # Only the state machine and the SLA check write them, never a user.
        return super()._get_workflow_fields() | SLA_FIELDS | METRIC_FIELDS

    def _get_sms_events(self):
        return super()._get_sms_events() | SLA_SMS_EVENTS

    @api.model
    def _get_technical_fields(self):
        return super()._get_technical_fields() | {
            "sla_pause_start",
            "sla_warned_target",
            "sla_deadline_target",
        }

    def _workflow_write(self, vals):
        if "state" not in vals:
            return super()._workflow_write(vals)
        previous = {order.id: order.state for order in self}
        result = super()._workflow_write(vals)
        self._sla_on_state_change(previous)
        return result

    # ------------------------------------------------------------
    # Deadlines
    # ------------------------------------------------------------

    def _get_sla_calendar(self):
        """The calendar the working-hours clocks run on."""
        self.ensure_one()
        return (
            self.center_id.resource_calendar_id or self.company_id.resource_calendar_id
        )

    def _sla_apply_policy(self):
        """Choose each order's policy and store its deadlines."""
        open_orders = self.filtered(lambda o: o.state not in CLOSED_STATES)
        if not open_orders:
            return
        # Whoever creates the order (a salesperson confirming a sale, a
        # portal request) may not read the policies; choosing one is ours.
        policies_sudo = self.env["aftersales.sla.policy"].sudo()
        policies = policies_sudo._select_for_orders(open_orders)
        planner = _DeadlinePlanner()
        # Orders created together share their values: one write per group.
        groups = defaultdict(list)
        for order in open_orders:
            vals = order._prepare_sla_vals(policies[order], planner)
            if vals:
                groups[tuple(sorted(vals.items()))].append(order.id)
        for items, ids in groups.items():
            self.browse(ids)._workflow_write_sla(dict(items))
        open_orders._sla_trigger_check()

    def _prepare_sla_vals(self, policy, planner):
        """SLA values of the order under ``policy`` (extension hook)."""
        self.ensure_one()
        if not policy:
            if not self.sla_policy_id:
                return {}
            return {
                "sla_policy_id": False,
                "sla_accept_deadline": False,
                "sla_arrival_deadline": False,
                "sla_resolve_deadline": False,
            }
        start = self.date_sla_start or fields.Datetime.now()
        calendar = self._get_sla_calendar()
        vals = {
            "sla_policy_id": policy.id,
            "date_sla_start": start,
            # Deadlines planned anew are warned anew.
            "sla_warned_target": False,
        }
        accept_from = self.date_assigned if self.state == "assigned" else None
        vals["sla_accept_deadline"] = (
            planner.add(policy, calendar, accept_from, policy.accept_hours)
            if accept_from and policy.accept_hours
            else self.sla_accept_deadline
            if self.state not in ("new", "assigned")
            else False
        )
        vals["sla_arrival_deadline"] = (
            planner.add(policy, calendar, start, policy.arrival_hours)
            if policy.arrival_hours
            else False
        )
        vals["sla_resolve_deadline"] = (
            planner.add(
                policy, calendar, start, policy.resolve_hours + self.sla_paused_hours
            )
            if policy.resolve_hours
            else False
        )
        return vals

    def _workflow_write_sla(self, vals, track=True):
        # SLA fields are the state machine's, like the workflow fields. The
        # check's stamps change no tracked field: skip preparing the tracking
        # of thousands of orders.
        orders_sudo = self.sudo()
        if not track:
            orders_sudo = orders_sudo.with_context(mail_notrack=True)
        return orders_sudo.write(vals)

    def _sla_on_state_change(self, previous):
        """Pause or resume the completion clock; flag targets met too late."""
        now = fields.Datetime.now()
        late = replanned = self.browse()
        for order in self.filtered("sla_policy_id"):
            old_state = previous.get(order.id)
            if old_state == order.state:
                continue
            vals = {}
            policy = order.sla_policy_id
            if (
                order.state == "awaiting_approval"
                and policy.pause_awaiting_customer
                and not order.sla_pause_start
            ):
                vals["sla_pause_start"] = now
            elif order.sla_pause_start and order.state != "awaiting_approval":
                paused = order.sla_paused_hours + policy._count_hours(
                    order._get_sla_calendar(), order.sla_pause_start, now
                )
                vals.update(sla_pause_start=False, sla_paused_hours=paused)
                if policy.resolve_hours and not order.sla_resolve_breached:
                    if order.sla_warned_target == "resolve":
                        vals["sla_warned_target"] = False
                    replanned |= order
                    vals["sla_resolve_deadline"] = policy._add_hours(
                        order._get_sla_calendar(),
                        order.date_sla_start,
                        policy.resolve_hours + paused,
                    )
            for target, _hours, deadline_field, breached_field in SLA_TARGETS:
                reached_states, date_field = TARGET_REACHED[target]
                deadline = vals.get(deadline_field, order[deadline_field])
                if (
                    order.state in reached_states
                    and old_state not in reached_states
                    and deadline
                    and not order[breached_field]
                    and (order[date_field] or now) > deadline
                ):
                    vals[breached_field] = True
                    late |= order
            if vals:
                order._workflow_write_sla(vals)
        late._sla_log_breach_met_late()
        replanned._sla_trigger_check()

    def _sla_log_breach_met_late(self):
        if self:
            self._message_log_batch(
                bodies=dict.fromkeys(
                    self.ids,
                    escape(self.env._("An SLA target was met after its deadline.")),
                )
            )

    # ------------------------------------------------------------
    # Checking (cron)
    # ------------------------------------------------------------

    def _sla_trigger_check(self):
        """Wake the SLA check at the earliest warning or deadline of these
        orders (one trigger per batch, not per order)."""
        moments = [
            moment
            for order in self
            for moment in (order.date_sla_warning, order.sla_deadline)
            if moment
        ]
        if not moments:
            return
        # The cached xml id, without env.ref's existence query: unlinking the
        # cron would have removed it.
        cron_id = self.env["ir.model.data"]._xmlid_to_res_id(
            "aftersales.ir_cron_check_sla", raise_if_not_found=False
        )
        if cron_id:
            # Waking the cron is the addon's business, not the user's right.
            cron_sudo = self.env["ir.cron"].sudo().browse(cron_id)
            cron_sudo._trigger(at=max(min(moments), fields.Datetime.now()))

    @api.model
    def _get_sla_due_domain(self, now):
        return Domain("sla_deadline", "<=", now) | Domain("date_sla_warning", "<=", now)

    @api.model
    def _cron_check_sla(self, batch_size=1000, after_batch=None):
        """Warn before deadlines and escalate breaches, in batches; each
        order's flags are written in the batch's transaction, so a rerun
        finds nothing left to do twice. Then sleep until the next moment due."""
        now = fields.Datetime.now()
        domain = self._get_sla_due_domain(now)
        after_batch = after_batch or self.env["ir.cron"]._commit_progress
        # An order comes back once per target breached or warned; more means
        # nothing changes it (a bug): stop rather than loop.
        passes = defaultdict(int)
        while True:
            batch = self.search(domain, limit=batch_size, order="id")
            for order_id in batch.ids:
                passes[order_id] += 1
            if not batch or all(
                passes[order_id] > 2 * len(SLA_TARGETS) for order_id in batch.ids
            ):
                break
            # Another worker holds some: they are its to check.
            locked = batch.try_lock_for_update()
            locked._sla_process_due(now)
            remaining = self.search_count(domain) if len(batch) == batch_size else 0
            if not after_batch(len(locked), remaining=remaining) or len(locked) < len(
                batch
            ):
                break
        self._sla_schedule_next(now)

    @api.model
    def _sla_schedule_next(self, now):
        # The next moment of any order, whoever runs the check; _read_group
        # without groupby is one plain MIN (no ORDER BY) over an indexed column.
        orders_sudo = self.sudo()
        moments = [
            moment
            for fname in ("sla_deadline", "date_sla_warning")
            for [moment] in orders_sudo._read_group(
                [(fname, ">", now)], [], [f"{fname}:min"]
            )
            if moment
        ]
        cron = self.env.ref("aftersales.ir_cron_check_sla", raise_if_not_found=False)
        if moments and cron:
            cron._trigger(at=min(moments))

    def _sla_process_due(self, now):
        """Breach what is past its deadline, warn what nears one."""
        to_breach = {}
        to_warn = self.browse()
        for order in self:
            past = [
                target
                for target, deadline in order._get_sla_open_deadlines().items()
                if deadline <= now
            ]
            if past:
                to_breach[order] = past
            elif order.date_sla_warning and order.date_sla_warning <= now:
                to_warn |= order
        self._sla_breach(to_breach)
        to_warn._sla_warn()

    def _sla_breach(self, to_breach):
        """Flag the targets missed and escalate to the manager."""
        if not to_breach:
            return
        breached_fields = {target: breached for target, _h, _d, breached in SLA_TARGETS}
        by_targets = {}
        for order, targets in to_breach.items():
            by_targets.setdefault(tuple(targets), []).append(order.id)
        for targets, ids in by_targets.items():
            self.browse(ids)._workflow_write_sla(
                dict.fromkeys((breached_fields[t] for t in targets), True),
                track=False,
            )
        orders = self.browse([order.id for order in to_breach])
        labels = dict(self._get_sla_target_labels())
        notes = {
            order.id: self.env._(
                "SLA breached: %(targets)s deadline passed.",
                targets=", ".join(str(labels[t]) for t in to_breach[order]),
            )
            for order in orders
        }
        # The activity is the record of the breach: marking it done logs it in
        # the chatter (a message per order here would double the check's time).
        orders._sla_schedule_activities(
            "aftersales.mail_activity_type_sla_breach",
            notes,
            lambda order: order._get_sla_manager(),
        )

    def _sla_warn(self):
        """Warn the center and the dispatcher, once per deadline."""
        if not self:
            return
        labels = dict(self._get_sla_target_labels())

        def note(order, user):
            # Each user reads the deadline in their own zone and language.
            order_lang = order.with_context(lang=user.lang or self.env.lang)
            return order_lang.env._(
                "SLA %(target)s due by %(deadline)s.",
                target=labels[order.sla_deadline_target],
                deadline=order_lang._format_datetime_for(user, order.sla_deadline),
            )

        notes = {order.id: note for order in self}
        for target, orders in self.grouped("sla_deadline_target").items():
            orders._workflow_write_sla({"sla_warned_target": target}, track=False)
        self._sla_schedule_activities(
            "aftersales.mail_activity_type_sla_warning",
            notes,
            lambda order: order._get_dispatcher() | order._get_center_responsible(),
        )
        self.filtered("sla_policy_id.alert_sms")._send_sms_event(
            "technician_sla_warning"
        )
        self.filtered("sla_policy_id.alert_email")._sla_send_warning_emails()

    def _sla_schedule_activities(self, xmlid, notes, get_users):
        """One batched create for the activities of many orders: one per
        order and user ``get_users`` gives."""
        activity_type = self.env.ref(xmlid)
        model_id = self.env["ir.model"]._get_id(self._name)
        today = fields.Date.context_today(self)
        vals_list = []
        for order in self:
            for user in get_users(order):
                vals_list.append(
                    {
                        "activity_type_id": activity_type.id,
                        "res_model_id": model_id,
                        "res_id": order.id,
                        "user_id": user.id,
                        # A short summary, no HTML note: sanitizing thousands
                        # of notes would be most of the check's time.
                        "summary": (
                            notes[order.id](order, user)
                            if callable(notes[order.id])
                            else notes[order.id]
                        )[:120],
                        "date_deadline": today,
                        "automated": True,
                    }
                )
        # Quick update: no e-mail per activity (alerts by e-mail are opt-in)
        # and no per-record follower subscription.
        # The cron may run as any user, and assigns to others.
        activities_sudo = self.env["mail.activity"].sudo()
        activities_sudo.with_context(mail_activity_quick_update=True).create(vals_list)

    def _sla_send_warning_emails(self):
        template = self.env.ref(
            "aftersales.mail_template_sla_warning", raise_if_not_found=False
        )
        if template:
            # The cron may run as any user; the template reads center contacts.
            # Several readers: the deadline in the center's zone, named.
            template_sudo = template.sudo().with_context(
                aftersales_recipient=("place", 0)
            )
            template_sudo.send_mail_batch(self.ids)

    def _get_center_responsible(self):
        """The center's first staff user, who answers for its work orders."""
        self.ensure_one()
        return self.center_id.user_ids[:1]

    def _get_sla_manager(self):
        """Who breaches escalate to: the company's SLA manager, else the
        dispatcher."""
        self.ensure_one()
        return self.company_id.aftersales_sla_manager_id or self._get_dispatcher()

    def action_view_state_time(self):
        """How long the order stayed in each status."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales.aftersales_order_state_time_action"
        )
        action["domain"] = [("order_id", "=", self.id)]
        action["views"] = [(False, "list"), (False, "pivot"), (False, "graph")]
        return action

    @api.model
    def _get_sla_target_labels(self):
        return [
            ("accept", self.env._("acceptance")),
            ("arrival", self.env._("arrival on site")),
            ("resolve", self.env._("completion")),
        ]

    # ============================================================
    # Metrics: what each closed order says about its center
    # ============================================================

    approval_outcome = fields.Selection(
        [
            ("first_time", "Approved First Time"),
            ("after_rejection", "Approved After Rejection"),
            ("rejected", "Rejected"),
        ],
        compute="_compute_approval_outcome",
        store=True,
        help="The customer's decisions on the work, once there is one.",
        groups="base.group_user",
    )
    first_time_fix = fields.Boolean(
        string="First-Time Fix",
        compute="_compute_first_time_fix",
        store=True,
        help="Completed in a single visit, without the customer or quality "
        "control sending it back.",
        groups="base.group_user",
    )
    # Facts of a completed order that the rates count (KPI_RATES); empty where
    # they do not apply.
    sla_outcome = fields.Selection(
        [("met", "Met"), ("breached", "Breached")],
        string="SLA Outcome",
        compute="_compute_sla_outcome",
        store=True,
        groups="base.group_user",
    )
    fix_outcome = fields.Selection(
        [("first_time", "First-Time Fix"), ("repeat", "Repeat Work")],
        string="Fix",
        compute="_compute_fix_outcome",
        store=True,
        groups="base.group_user",
    )
    arrival_outcome = fields.Selection(
        [("on_time", "On Time"), ("late", "Late")],
        string="Arrival",
        compute="_compute_arrival_outcome",
        store=True,
        help="Whether the technician of a completed order started no later "
        "than 30 minutes after the appointment.",
        groups="base.group_user",
    )
    service_duration = fields.Float(
        string="Service Duration (h)",
        compute="_compute_service_duration",
        store=True,
        aggregator="avg",
        help="Hours of work logged, or else from start to completion.",
        groups="base.group_user",
    )

    # ------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------

    @api.depends("approval_ids.decision")
    def _compute_approval_outcome(self):
        for order in self:
            decisions = order.approval_ids.sorted("id").mapped("decision")
            if not decisions:
                order.approval_outcome = False
            elif decisions[-1] == "rejected":
                order.approval_outcome = "rejected"
            elif "rejected" in decisions:
                order.approval_outcome = "after_rejection"
            else:
                order.approval_outcome = "first_time"

    @api.depends("state", "visit_count", "approval_outcome", "qc_returned")
    def _compute_first_time_fix(self):
        for order in self:
            order.first_time_fix = (
                order.state == "done"
                and order.visit_count <= 1
                and order.approval_outcome != "after_rejection"
                and not order.qc_returned
            )

    @api.depends("state", "sla_policy_id", "sla_breached")
    def _compute_sla_outcome(self):
        for order in self:
            if order.state != "done" or not order.sla_policy_id:
                order.sla_outcome = False
            else:
                order.sla_outcome = "breached" if order.sla_breached else "met"

    @api.depends("state", "first_time_fix")
    def _compute_fix_outcome(self):
        for order in self:
            if order.state != "done":
                order.fix_outcome = False
            else:
                order.fix_outcome = "first_time" if order.first_time_fix else "repeat"

    @api.depends("state", "scheduled_date", "date_started")
    def _compute_arrival_outcome(self):
        for order in self:
            if order.state != "done" or not (
                order.scheduled_date and order.date_started
            ):
                order.arrival_outcome = False
            elif order.date_started <= order.scheduled_date + ARRIVAL_GRACE:
                order.arrival_outcome = "on_time"
            else:
                order.arrival_outcome = "late"

    @api.depends("state", "worked_hours", "date_started", "date_done")
    def _compute_service_duration(self):
        for order in self:
            if order.state != "done":
                order.service_duration = 0.0
            elif order.worked_hours:
                order.service_duration = order.worked_hours
            elif order.date_started and order.date_done:
                order.service_duration = (
                    order.date_done - order.date_started
                ).total_seconds() / 3600
            else:
                order.service_duration = 0.0

    # ------------------------------------------------------------
    # Overrides
    # ------------------------------------------------------------

    # ------------------------------------------------------------
    # Metrics
    # ------------------------------------------------------------

    @api.model
    def _get_performance_period(self):
        """[from, to) of the metrics: the context's, else the last 90 days,
        today included."""
        date_to = self.env.context.get("aftersales_date_to") or (
            datetime.combine(fields.Date.today() + timedelta(days=1), time.min)
        )
        date_from = self.env.context.get("aftersales_date_from") or (
            fields.Datetime.to_datetime(date_to) - timedelta(days=90)
        )
        return fields.Datetime.to_datetime(date_from), fields.Datetime.to_datetime(
            date_to
        )

    @api.model
    def _get_kpi_rates(self):
        """{rate: (fact, value)} of KPI_RATES (extension hook): the one
        definition of the rates, for _get_performance and the analysis
        report."""
        return dict(KPI_RATES)

    @api.model
    def _get_performance(self, group_field, records, date_from, date_to):
        """Metrics of the orders closed in [date_from, date_to), by
        ``group_field`` value (a center or a technician): two grouped queries
        whatever the number of records.

        Rates are between 0 and 1 (None where nothing was measured), by the
        rule of KPI_RATES: on_time_rate (completed orders under an SLA, none
        breached), first_time_approval_rate (orders the customer decided on,
        approved at the first decision), cancel_rate, return_rate and
        completion_rate (of all closed), first_time_fix_rate (of completed),
        arrival_rate (completed with an appointment); rating_avg (1-5) and
        avg_duration (hours per completed order).
        """
        domain = [
            (group_field, "in", records.ids),
            ("date_closed", ">=", date_from),
            ("date_closed", "<", date_to),
        ]
        rates = self._get_kpi_rates()
        facts = sorted({fact for fact, _value in rates.values()} | {"state"})
        counts = defaultdict(lambda: defaultdict(float))
        for key, *values, count, duration in self._read_group(
            domain, [group_field, *facts], ["__count", "service_duration:sum"]
        ):
            row = dict(zip(facts, values, strict=True))
            c = counts[key.id]
            c["closed"] += count
            if row["state"] == "done":
                c["done"] += count
                c["duration"] += duration
            for rate, (fact, value) in rates.items():
                if row[fact]:
                    c[rate, "measured"] += count
                    c[rate, "counted"] += count if row[fact] == value else 0
        ratings = {
            key.id: (avg, count)
            for key, avg, count in self._read_group(
                [*domain, ("rating_last_value", ">", 0)],
                [group_field],
                ["rating_last_value:avg", "__count"],
            )
        }

        def rate(part, whole):
            return part / whole if whole else None

        result = {}
        for record in records:
            c = counts[record.id]
            rating_avg, rating_count = ratings.get(record.id, (None, 0))
            result[record.id] = {
                "closed_count": int(c["closed"]),
                "done_count": int(c["done"]),
                "sla_count": int(c["on_time_rate", "measured"]),
                "decided_count": int(c["first_time_approval_rate", "measured"]),
                **{
                    name: rate(c[name, "counted"], c[name, "measured"])
                    for name in rates
                },
                "rating_avg": rating_avg,
                "rating_count": rating_count,
                "rating_rate": (rating_avg - 1) / 4 if rating_avg else None,
                "avg_duration": rate(c["duration"], c["done"]),
            }
        return result

    @api.model
    def _get_performance_score(self, metrics, company):
        """0-100: the weighted mean of the rates measured; None when none."""
        total = weight_sum = 0.0
        for metric, weight_field in SCORE_WEIGHTS.items():
            value, weight = metrics.get(metric), company[weight_field]
            if value is None or weight <= 0:
                continue
            total += value * weight
            weight_sum += weight
        return round(100 * total / weight_sum, 1) if weight_sum else None

    # ============================================================
    # Ratings: the request after completion, low-rating alerts
    # ============================================================

    # ------------------------------------------------------------
    # Rating mixin hooks
    # ------------------------------------------------------------

    def _rating_get_parent_field_name(self):
        # The center collects its orders' ratings (rating.parent.mixin).
        return "center_id"

    def rating_apply(
        self,
        rate,
        token=None,
        rating=None,
        feedback=None,
        subtype_xmlid=None,
        notify_delay_send=False,
    ):
        if not self.env.su:
            # Public method: a user calling it with a rating token would rate
            # in the customer's place. Our code calls it as superuser once it
            # checked the customer (_apply_customer_rating, /rate/<token>).
            raise AccessError(self.env._("Only the customer rates the work."))
        result = super().rating_apply(
            rate,
            token=token,
            rating=rating,
            feedback=feedback,
            subtype_xmlid=subtype_xmlid,
            notify_delay_send=notify_delay_send,
        )
        threshold = self.company_id.aftersales_low_rating_threshold
        if threshold and 0 < rate <= threshold:
            self._alert_low_rating(rate, feedback)
        return result

    # ------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------

    def message_post(self, **kwargs):
        if kwargs.get("rating_value") and not self.env.su:
            # The rating mixin turns a message's rating_value into a rating
            # of the order; only the customer's own channels rate.
            raise AccessError(self.env._("Only the customer rates the work."))
        return super().message_post(**kwargs)

    def _get_allowed_message_params(self):
        # No rating through the portal chatter: ratings come from the
        # customer's rating form, link or SMS.
        return super()._get_allowed_message_params() - {"rating_value"}

    def _action_done(self):
        result = super()._action_done()
        self.filtered(
            lambda o: (
                o.company_id.aftersales_rating_email
                and o.partner_id.email
                and not o.rating_ids.filtered("consumed")
            )
        )._send_rating_request_email()
        return result

    def _send_rating_request_email(self):
        template = self.env.ref(
            "aftersales.mail_template_rating_request", raise_if_not_found=False
        )
        if not template:
            return
        for order in self:
            # The technician who completes the job may not read the template
            # nor create the rating token; both are ours.
            order_sudo = order.sudo()
            order_sudo.rating_send_request(template, lang=order.partner_id.lang)

    def _alert_low_rating(self, rate, feedback):
        """The manager hears of a low rating at once: an activity, and an
        e-mail where the company wants one."""
        self.ensure_one()
        # The customer rates through a public page: no user to act as.
        order_sudo = self.sudo()
        manager = order_sudo._get_sla_manager()
        order_sudo.activity_schedule(
            "aftersales.mail_activity_type_low_rating",
            note=escape(
                self.env._(
                    "Rated %(rate)s/5 by %(customer)s: %(feedback)s",
                    rate=int(rate),
                    customer=order_sudo.partner_id.name,
                    feedback=feedback or self.env._("no comment"),
                )
            ),
            user_id=manager.id,
        )
        if order_sudo.company_id.aftersales_low_rating_email and manager.email:
            template = self.env.ref(
                "aftersales.mail_template_low_rating", raise_if_not_found=False
            )
            if template:
                # The customer's rating runs through a public page.
                template_sudo = template.sudo()
                template_sudo.send_mail(order_sudo.id)

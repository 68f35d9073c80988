from collections import defaultdict
from datetime import timedelta

from markupsafe import escape

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL, format_datetime

from .aftersales_order import WORKFLOW_FIELDS
from .aftersales_order_sms import SMS_EVENTS
from .aftersales_sla_policy import SLA_TARGETS

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
SLA_CLOSED_STATES = ("done", "cancelled", "returned")

SLA_FIELDS = {
    "sla_policy_id",
    "sla_start_date",
    "sla_accept_deadline",
    "sla_arrival_deadline",
    "sla_resolve_deadline",
    "sla_accept_breached",
    "sla_arrival_breached",
    "sla_resolve_breached",
    "sla_paused_hours",
    "sla_pause_start",
    "sla_warned_target",
    "stage_id",
    "sla_breached",
    "sla_deadline",
    "sla_deadline_target",
    "sla_warning_date",
    "sla_status",
}
# Only the state machine and the SLA check write them, never a user.
WORKFLOW_FIELDS.update(SLA_FIELDS)
SMS_EVENTS["technician_sla_warning"] = (
    "aftersales_sms_sla_warning",
    "aftersales.sms_template_technician_sla_warning",
    "technician",
)


class AftersalesOrder(models.Model):
    """Service-level targets of the work order: deadlines, warnings, breaches
    and the time spent in each state."""

    _name = "aftersales.order"
    _inherit = ["aftersales.order", "mail.tracking.duration.mixin"]
    _track_duration_field = "stage_id"

    # Time in state (tracking-duration mixin)
    stage_id = fields.Many2one(
        "aftersales.order.stage",
        compute="_compute_stage_id",
        store=True,
        index=True,
        tracking=True,
        readonly=True,
        help="Mirror of the status, tracked so that the time spent in each "
        "status is known.",
    )

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
    sla_start_date = fields.Datetime(
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
    sla_warning_date = fields.Datetime(
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

    @api.depends("state")
    def _compute_stage_id(self):
        stages = {
            stage.code: stage for stage in self.env["aftersales.order.stage"].search([])
        }
        for order in self:
            order.stage_id = stages.get(order.state)

    @api.depends("sla_deadline", "center_id")
    @api.depends_context("lang")
    def _compute_sla_deadline_text(self):
        for order in self:
            deadline = order.sla_deadline
            tz = order._get_sla_calendar().tz or self.env.user.tz or "UTC"
            order.sla_deadline_text = (
                format_datetime(self.env, deadline, tz=tz, dt_format="short")
                if deadline
                else ""
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
            order.sla_warning_date = (
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
            elif order.state in SLA_CLOSED_STATES:
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
        if self.state in SLA_CLOSED_STATES:
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

    def _track_filter_for_display(self, tracking_values):
        # The stage mirrors the status: showing both would say it twice.
        values = super()._track_filter_for_display(tracking_values)
        return values.filtered(lambda v: v.field_id.name != "stage_id")

    def _write_assignment(self, center, log, rule=None, scheduled_date=None):
        result = super()._write_assignment(center, log, rule, scheduled_date)
        # A new center brings its own calendar and acceptance clock.
        self._sla_apply_policy()
        return result

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
        open_orders = self.filtered(lambda o: o.state not in SLA_CLOSED_STATES)
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
        start = self.sla_start_date or fields.Datetime.now()
        calendar = self._get_sla_calendar()
        vals = {
            "sla_policy_id": policy.id,
            "sla_start_date": start,
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
                        order.sla_start_date,
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
            for moment in (order.sla_warning_date, order.sla_deadline)
            if moment
        ]
        cron = self.env.ref("aftersales.ir_cron_check_sla", raise_if_not_found=False)
        if moments and cron:
            # Waking the cron is the addon's business, not the user's right.
            cron_sudo = cron.sudo()
            cron_sudo._trigger(at=max(min(moments), fields.Datetime.now()))

    @api.model
    def _get_sla_due_domain(self, now):
        return Domain("sla_deadline", "<=", now) | Domain("sla_warning_date", "<=", now)

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
        self.flush_model(["sla_deadline", "sla_warning_date"])
        # Raw SQL: one MIN over two indexed columns; _read_group would sort.
        self.env.cr.execute(
            SQL(
                """
                SELECT LEAST(
                    (SELECT min(sla_deadline) FROM aftersales_order
                      WHERE sla_deadline > %(now)s),
                    (SELECT min(sla_warning_date) FROM aftersales_order
                      WHERE sla_warning_date > %(now)s))
                """,
                now=now,
            )
        )
        [(next_moment,)] = self.env.cr.fetchall()
        cron = self.env.ref("aftersales.ir_cron_check_sla", raise_if_not_found=False)
        if next_moment and cron:
            cron._trigger(at=next_moment)

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
            elif order.sla_warning_date and order.sla_warning_date <= now:
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
        notes = {
            order.id: self.env._(
                "SLA %(target)s due by %(deadline)s.",
                target=labels[order.sla_deadline_target],
                deadline=order.sla_deadline_text,
            )
            for order in self
        }
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
                        "summary": notes[order.id][:120],
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
            template_sudo = template.sudo()
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


class _DeadlinePlanner:
    """Memoised deadlines: the orders of one batch share their start time and
    calendar, and planning working hours is the costly part."""

    def __init__(self):
        self._cache = {}

    def add(self, policy, calendar, start, hours):
        key = (policy.time_basis, calendar.id, start, hours)
        if key not in self._cache:
            self._cache[key] = policy._add_hours(calendar, start, hours)
        return self._cache[key]

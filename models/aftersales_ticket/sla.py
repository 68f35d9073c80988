"""sla seam of aftersales.ticket (see __init__.py): the first response and
resolution targets of the SLA policies, their deadlines, the pause while the
request waits for the customer, warnings and breaches (cron)."""

from collections import defaultdict
from datetime import timedelta

from markupsafe import escape

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import format_datetime

from ..aftersales_sla_policy import TICKET_SLA_TARGETS

TICKET_SLA_TARGET_SELECTION = [
    ("response", "First Response"),
    ("resolve", "Resolution"),
]

# Requests whose work is over: no deadline counts any more.
SLA_CLOSED_STATES = ("solved", "converted", "cancelled")
# The closings that reach the resolution target (a cancelled request reaches
# none: it is neither met nor breached).
SLA_RESOLVED_STATES = ("solved", "converted")

TICKET_SLA_FIELDS = {
    "sla_policy_id",
    "date_sla_start",
    "sla_response_deadline",
    "sla_resolve_deadline",
    "sla_response_breached",
    "sla_resolve_breached",
    "sla_breached",
    "sla_deadline",
    "sla_deadline_target",
    "date_sla_warning",
    "sla_warned_target",
    "sla_pause_start",
    "sla_paused_hours",
    "sla_status",
}


class AftersalesTicket(models.Model):
    _inherit = "aftersales.ticket"

    sla_policy_id = fields.Many2one(
        "aftersales.sla.policy",
        string="SLA Policy",
        readonly=True,
        copy=False,
        index="btree_not_null",
        tracking=True,
        check_company=True,
        groups="base.group_user",
        help="The most specific policy with request targets, chosen when the "
        "request came in.",
    )
    date_sla_start = fields.Datetime(
        string="SLA Clock Start",
        readonly=True,
        copy=False,
        groups="base.group_user",
    )
    sla_response_deadline = fields.Datetime(
        string="Answer By",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups="base.group_user",
    )
    sla_resolve_deadline = fields.Datetime(
        string="Resolve By",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups="base.group_user",
    )
    sla_response_breached = fields.Boolean(
        string="First Response Late",
        readonly=True,
        copy=False,
        groups="base.group_user",
    )
    sla_resolve_breached = fields.Boolean(
        string="Resolution Late",
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
    sla_deadline_target = fields.Selection(
        TICKET_SLA_TARGET_SELECTION,
        compute="_compute_sla_deadline",
        store=True,
        groups="base.group_user",
    )
    date_sla_warning = fields.Datetime(
        string="SLA Warning Date",
        compute="_compute_sla_deadline",
        store=True,
        index="btree_not_null",
        help="When the responsible gets warned of the SLA deadline; empty once warned.",
        groups="base.group_user",
    )
    sla_warned_target = fields.Selection(
        TICKET_SLA_TARGET_SELECTION,
        readonly=True,
        copy=False,
        help="The target of the last warning: one warning per deadline.",
        groups="base.group_user",
    )
    sla_pause_start = fields.Datetime(
        readonly=True, copy=False, groups="base.group_user"
    )
    sla_paused_hours = fields.Float(
        string="SLA Paused Hours",
        readonly=True,
        copy=False,
        help="Hours the resolution clock stood still while the request waited "
        "for the customer.",
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

    # ------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------

    @api.depends("sla_response_breached", "sla_resolve_breached")
    def _compute_sla_breached(self):
        for ticket in self:
            ticket.sla_breached = any(
                ticket[breached] for _t, _h, _d, breached in TICKET_SLA_TARGETS
            )

    @api.depends(
        "state",
        "date_first_response",
        "sla_response_deadline",
        "sla_resolve_deadline",
        "sla_response_breached",
        "sla_resolve_breached",
        "sla_pause_start",
        "sla_warned_target",
        "sla_policy_id.warning_hours",
    )
    def _compute_sla_deadline(self):
        for ticket in self:
            target, deadline = min(
                ticket._get_sla_open_deadlines().items(),
                key=lambda item: item[1],
                default=(False, False),
            )
            ticket.sla_deadline = deadline
            ticket.sla_deadline_target = target
            margin = ticket.sla_policy_id.warning_hours
            ticket.date_sla_warning = (
                deadline - timedelta(hours=margin)
                if deadline and margin and target != ticket.sla_warned_target
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
        for ticket in self:
            if not ticket.sla_policy_id or ticket.state == "cancelled":
                ticket.sla_status = False
            elif ticket.sla_breached:
                ticket.sla_status = "breached"
            elif ticket.state in SLA_RESOLVED_STATES:
                ticket.sla_status = "met"
            elif (
                ticket.sla_deadline_target
                and ticket.sla_deadline_target == ticket.sla_warned_target
            ):
                ticket.sla_status = "at_risk"
            else:
                ticket.sla_status = "on_track"

    def _get_sla_open_deadlines(self):
        """{target: deadline} of the targets still to meet and not breached;
        the resolution clock counts nothing while paused."""
        self.ensure_one()
        if self.state in SLA_CLOSED_STATES:
            return {}
        reached = {"response": bool(self.date_first_response), "resolve": False}
        deadlines = {}
        for target, _hours, deadline_field, breached_field in TICKET_SLA_TARGETS:
            if (
                self[deadline_field]
                and not self[breached_field]
                and not reached[target]
                and not (target == "resolve" and self.sla_pause_start)
            ):
                deadlines[target] = self[deadline_field]
        return deadlines

    # ------------------------------------------------------------
    # Overrides
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        # After core's create: the request is routed (team) when the policy
        # is chosen, so the team may narrow it.
        tickets = super().create(vals_list)
        tickets._sla_apply_policy()
        return tickets

    @api.model
    def _get_workflow_fields(self):
        # Only the state machine and the SLA check write them, never a user.
        return super()._get_workflow_fields() | TICKET_SLA_FIELDS

    def _workflow_write(self, vals):
        if "state" not in vals:
            return super()._workflow_write(vals)
        previous = {ticket.id: ticket.state for ticket in self}
        result = super()._workflow_write(vals)
        self._sla_on_state_change(previous)
        return result

    def _action_first_response(self, when=None):
        # The first answer reaches the response target: late if after it.
        pending = self.filtered(lambda t: not t.date_first_response)
        result = super()._action_first_response(when)
        late = pending.filtered(
            lambda t: (
                t.sla_response_deadline
                and not t.sla_response_breached
                and t.date_first_response > t.sla_response_deadline
            )
        )
        if late:
            late._workflow_write_sla({"sla_response_breached": True})
            late._sla_log_met_late()
        return result

    # ------------------------------------------------------------
    # Deadlines
    # ------------------------------------------------------------

    def _get_sla_calendar(self):
        """The calendar the working-hours clocks of the request run on."""
        self.ensure_one()
        return self.company_id.resource_calendar_id

    def _sla_apply_policy(self):
        """Choose each open request's policy and store its deadlines."""
        open_tickets = self.filtered(lambda t: t.state not in SLA_CLOSED_STATES)
        if not open_tickets:
            return
        # Whoever opens the request (the public, a portal user, the mail
        # gateway) may not read the policies; choosing one is ours.
        policies_sudo = self.env["aftersales.sla.policy"].sudo()
        policies = policies_sudo._select_for_tickets(open_tickets)
        now = fields.Datetime.now()
        # The calendar's work intervals read once per start, for both
        # deadlines and every request of the batch (see _add_hours).
        intervals = {}
        # Requests created together share their values: one write per group.
        groups = defaultdict(list)
        for ticket in open_tickets:
            vals = ticket._prepare_sla_vals(policies[ticket], now, intervals)
            if vals:
                groups[tuple(sorted(vals.items()))].append(ticket.id)
        for items, ids in groups.items():
            self.browse(ids)._workflow_write_sla(dict(items))
        open_tickets._sla_trigger_check()

    def _prepare_sla_vals(self, policy, now, intervals=None):
        """SLA values of the request under ``policy`` (extension hook);
        ``intervals``: the calendar cache of the batch."""
        self.ensure_one()
        if not policy:
            return {}
        start = self.date_sla_start or now
        calendar = self._get_sla_calendar()
        vals = {
            "sla_policy_id": policy.id,
            "date_sla_start": start,
            "sla_warned_target": False,
        }
        for _target, hours_field, deadline_field, _b in TICKET_SLA_TARGETS:
            hours = policy[hours_field]
            if hours and deadline_field == "sla_resolve_deadline":
                hours += self.sla_paused_hours
            vals[deadline_field] = (
                policy._add_hours(calendar, start, hours, intervals_cache=intervals)
                if hours
                else False
            )
        return vals

    def _workflow_write_sla(self, vals, track=True):
        # SLA fields are the state machine's, like the workflow fields.
        tickets_sudo = self.sudo()
        if not track:
            tickets_sudo = tickets_sudo.with_context(mail_notrack=True)
        return tickets_sudo.write(vals)

    def _sla_on_state_change(self, previous):
        """Pause or resume the resolution clock; flag a resolution reached
        after its deadline."""
        now = fields.Datetime.now()
        late = replanned = self.browse()
        for ticket in self.filtered("sla_policy_id"):
            old_state = previous.get(ticket.id)
            if old_state == ticket.state:
                continue
            vals = {}
            policy = ticket.sla_policy_id
            if (
                ticket.state == "waiting"
                and policy.pause_awaiting_customer
                and not ticket.sla_pause_start
            ):
                vals["sla_pause_start"] = now
            elif ticket.sla_pause_start and ticket.state != "waiting":
                paused = ticket.sla_paused_hours + policy._count_hours(
                    ticket._get_sla_calendar(), ticket.sla_pause_start, now
                )
                vals.update(sla_pause_start=False, sla_paused_hours=paused)
                if policy.ticket_resolve_hours and not ticket.sla_resolve_breached:
                    if ticket.sla_warned_target == "resolve":
                        vals["sla_warned_target"] = False
                    vals["sla_resolve_deadline"] = policy._add_hours(
                        ticket._get_sla_calendar(),
                        ticket.date_sla_start,
                        policy.ticket_resolve_hours + paused,
                    )
                    replanned |= ticket
            deadline = vals.get("sla_resolve_deadline", ticket.sla_resolve_deadline)
            if (
                ticket.state in SLA_RESOLVED_STATES
                and old_state not in SLA_RESOLVED_STATES
                and deadline
                and not ticket.sla_resolve_breached
                and (ticket.date_closed or now) > deadline
            ):
                vals["sla_resolve_breached"] = True
                late |= ticket
            if vals:
                ticket._workflow_write_sla(vals)
        late._sla_log_met_late()
        replanned._sla_trigger_check()

    def _sla_log_met_late(self):
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
        """Wake the request SLA check at the earliest warning or deadline of
        these requests (one trigger per batch)."""
        moments = [
            moment
            for ticket in self
            for moment in (ticket.date_sla_warning, ticket.sla_deadline)
            if moment
        ]
        if not moments:
            return
        cron_id = self.env["ir.model.data"]._xmlid_to_res_id(
            "aftersales.ir_cron_check_ticket_sla", raise_if_not_found=False
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
        """Warn before the requests' deadlines and flag breaches, in batches;
        each request's flags are written in its batch's transaction, so a
        rerun finds nothing left to do twice. Then sleep until the next
        moment due."""
        now = fields.Datetime.now()
        domain = self._get_sla_due_domain(now)
        after_batch = after_batch or self.env["ir.cron"]._commit_progress
        # A request comes back once per target breached or warned; more
        # means nothing changes it (a bug): stop rather than loop.
        passes = defaultdict(int)
        while True:
            batch = self.search(domain, limit=batch_size, order="id")
            for ticket_id in batch.ids:
                passes[ticket_id] += 1
            if not batch or all(
                passes[ticket_id] > 2 * len(TICKET_SLA_TARGETS)
                for ticket_id in batch.ids
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
        # The next moment of any request, whoever runs the check: a plain MIN
        # over an indexed column.
        tickets_sudo = self.sudo()
        moments = [
            moment
            for fname in ("sla_deadline", "date_sla_warning")
            for [moment] in tickets_sudo._read_group(
                [(fname, ">", now)], [], [f"{fname}:min"]
            )
            if moment
        ]
        cron = self.env.ref(
            "aftersales.ir_cron_check_ticket_sla", raise_if_not_found=False
        )
        if moments and cron:
            cron._trigger(at=min(moments))

    def _sla_process_due(self, now):
        """Breach what is past its deadline, warn what nears one."""
        to_breach = {}
        to_warn = self.browse()
        for ticket in self:
            past = [
                target
                for target, deadline in ticket._get_sla_open_deadlines().items()
                if deadline <= now
            ]
            if past:
                to_breach[ticket] = past
            elif ticket.date_sla_warning and ticket.date_sla_warning <= now:
                to_warn |= ticket
        self._sla_breach(to_breach)
        to_warn._sla_warn()

    @api.model
    def _get_sla_target_labels(self):
        return {
            "response": self.env._("first response"),
            "resolve": self.env._("resolution"),
        }

    def _sla_breach(self, to_breach):
        """Flag the targets missed and tell the responsible and the team
        leader (else the company's SLA manager)."""
        if not to_breach:
            return
        breached_fields = {t: breached for t, _h, _d, breached in TICKET_SLA_TARGETS}
        by_targets = defaultdict(list)
        for ticket, targets in to_breach.items():
            by_targets[tuple(targets)].append(ticket.id)
        for targets, ids in by_targets.items():
            self.browse(ids)._workflow_write_sla(
                dict.fromkeys((breached_fields[t] for t in targets), True),
                track=False,
            )
        labels = self._get_sla_target_labels()
        notes = {
            ticket.id: self.env._(
                "SLA breached: %(targets)s deadline passed.",
                targets=", ".join(str(labels[t]) for t in targets),
            )
            for ticket, targets in to_breach.items()
        }
        tickets = self.browse([ticket.id for ticket in to_breach])
        tickets._sla_schedule_activities(
            notes, lambda ticket: ticket._get_sla_escalation_users()
        )

    def _sla_warn(self):
        """Warn the responsible, once per deadline."""
        if not self:
            return

        def note(ticket, user):
            # Each user reads the deadline in their own zone and language.
            env = ticket.with_context(lang=user.lang or self.env.lang).env
            return env._(
                "SLA %(target)s due by %(deadline)s.",
                target=ticket.with_env(env)._get_sla_target_labels()[
                    ticket.sla_deadline_target
                ],
                deadline=format_datetime(env, ticket.sla_deadline, tz=user.tz),
            )

        notes = dict.fromkeys(self.ids, note)
        for target, tickets in self.grouped("sla_deadline_target").items():
            tickets._workflow_write_sla({"sla_warned_target": target}, track=False)
        self._sla_schedule_activities(
            notes, lambda ticket: ticket._get_sla_warning_users()
        )

    def _get_sla_warning_users(self):
        """Who hears of a deadline near: the responsible, else the team
        leader, else the company's SLA manager."""
        self.ensure_one()
        return (
            self.user_id
            or self.team_id.leader_id
            or self.company_id.aftersales_sla_manager_id
        )

    def _get_sla_escalation_users(self):
        """Who hears of a breach: the responsible and the team leader, else
        the company's SLA manager."""
        self.ensure_one()
        return (
            self.user_id | self.team_id.leader_id
            or self.company_id.aftersales_sla_manager_id
        )

    def _sla_schedule_activities(self, notes, get_users):
        """One batched create: an activity per request and user."""
        activity_type = self.env.ref("mail.mail_activity_data_warning")
        model_id = self.env["ir.model"]._get_id(self._name)
        today = fields.Date.context_today(self)
        vals_list = [
            {
                "activity_type_id": activity_type.id,
                "res_model_id": model_id,
                "res_id": ticket.id,
                "user_id": user.id,
                "summary": (
                    notes[ticket.id](ticket, user)
                    if callable(notes[ticket.id])
                    else notes[ticket.id]
                )[:120],
                "date_deadline": today,
                "automated": True,
            }
            for ticket in self
            for user in get_users(ticket)
        ]
        if vals_list:
            # The cron may run as any user, and assigns to others.
            activities_sudo = self.env["mail.activity"].sudo()
            activities_sudo.with_context(mail_activity_quick_update=True).create(
                vals_list
            )

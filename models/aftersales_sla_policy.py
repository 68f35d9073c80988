from datetime import timedelta

from pytz import utc

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain

from .aftersales_contract_template import CONTRACT_KINDS

# The targets of a policy, in the order the work reaches them: (target, hours
# field, deadline field on the order, breached flag on the order).
SLA_TARGETS = (
    ("accept", "accept_hours", "sla_accept_deadline", "sla_accept_breached"),
    ("arrival", "arrival_hours", "sla_arrival_deadline", "sla_arrival_breached"),
    ("resolve", "resolve_hours", "sla_resolve_deadline", "sla_resolve_breached"),
)

# The targets of a policy for service requests: (target, hours field, deadline
# field on the request, breached flag on the request).
TICKET_SLA_TARGETS = (
    (
        "response",
        "ticket_response_hours",
        "sla_response_deadline",
        "sla_response_breached",
    ),
    ("resolve", "ticket_resolve_hours", "sla_resolve_deadline", "sla_resolve_breached"),
)

# The window resource.calendar.plan_hours reads the work intervals in.
PLAN_WINDOW = timedelta(days=14)

# Dimensions that narrow a policy: the more of them it sets, the more specific.
# Each has its check in _get_scope_checks().
SCOPE_FIELDS = (
    "service_type_ids",
    "priority",
    "country_state_ids",
    "partner_category_ids",
    "contract_kind",
)

# The dimensions that narrow a policy for service requests, each checked in
# _get_ticket_scope_checks(). The order-only ones (service types, contract
# kind) keep a policy that sets them off requests; the request-only ones keep
# a policy that sets them off work orders.
TICKET_SCOPE_FIELDS = (
    "priority",
    "country_state_ids",
    "partner_category_ids",
    "ticket_category_ids",
    "ticket_channel",
    "ticket_team_ids",
)
ORDER_ONLY_SCOPE_FIELDS = ("service_type_ids", "contract_kind")
TICKET_ONLY_SCOPE_FIELDS = ("ticket_category_ids", "ticket_channel", "ticket_team_ids")


class AftersalesSlaPolicy(models.Model):
    _name = "aftersales.sla.policy"
    _description = "After-Sales SLA Policy"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(
        default=10, help="Among policies equally specific, the first one applies."
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    description = fields.Text()

    # Which orders
    service_type_ids = fields.Many2many(
        "aftersales.service.type",
        string="Service Types",
        check_company=True,
        help="Leave empty for every service type.",
    )
    priority = fields.Selection(
        [("0", "Normal"), ("1", "High"), ("2", "Urgent")],
        help="Leave empty for every priority.",
    )
    country_state_ids = fields.Many2many(
        "res.country.state",
        string="Regions",
        help="States or provinces of the customer's address; leave empty for all.",
    )
    partner_category_ids = fields.Many2many(
        "res.partner.category",
        string="Customer Tags",
        help="Applies to customers carrying any of these tags; leave empty for all.",
    )
    contract_kind = fields.Selection(
        [("none", "No Contract"), *CONTRACT_KINDS],
        help="Applies to the work orders under a service contract of this kind "
        "(or under none); leave empty for all.",
    )

    # Which requests
    ticket_category_ids = fields.Many2many(
        "aftersales.ticket.category",
        string="Request Categories",
        help="Applies to the service requests of these categories only (and "
        "then not to work orders); leave empty for all.",
    )
    ticket_channel = fields.Selection(
        selection="_selection_ticket_channel",
        string="Request Channel",
        help="Applies to the service requests that came in by this channel "
        "only (and then not to work orders); leave empty for all.",
    )
    ticket_team_ids = fields.Many2many(
        "aftersales.ticket.team",
        string="Desk Teams",
        check_company=True,
        help="Applies to the service requests of these teams only (and then "
        "not to work orders); leave empty for all.",
    )

    # Targets
    time_basis = fields.Selection(
        [
            ("working", "Working Hours"),
            ("calendar", "Calendar Hours"),
        ],
        required=True,
        default="working",
        help="Working Hours: counted in the opening hours of the order's "
        "service center (of the company before one is assigned), public "
        "holidays excluded.\nCalendar Hours: around the clock.",
    )
    accept_hours = fields.Float(
        string="Acceptance Target",
        help="Hours the service center has to accept an order once assigned; "
        "0 for no target.",
    )
    arrival_hours = fields.Float(
        string="Arrival Target",
        help="Hours from the request to the technician's arrival on site "
        "(work started); 0 for no target.",
    )
    resolve_hours = fields.Float(
        string="Completion Target",
        help="Hours from the request to completion; 0 for no target.",
    )
    pause_awaiting_customer = fields.Boolean(
        string="Pause While Awaiting Customer",
        default=True,
        help="The completion clock stops while the order awaits the customer's "
        "approval and resumes if the customer rejects the work; the resolution "
        "clock of a request stops while it waits for the customer's answer.",
    )
    ticket_response_hours = fields.Float(
        string="First Response Target",
        help="Hours from a service request to the desk's first answer to the "
        "customer; 0 for no target.",
    )
    ticket_resolve_hours = fields.Float(
        string="Resolution Target",
        help="Hours from a service request to its closing (solved or turned "
        "into work); 0 for no target.",
    )

    # Alerts
    warning_hours = fields.Float(
        string="Warning Margin",
        default=2.0,
        help="How many hours before a deadline the center and the dispatcher "
        "are warned (in the policy's hours); 0 for no warning.",
    )
    alert_sms = fields.Boolean(
        string="Warn by SMS",
        help="Also text the technician (or the center) when a deadline nears.",
    )
    alert_email = fields.Boolean(
        string="Warn by E-mail",
        help="Also e-mail the center and the dispatcher when a deadline nears.",
    )

    order_count = fields.Integer(compute="_compute_order_count")
    ticket_count = fields.Integer(compute="_compute_ticket_count")

    @api.model
    def _selection_ticket_channel(self):
        # The request's own channels (the ticket package imports this module:
        # no import the other way).
        return (
            self.env["aftersales.ticket"]
            ._fields["channel"]
            ._description_selection(self.env)
        )

    # ------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------

    @api.constrains(
        "accept_hours",
        "arrival_hours",
        "resolve_hours",
        "ticket_response_hours",
        "ticket_resolve_hours",
        "warning_hours",
    )
    def _check_hours(self):
        for policy in self:
            hours = [
                policy[fname]
                for _target, fname, _d, _b in SLA_TARGETS + TICKET_SLA_TARGETS
            ]
            if any(h < 0 for h in hours) or policy.warning_hours < 0:
                raise ValidationError(
                    self.env._("SLA targets and margins cannot be negative.")
                )
            if not any(hours):
                raise ValidationError(
                    self.env._(
                        "The SLA policy %(name)s needs at least one target.",
                        name=policy.name,
                    )
                )

    # ------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------

    def _compute_order_count(self):
        counts = dict(
            self.env["aftersales.order"]._read_group(
                [("sla_policy_id", "in", self.ids)], ["sla_policy_id"], ["__count"]
            )
        )
        for policy in self:
            policy.order_count = counts.get(policy, 0)

    def _compute_ticket_count(self):
        counts = dict(
            self.env["aftersales.ticket"]._read_group(
                [("sla_policy_id", "in", self.ids)], ["sla_policy_id"], ["__count"]
            )
        )
        for policy in self:
            policy.ticket_count = counts.get(policy, 0)

    # ------------------------------------------------------------
    # Selection
    # ------------------------------------------------------------

    def _get_specificity(self, order):
        """How many scope dimensions the policy sets, or None when it does not
        apply to ``order``."""
        self.ensure_one()
        if self.company_id != order.company_id:
            return None
        specificity = 0
        for is_set, matches in self._get_scope_checks(order):
            if is_set:
                if not matches:
                    return None
                specificity += 1
        return specificity

    def _get_scope_checks(self, order):
        """(is set, matches ``order``) for each dimension of SCOPE_FIELDS.
        Extension hook: return ``super()._get_scope_checks(order) + [...]``
        with the new dimension added to SCOPE_FIELDS."""
        self.ensure_one()
        # The order's contract decides, whoever creates the order.
        contract_sudo = order.contract_id.sudo()
        return [
            (self.service_type_ids, order.service_type_id in self.service_type_ids),
            (self.priority, order.priority == self.priority),
            (self.country_state_ids, order.state_id in self.country_state_ids),
            (
                self.partner_category_ids,
                bool(
                    self.partner_category_ids
                    & (
                        order.partner_id.category_id
                        | order.partner_id.commercial_partner_id.category_id
                    )
                ),
            ),
            (self.contract_kind, self.contract_kind == (contract_sudo.kind or "none")),
        ]

    @api.model
    def _select_for_orders(self, orders):
        """The policy of each order: the most specific active one that applies,
        then the first by sequence. One search for the whole batch."""
        # Only the policies with a target for work orders and no request-only
        # scope: a policy for requests does not stamp orders.
        policies = self.search(
            Domain("company_id", "in", orders.company_id.ids)
            & self._get_targets_domain(SLA_TARGETS)
            & Domain.AND(Domain(f, "=", False) for f in TICKET_ONLY_SCOPE_FIELDS)
        )
        result = {}
        for order in orders:
            best, best_key = self.browse(), None
            for policy in policies:
                specificity = policy._get_specificity(order)
                if specificity is None:
                    continue
                key = (-specificity, policy.sequence, policy.id)
                if best_key is None or key < best_key:
                    best, best_key = policy, key
            result[order] = best
        return result

    @api.model
    def _get_targets_domain(self, targets):
        """Policies setting at least one of ``targets``."""
        return Domain.OR(Domain(fname, ">", 0) for _t, fname, _d, _b in targets)

    def _get_ticket_specificity(self, ticket):
        """How many scope dimensions the policy sets, or None when it does not
        apply to the request ``ticket``."""
        self.ensure_one()
        if self.company_id != ticket.company_id:
            return None
        specificity = 0
        for is_set, matches in self._get_ticket_scope_checks(ticket):
            if is_set:
                if not matches:
                    return None
                specificity += 1
        return specificity

    def _get_ticket_scope_checks(self, ticket):
        """(is set, matches ``ticket``) for each dimension of
        TICKET_SCOPE_FIELDS. Extension hook like _get_scope_checks()."""
        self.ensure_one()
        customer = ticket.partner_id
        place = ticket.site_id or customer
        return [
            (self.priority, ticket.priority == self.priority),
            (self.country_state_ids, place.state_id in self.country_state_ids),
            (
                self.partner_category_ids,
                bool(
                    self.partner_category_ids
                    & (
                        customer.category_id
                        | customer.commercial_partner_id.category_id
                    )
                ),
            ),
            (self.ticket_category_ids, ticket.category_id in self.ticket_category_ids),
            (self.ticket_channel, ticket.channel == self.ticket_channel),
            (self.ticket_team_ids, ticket.team_id in self.ticket_team_ids),
        ]

    @api.model
    def _select_for_tickets(self, tickets):
        """The policy of each request: the most specific active one with a
        request target that applies, then the first by sequence. One search
        for the whole batch."""
        policies = self.search(
            Domain("company_id", "in", tickets.company_id.ids)
            & self._get_targets_domain(TICKET_SLA_TARGETS)
            & Domain.AND(Domain(f, "=", False) for f in ORDER_ONLY_SCOPE_FIELDS)
        )
        result = {}
        for ticket in tickets:
            best, best_key = self.browse(), None
            for policy in policies:
                specificity = policy._get_ticket_specificity(ticket)
                if specificity is None:
                    continue
                key = (-specificity, policy.sequence, policy.id)
                if best_key is None or key < best_key:
                    best, best_key = policy, key
            result[ticket] = best
        return result

    # ------------------------------------------------------------
    # Clock
    # ------------------------------------------------------------

    def _add_hours(self, calendar, start, hours, intervals_cache=None):
        """``start`` + ``hours`` of the policy's time (naive UTC in and out).

        ``intervals_cache`` (a dict the caller keeps for a batch) holds the
        calendar's work intervals read for each start: the deadlines planned
        from one start (arrival, completion; the orders created or assigned
        together) read the calendar once instead of once each."""
        self.ensure_one()
        if self.time_basis == "calendar" or not calendar:
            return start + timedelta(hours=hours)
        if intervals_cache is None or start.tzinfo or hours < 0:
            # Public holidays count: plan_hours ignores them unless told.
            return calendar.plan_hours(hours, start, compute_leaves=True)
        key = (calendar.id, start)
        if key not in intervals_cache:
            # plan_hours' first window, read the way it reads it.
            window_start = start.replace(tzinfo=utc)
            intervals_cache[key] = list(
                calendar._work_intervals_batch(
                    window_start,
                    window_start + PLAN_WINDOW,
                    resources=self.env["resource.resource"],
                )[False]
            )
        # plan_hours' own walk over that window, step for step.
        remaining = hours
        for interval_start, interval_stop, _meta in intervals_cache[key]:
            interval_hours = (interval_stop - interval_start).total_seconds() / 3600
            if remaining <= interval_hours:
                moment = interval_start + timedelta(hours=remaining)
                return moment.astimezone(utc).replace(tzinfo=None)
            remaining -= interval_hours
        # Beyond the first window: plan_hours reads the next ones.
        return calendar.plan_hours(hours, start, compute_leaves=True)

    def _count_hours(self, calendar, start, end):
        """Hours of the policy's time between two naive UTC datetimes."""
        self.ensure_one()
        if end <= start:
            return 0.0
        if self.time_basis == "calendar" or not calendar:
            return (end - start).total_seconds() / 3600
        return calendar.get_work_hours_count(start, end, compute_leaves=True)

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_view_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales.aftersales_order_action"
        )
        action["domain"] = [("sla_policy_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_view_tickets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales.aftersales_ticket_action"
        )
        action["domain"] = [("sla_policy_id", "=", self.id)]
        action["context"] = {}
        return action

from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import format_date

from ...tools.labels import field_labels
from ...tools.sequence import number_new_records
from ..aftersales_contract_template import (
    BILLING_PLANS,
    CAP_PERIODS,
    CONTRACT_KINDS,
    KIND_COVERAGE,
)
from .states import CONTRACT_STATES, COVERING_STATES, LIVE_STATES

# One table for the state machine, as for the work order: the states a
# transition starts from, the lowest group allowed to run it, its UI flag.
TRANSITIONS = {
    "start": {
        "flag": "can_be_started",
        "from": ("draft",),
        "group": "aftersales.group_dispatcher",
    },
    "expire": {
        "flag": "can_be_expired",
        "from": ("running",),
        "group": "aftersales.group_dispatcher",
    },
    "cancel": {
        "flag": "can_be_cancelled",
        "from": ("draft", "running"),
        "group": "aftersales.group_dispatcher",
    },
    "reset": {
        "flag": "can_be_reset",
        "from": ("cancelled",),
        "group": "aftersales.group_dispatcher",
    },
}

# Fields only the contract's actions and crons write.
WORKFLOW_FIELDS = {"state", "previous_contract_id", "cancel_reason"}

# The terms that decide what is covered: edited while the contract is a draft.
DRAFT_FIELDS = {
    "template_id",
    "partner_id",
    "company_id",
    "kind",
    "date_start",
    "date_end",
    "scope",
    "covers_parts",
    "covers_labour",
    "covers_travel",
    "visit_cap",
    "parts_cap",
    "cap_period",
    "price",
    "billing_plan",
    "product_id",
    "tax_ids",
}

# How a contract names the units it covers, the most precise first.
SCOPES = [
    ("units", "Listed Serials"),
    ("site", "Products at a Site"),
    ("customer", "Every Unit of the Customer"),
]
# How precisely a contract names a unit (see ``_find_covering``): its serial,
# its product (at its site), or every unit of the customer.
PRECISION_SERIAL, PRECISION_PRODUCT, PRECISION_CUSTOMER = 0, 1, 2

# The terms a template gives a new contract (the coverage follows the kind).
TEMPLATE_FIELDS = (
    "kind",
    "price",
    "billing_plan",
    "product_id",
    "visit_cap",
    "parts_cap",
    "cap_period",
    "priority",
)


class AftersalesContract(models.Model):
    """A service contract: what the customer bought (coverage, caps, SLA
    priority, preferred center) for which units, from when until when."""

    _name = "aftersales.contract"
    _description = "After-Sales Service Contract"
    _inherit = ["portal.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    # Identity
    name = fields.Char(
        string="Reference",
        required=True,
        readonly=True,
        copy=False,
        default=lambda self: self.env._("New"),
        index="trigram",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    state = fields.Selection(
        CONTRACT_STATES,
        string="Status",
        required=True,
        readonly=True,
        copy=False,
        default="draft",
        index=True,
        tracking=True,
        help="* Draft: being prepared; covers nothing yet.\n"
        "* Running: covers its units and plans their visits.\n"
        "* Expired: its term ended or its renewal was refused.\n"
        "* Cancelled: will not run.",
    )
    template_id = fields.Many2one(
        "aftersales.contract.template", check_company=True, tracking=True
    )
    kind = fields.Selection(
        CONTRACT_KINDS,
        required=True,
        compute="_compute_from_template",
        store=True,
        readonly=False,
        precompute=True,
        index=True,
        tracking=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        default=lambda self: self.env.user,
        domain=[("share", "=", False)],
        check_company=True,
        index="btree_not_null",
        tracking=True,
        help="Gets the renewal activities.",
    )
    note = fields.Html(string="Terms")

    # Customer and term
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        check_company=True,
        tracking=True,
    )
    commercial_partner_id = fields.Many2one(
        related="partner_id.commercial_partner_id", store=True, index=True
    )
    date_start = fields.Date(
        required=True, default=fields.Date.context_today, index=True, tracking=True
    )
    date_end = fields.Date(
        compute="_compute_date_end",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        index=True,
        tracking=True,
    )
    previous_contract_id = fields.Many2one(
        "aftersales.contract",
        string="Renewal Of",
        readonly=True,
        copy=False,
        index="btree_not_null",
        check_company=True,
    )
    next_contract_ids = fields.One2many(
        "aftersales.contract",
        "previous_contract_id",
        string="Renewed By",
        readonly=True,
    )
    cancel_reason = fields.Text(readonly=True, copy=False)

    # Price
    price = fields.Monetary(
        string="Price per Year",
        compute="_compute_from_template",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        groups="aftersales.group_dispatcher,account.group_account_invoice,"
        "sales_team.group_sale_salesman",
    )
    billing_plan = fields.Selection(
        BILLING_PLANS,
        required=True,
        compute="_compute_from_template",
        store=True,
        readonly=False,
        precompute=True,
    )
    product_id = fields.Many2one(
        "product.product",
        string="Invoicing Product",
        compute="_compute_from_template",
        store=True,
        readonly=False,
        precompute=True,
        check_company=True,
        domain=[("type", "=", "service")],
    )
    tax_ids = fields.Many2many(
        "account.tax",
        string="Taxes",
        compute="_compute_tax_ids",
        store=True,
        readonly=False,
        precompute=True,
        check_company=True,
        domain=[("type_tax_use", "=", "sale")],
    )

    # What is covered
    scope = fields.Selection(
        SCOPES,
        string="Covered Units",
        required=True,
        default="units",
        help="* Listed Serials: the serials on the Units tab.\n"
        "* Products at a Site: the products on the Units tab at their address.\n"
        "* Every Unit of the Customer: any unit the customer brings.",
    )
    unit_ids = fields.One2many(
        "aftersales.contract.unit", "contract_id", string="Units", copy=True
    )
    unit_count = fields.Integer(compute="_compute_unit_count")
    covers_parts = fields.Boolean(
        compute="_compute_coverage", store=True, readonly=False, precompute=True
    )
    covers_labour = fields.Boolean(
        compute="_compute_coverage", store=True, readonly=False, precompute=True
    )
    covers_travel = fields.Boolean(
        compute="_compute_coverage", store=True, readonly=False, precompute=True
    )
    visit_cap = fields.Integer(
        string="Visits Covered",
        compute="_compute_from_template",
        store=True,
        readonly=False,
        precompute=True,
        help="Covered visits per cap period; 0: no limit.",
    )
    parts_cap = fields.Monetary(
        string="Parts Value Covered",
        compute="_compute_from_template",
        store=True,
        readonly=False,
        precompute=True,
        help="Value of the parts covered per cap period; 0: no limit.",
    )
    cap_period = fields.Selection(
        CAP_PERIODS,
        required=True,
        compute="_compute_from_template",
        store=True,
        readonly=False,
        precompute=True,
    )
    priority = fields.Selection(
        [("0", "Normal"), ("1", "High"), ("2", "Urgent")],
        string="SLA Priority",
        required=True,
        compute="_compute_from_template",
        store=True,
        readonly=False,
        precompute=True,
        help="The priority of the contract's work orders.",
    )
    center_id = fields.Many2one(
        "aftersales.center",
        string="Preferred Center",
        check_company=True,
        index="btree_not_null",
        tracking=True,
        help="The center the contract's planned visits go to when it can take them.",
    )

    # Work
    order_ids = fields.One2many("aftersales.order", "contract_id", string="Work Orders")
    order_count = fields.Integer(compute="_compute_order_count")

    # UI flags
    can_be_started = fields.Boolean(compute="_compute_can_be")
    can_be_expired = fields.Boolean(compute="_compute_can_be")
    can_be_cancelled = fields.Boolean(compute="_compute_can_be")
    can_be_reset = fields.Boolean(compute="_compute_can_be")

    _name_uniq = models.Constraint(
        "unique(name, company_id)", "Contract references must be unique."
    )
    _dates_check = models.Constraint(
        "CHECK(date_end >= date_start)", "A contract cannot end before it starts."
    )
    _caps_check = models.Constraint(
        "CHECK(visit_cap >= 0 AND parts_cap >= 0)",
        "The caps of a contract cannot be below zero.",
    )

    # ------------------------------------------------------------
    # Compute methods
    # ------------------------------------------------------------

    @api.depends("template_id")
    def _compute_from_template(self):
        for contract in self:
            template = contract.template_id
            if template:
                for fname in TEMPLATE_FIELDS:
                    contract[fname] = template[fname]
                continue
            # Without a template, the required terms get their defaults and
            # the others keep what was typed.
            contract.kind = contract.kind or "amc"
            contract.billing_plan = contract.billing_plan or "yearly"
            contract.cap_period = contract.cap_period or "year"
            contract.priority = contract.priority or "0"

    @api.depends("kind", "template_id")
    def _compute_coverage(self):
        for contract in self:
            template = contract.template_id
            if template and template.kind == contract.kind:
                coverage = (
                    template.covers_parts,
                    template.covers_labour,
                    template.covers_travel,
                )
            else:
                coverage = KIND_COVERAGE[contract.kind or "amc"]
            (
                contract.covers_parts,
                contract.covers_labour,
                contract.covers_travel,
            ) = coverage

    @api.depends("date_start", "template_id")
    def _compute_date_end(self):
        for contract in self:
            if not contract.date_start:
                continue
            months = contract.template_id.duration_months or 12
            contract.date_end = (
                contract.date_start
                + relativedelta(months=months)
                - relativedelta(days=1)
            )

    @api.depends("product_id")
    def _compute_tax_ids(self):
        for contract in self:
            contract.tax_ids = contract.product_id.taxes_id.filtered(
                lambda t, c=contract: t.company_id in c.company_id.parent_ids
            )

    @api.depends("unit_ids")
    def _compute_unit_count(self):
        for contract in self:
            contract.unit_count = len(contract.unit_ids)

    def _compute_order_count(self):
        # Every user who sees the contract sees how many orders it has.
        orders_sudo = self.env["aftersales.order"].sudo()
        counts = dict(
            orders_sudo._read_group(
                [("contract_id", "in", self.ids)], ["contract_id"], ["__count"]
            )
        )
        for contract in self:
            contract.order_count = counts.get(contract._origin, 0)

    @api.depends("state")
    @api.depends_context("uid")
    def _compute_can_be(self):
        for transition, rule in TRANSITIONS.items():
            user_may = self._user_may(transition)
            for contract in self:
                contract[rule["flag"]] = user_may and contract.state in rule["from"]

    def _compute_access_url(self):
        result = super()._compute_access_url()
        for contract in self:
            contract.access_url = f"/my/contracts/{contract.id}"
        return result

    # ------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------

    def _dates_error(self, name, date_start, date_end):
        return ValidationError(
            self.env._(
                "Contract %(name)s ends on %(end)s, before it starts on %(start)s.",
                name=name,
                end=format_date(self.env, date_end),
                start=format_date(self.env, date_start),
            )
        )

    def _amounts_error(self, name):
        return ValidationError(
            self.env._(
                "The price and caps of contract %(name)s cannot be below zero.",
                name=name,
            )
        )

    def _check_create_values(self, vals):
        """Refuse the values the table's CHECKs would refuse, before the row
        is inserted: the database's message is neither precise nor in the
        user's language (on write the constraints below speak first)."""
        if "date_end" in vals:
            date_start = fields.Date.to_date(
                vals.get("date_start") or fields.Date.context_today(self)
            )
            date_end = fields.Date.to_date(vals["date_end"])
            if date_end and date_end < date_start:
                raise self._dates_error(vals.get("name"), date_start, date_end)
        if any((vals.get(f) or 0) < 0 for f in ("visit_cap", "parts_cap", "price")):
            raise self._amounts_error(vals.get("name"))

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for contract in self:
            if contract.date_end < contract.date_start:
                raise self._dates_error(
                    contract.name, contract.date_start, contract.date_end
                )

    @api.constrains("visit_cap", "parts_cap", "price")
    def _check_amounts(self):
        # The price has field groups: the rule holds whoever writes.
        for contract_sudo in self.sudo():
            if min(contract_sudo.visit_cap, contract_sudo.parts_cap) < 0 or (
                contract_sudo.price < 0
            ):
                raise self._amounts_error(contract_sudo.name)

    def _get_overlap_domain(self):
        """The other live contracts of the same kind, company and customer
        whose term overlaps this one's."""
        self.ensure_one()
        return Domain(
            [
                ("id", "!=", self.id),
                ("company_id", "=", self.company_id.id),
                ("commercial_partner_id", "=", self.commercial_partner_id.id),
                ("kind", "=", self.kind),
                ("state", "in", LIVE_STATES),
                ("date_start", "<=", self.date_end),
                ("date_end", ">=", self.date_start),
            ]
        )

    @api.constrains(
        "state", "kind", "date_start", "date_end", "scope", "partner_id", "company_id"
    )
    def _check_overlap(self):
        """A unit is covered by one live contract of a kind at a time (see the
        unit's ``_check_covered_once``); a contract for every unit of the
        customer clashes with any other of its kind for that customer."""
        live = self.filtered(lambda c: c.state in LIVE_STATES)
        live.unit_ids._check_covered_once()
        # The clash may be in a contract the user cannot read.
        contracts_sudo = self.sudo()
        for contract in live.filtered(lambda c: c.scope == "customer"):
            clash = contracts_sudo.search(
                contract._get_overlap_domain()
                & (Domain("scope", "=", "customer") | Domain("unit_ids", "!=", False)),
                limit=1,
            )
            if clash:
                raise ValidationError(
                    self.env._(
                        "Contract %(name)s covers every unit of %(customer)s, "
                        "which contract %(other)s of the same kind already "
                        "covers (all or some) over these dates.",
                        name=contract.name,
                        customer=contract.partner_id.display_name,
                        other=clash.name,
                    )
                )

    # ------------------------------------------------------------
    # Overrides
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._ensure_workflow_fields_untouched(vals)
        number_new_records(self, vals_list, "name", "aftersales.contract")
        for vals in vals_list:
            self._check_create_values(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._ensure_workflow_fields_untouched(vals)
        locked = DRAFT_FIELDS.intersection(vals)
        if locked and not self._is_workflow_write():
            started = self.filtered(lambda c: c.state != "draft")
            if started:
                raise UserError(
                    self.env._(
                        "%(fields)s of contract %(contracts)s are its terms: they "
                        "change only while it is a draft. Renew it to change them.",
                        fields=field_labels(self, locked),
                        contracts=", ".join(started.mapped("name")),
                    )
                )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_started(self):
        started = self.filtered(lambda c: c.state not in ("draft", "cancelled"))
        if started:
            raise UserError(
                self.env._(
                    "Only draft or cancelled contracts can be deleted; cancel "
                    "%(contracts)s first.",
                    contracts=", ".join(started.mapped("name")),
                )
            )

    # ------------------------------------------------------------
    # Guards
    # ------------------------------------------------------------

    def _is_workflow_write(self):
        return self.env.su or self.env.context.get("aftersales_contract_workflow")

    def _get_workflow_fields(self):
        """The fields only the contract's actions write. Extension hook: a
        seam returns ``super()._get_workflow_fields() | {its fields}``."""
        return WORKFLOW_FIELDS

    def _ensure_workflow_fields_untouched(self, vals):
        locked = self._get_workflow_fields().intersection(vals)
        if locked and not self._is_workflow_write():
            raise UserError(
                self.env._(
                    "%(fields)s of a contract change only through its actions "
                    "(Start, Cancel, Renew, ...).",
                    fields=field_labels(self, locked),
                )
            )

    def _workflow_write(self, vals):
        return self.with_context(aftersales_contract_workflow=True).write(vals)

    def _user_may(self, transition):
        return self.env.su or self.env.user.has_group(TRANSITIONS[transition]["group"])

    def _ensure_transition(self, transition, label):
        """Raise unless the current user may run ``transition`` on all of ``self``."""
        self.check_access("write")
        if not self._user_may(transition):
            raise AccessError(
                self.env._("You are not allowed to %(action)s contracts.", action=label)
            )
        allowed_states = TRANSITIONS[transition]["from"]
        blocked = self.filtered(lambda c: c.state not in allowed_states)
        if blocked:
            states = dict(CONTRACT_STATES)
            raise UserError(
                self.env._(
                    "You cannot %(action)s %(contracts)s: the contract must be "
                    "%(states)s.",
                    action=label,
                    contracts=", ".join(
                        f"{c.name} ({states[c.state]})" for c in blocked
                    ),
                    states=self.env._(" or ").join(states[s] for s in allowed_states),
                )
            )

    def _ensure_can_be_started(self):
        self._ensure_transition("start", self.env._("start"))
        self._check_company()
        for contract in self:
            if contract.scope != "customer" and not contract.unit_ids:
                raise UserError(
                    self.env._(
                        "Contract %(name)s covers no unit: add its serials or "
                        "products on the Units tab, or make it cover every unit "
                        "of the customer.",
                        name=contract.name,
                    )
                )

    def _ensure_can_be_expired(self):
        self._ensure_transition("expire", self.env._("expire"))

    def _ensure_can_be_cancelled(self):
        self._ensure_transition("cancel", self.env._("cancel"))

    def _ensure_can_be_reset(self):
        self._ensure_transition("reset", self.env._("reset"))

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_start(self):
        """Start the contracts: from now they cover their units and plan visits."""
        self._ensure_can_be_started()
        self._action_start()
        return True

    def action_expire(self):
        """End the contracts now: they stop covering and planning visits."""
        self._ensure_can_be_expired()
        self._action_expire(self.env._("Expired by %(user)s.", user=self.env.user.name))
        return True

    def action_cancel(self, reason=None):
        """Cancel the contracts, giving a reason."""
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Give a reason to cancel the contract."))
        self._ensure_can_be_cancelled()
        self._action_cancel(reason)
        return True

    def action_reset(self):
        """Bring cancelled contracts back to draft."""
        self._ensure_can_be_reset()
        self._workflow_write({"state": "draft", "cancel_reason": False})
        return True

    def action_view_orders(self):
        """Open the contract's work orders."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales.aftersales_order_action"
        )
        action["domain"] = [("contract_id", "=", self.id)]
        action["context"] = {"default_contract_id": self.id}
        return action

    # ------------------------------------------------------------
    # Workers (no checks: the actions and crons call them)
    # ------------------------------------------------------------

    def _action_start(self):
        self._workflow_write({"state": "running"})
        # Re-read the coverage of the open orders the contract now covers.
        self._recompute_open_order_coverage()

    def _action_expire(self, message):
        self._workflow_write({"state": "expired"})
        for contract in self:
            contract.message_post(body=message)
        self._stop_planned_work(message)

    def _action_cancel(self, reason):
        self._workflow_write({"state": "cancelled", "cancel_reason": reason})
        for contract in self:
            contract.message_post(
                body=self.env._("Cancelled: %(reason)s", reason=reason)
            )
        self._stop_planned_work(reason)

    def _stop_planned_work(self, reason):
        """Hook: what ending a contract stops (the planning seam cancels the
        visits it planned and not started yet)."""
        return None

    def _recompute_open_order_coverage(self):
        """Hook: the order's contract seam re-reads which contract covers the
        open orders of these contracts' customers."""
        return None

    def _get_portal_documents(self):
        """Hook: the documents the customer sees on the contract's portal page,
        each a dict with name, label (what it is), date, amount, state (label)
        and url. The account seam adds invoices, the sale seam the renewal
        offer."""
        self.ensure_one()
        return []

    # ------------------------------------------------------------
    # Crons
    # ------------------------------------------------------------

    @api.model
    def _cron_expire(self, batch_size=500):
        """Expire the running contracts whose term ended, committing each batch."""
        self._expire_ended(batch_size, after_batch=self.env["ir.cron"]._commit_progress)

    @api.model
    def _expire_ended(self, batch_size=500, after_batch=None):
        """Expire the running contracts whose term ended, ``batch_size`` at a
        time, calling ``after_batch(count)`` after each batch (the cron
        commits there; a false answer stops). Safe to run twice at once: a
        contract another worker holds is its to end."""
        today = fields.Date.context_today(self)
        while True:
            contracts = self.search(
                [("state", "=", "running"), ("date_end", "<", today)],
                limit=batch_size,
                order="id",
            )
            locked = contracts.try_lock_for_update()
            if not locked:
                return
            for date_end, ended in locked.grouped("date_end").items():
                ended._action_expire(
                    self.env._(
                        "The contract's term ended on %(date)s.",
                        date=format_date(self.env, date_end),
                    )
                )
            if after_batch and not after_batch(len(locked)):
                return
            if len(contracts) < batch_size:
                return

    # ------------------------------------------------------------
    # Coverage: which contract covers a unit
    # ------------------------------------------------------------

    @api.model
    def _find_covering(self, units):
        """{key: contract} for ``units``, an iterable of dicts with key,
        company_id, partner_id (commercial), product_id, lot_id, address_id,
        date: the running contract that covers each, the most precise first
        (a line of its serial, a line of its product at its site, every unit
        of the customer), then the one covering the most (parts, labour,
        travel), then the oldest. One search for all of them.

        The contracts returned are sudo (whoever creates an order learns which
        contract covers it): read their terms, never show them as they are."""
        units = list(units)
        if not units:
            return {}
        # Every user who creates or sees an order may learn which contract
        # covers it, a portal customer or a center that cannot read it.
        contracts_sudo = self.sudo().search(
            [
                ("state", "in", COVERING_STATES),
                ("commercial_partner_id", "in", list({u["partner_id"] for u in units})),
                ("company_id", "in", list({u["company_id"] for u in units})),
                ("date_start", "<=", max(u["date"] for u in units)),
                ("date_end", ">=", min(u["date"] for u in units)),
            ],
            order="id",
        )
        if not contracts_sudo:
            return {}
        by_partner = defaultdict(list)
        for contract_sudo in contracts_sudo:
            by_partner[contract_sudo.commercial_partner_id.id].append(contract_sudo)
        lines_by_contract = defaultdict(list)
        for line_sudo in contracts_sudo.unit_ids:
            lines_by_contract[line_sudo.contract_id.id].append(line_sudo)
        result = {}
        for unit in units:
            best = None
            for contract_sudo in by_partner.get(unit["partner_id"], ()):
                if contract_sudo.company_id.id != unit["company_id"] or not (
                    contract_sudo.date_start <= unit["date"] <= contract_sudo.date_end
                ):
                    continue
                precision = min(
                    (
                        PRECISION_SERIAL if line_sudo.lot_id else PRECISION_PRODUCT
                        for line_sudo in lines_by_contract[contract_sudo.id]
                        if line_sudo._matches(unit)
                    ),
                    default=PRECISION_CUSTOMER
                    if contract_sudo.scope == "customer"
                    else None,
                )
                if precision is None:
                    continue
                rank = (
                    precision,
                    -(
                        contract_sudo.covers_parts
                        + contract_sudo.covers_labour
                        + contract_sudo.covers_travel
                    ),
                    contract_sudo.id,
                )
                if best is None or rank < best[0]:
                    best = (rank, contract_sudo)
            if best:
                result[unit["key"]] = best[1]
        return result

    def _get_cap_window(self, date):
        """(first day, last day) of the cap period that holds ``date``: the
        whole term, or the year or month counted from the start (a period
        that starts on the 31st starts on the last day of shorter months). A
        date outside the term falls in the first or last period."""
        self.ensure_one()
        if self.cap_period == "term":
            return self.date_start, self.date_end
        months = 12 if self.cap_period == "year" else 1
        date = min(max(date, self.date_start), self.date_end)

        def period_start(index):
            return self.date_start + relativedelta(months=index * months)

        elapsed = relativedelta(date, self.date_start)
        index = (elapsed.years * 12 + elapsed.months) // months
        while period_start(index) > date:
            index -= 1
        while period_start(index + 1) <= date:
            index += 1
        end = period_start(index + 1) - relativedelta(days=1)
        return period_start(index), min(end, self.date_end)

from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.fields import Domain

from ..aftersales_order.states import STOPPED_STATES
from .states import COVERING_STATES

# Planned visits not started yet: ending the contract cancels them, and the
# customer is reminded of them.
NOT_STARTED_STATES = ("new", "assigned", "accepted")


class AftersalesContract(models.Model):
    """The contract's planned visits (depends on the work order): plan lines
    turned into work orders ahead of time, reminders, planned vs done."""

    _inherit = "aftersales.contract"

    plan_ids = fields.One2many(
        "aftersales.contract.plan", "contract_id", string="Planned Visits", copy=True
    )
    visit_ids = fields.One2many(
        "aftersales.order",
        "contract_id",
        string="Visits",
        domain=[("contract_plan_id", "!=", False)],
    )
    visit_planned_count = fields.Integer(
        string="Visits Planned",
        compute="_compute_visit_counts",
        help="Work orders the contract's plan generated.",
    )
    visit_done_count = fields.Integer(
        string="Visits Done", compute="_compute_visit_counts"
    )
    visit_missed_count = fields.Integer(
        string="Visits Missed",
        compute="_compute_visit_counts",
        help="Planned visits that were cancelled or handed back undone.",
    )

    # ------------------------------------------------------------
    # Compute methods
    # ------------------------------------------------------------

    def _compute_visit_counts(self):
        # Every user who sees the contract sees how its visits went.
        orders_sudo = self.env["aftersales.order"].sudo()
        counts = defaultdict(lambda: defaultdict(int))
        for contract, state, count in orders_sudo._read_group(
            [("contract_id", "in", self.ids), ("contract_plan_id", "!=", False)],
            ["contract_id", "state"],
            ["__count"],
        ):
            counts[contract.id][state] = count
        for contract in self:
            by_state = counts[contract._origin.id]
            contract.visit_planned_count = sum(by_state.values())
            contract.visit_done_count = by_state["done"]
            contract.visit_missed_count = sum(by_state[s] for s in STOPPED_STATES)

    # ------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------

    @api.constrains("date_start", "date_end")
    def _check_plans_fire(self):
        """A new term must leave each plan line a date to fire on."""
        self.plan_ids._check_rule()

    # ------------------------------------------------------------
    # Overrides
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        # A contract made from a template starts with the template's plan,
        # unless its plan is given (the form's onchange already copied it).
        templates = self.env["aftersales.contract.template"].browse(
            [vals["template_id"] for vals in vals_list if vals.get("template_id")]
        )
        for vals in vals_list:
            if vals.get("template_id") and "plan_ids" not in vals:
                template = templates.browse(vals["template_id"])
                vals["plan_ids"] = template.plan_ids._get_contract_commands()
        return super().create(vals_list)

    @api.onchange("template_id")
    def _onchange_template_id_plans(self):
        if self.template_id and self.state == "draft":
            self.plan_ids = [
                Command.clear(),
                *self.template_id.plan_ids._get_contract_commands(),
            ]

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_view_visits(self):
        """Open the work orders the contract's plan generated."""
        action = self.action_view_orders()
        action["domain"] = [
            ("contract_id", "=", self.id),
            ("contract_plan_id", "!=", False),
        ]
        action["name"] = self.env._("Planned Visits")
        return action

    # ------------------------------------------------------------
    # Hooks of the core
    # ------------------------------------------------------------

    def _stop_planned_work(self, reason):
        """Cancel the planned visits after today that have not started."""
        result = super()._stop_planned_work(reason)
        today = fields.Date.context_today(self)
        orders = self.env["aftersales.order"].search(
            [
                ("contract_id", "in", self.ids),
                ("contract_plan_id", "!=", False),
                ("state", "in", NOT_STARTED_STATES),
                ("planned_date", ">", today),
            ]
        )
        if orders:
            orders._action_cancel(reason)
        return result

    # ------------------------------------------------------------
    # Visit generation
    # ------------------------------------------------------------

    @api.model
    def _cron_generate_visits(self):
        """Turn the running contracts' plans into work orders, committing
        each batch."""
        self._generate_visits(after_batch=self.env["ir.cron"]._commit_progress)

    def _generate_visits(self, date_until=None, batch_size=500, after_batch=None):
        """Create the work orders the plan lines of the running contracts
        (of ``self``, or of all when empty) plan up to ``date_until`` (by
        default today plus the company's days ahead; never past a contract's
        end), ``batch_size`` plan lines at a time, calling
        ``after_batch(count)`` after each batch (the cron commits there; a
        false answer stops). Return the orders created.

        Never a visit twice: a line another worker holds is skipped (it is
        that worker's to plan), a line's ``generated_until`` moves in the
        same transaction as its orders, and the unique index on (plan line,
        unit, day) refuses a duplicate whatever happened."""
        today = fields.Date.context_today(self)
        Plan = self.env["aftersales.contract.plan"]
        domain = Domain(
            [
                ("contract_id.state", "in", COVERING_STATES),
                ("contract_id.date_end", ">=", today),
            ]
        )
        if self:
            domain &= Domain("contract_id", "in", self.ids)
        if date_until is None:
            # Only the lines behind their company's horizon (the companies
            # that have running plan lines).
            companies = self.env["res.company"].browse(
                company.id for [company] in Plan._read_group(domain, ["company_id"])
            )
            domain &= Domain.OR(
                Domain("company_id", "=", company.id)
                & (
                    Domain("generated_until", "=", False)
                    | Domain(
                        "generated_until",
                        "<",
                        today + timedelta(days=company.aftersales_contract_days_ahead),
                    )
                )
                for company in companies
            )
        created = self.env["aftersales.order"]
        last_id = 0
        while True:
            plans = Plan.search(
                domain & Domain("id", ">", last_id), limit=batch_size, order="id"
            )
            if not plans:
                break
            last_id = plans[-1].id
            locked = plans.try_lock_for_update()
            orders = self._generate_plan_visits(locked, today, date_until)
            created |= orders
            if after_batch:
                if not after_batch(len(orders)):
                    break
                # Committed: the batch's records need not stay in memory.
                self.env.invalidate_all()
            if len(plans) < batch_size:
                break
        return created

    @api.model
    def _generate_plan_visits(self, plans, today, date_until=None):
        """Create the work orders of ``plans`` (locked by the caller) in one
        batch and advance their ``generated_until``."""
        Order = self.env["aftersales.order"]
        todo = []
        for plan in plans:
            contract = plan.contract_id
            horizon = date_until or today + timedelta(
                days=contract.company_id.aftersales_contract_days_ahead
            )
            last = min(horizon, contract.date_end)
            first = max(
                plan.generated_until + timedelta(days=1)
                if plan.generated_until
                else contract.date_start,
                contract.date_start,
                today,
            )
            if first > last:
                continue
            todo.append((plan, plan._get_dates(first, last), last))
        if not todo:
            return Order
        existing = self._get_existing_visits(todo)
        vals_list = []
        for plan, dates, _last in todo:
            units = plan.unit_ids or plan.contract_id.unit_ids
            for date in dates:
                for unit in units:
                    if (plan.id, unit.id, date) not in existing:
                        vals_list.append(
                            plan.contract_id._prepare_visit_order_vals(plan, unit, date)
                        )
        # The plan's bookkeeping (plan line, unit, planned day) is the order's
        # workflow fields: the generator writes them, whoever runs it.
        orders_sudo = Order.sudo().create(vals_list) if vals_list else Order.sudo()
        orders = orders_sudo.with_env(self.env)
        for plan, _dates, last in todo:
            if not plan.generated_until or plan.generated_until < last:
                plan.generated_until = last
        return orders

    @api.model
    def _get_existing_visits(self, todo):
        """{(plan, unit, day)} of the visits of ``todo`` (plan, dates, last)
        that already have an order (e.g. a plan line's horizon moved back):
        skipped here, where the unique index would fail the whole batch."""
        firsts = [dates[0] for _plan, dates, _last in todo if dates]
        if not firsts:
            return set()
        orders = self.env["aftersales.order"].search(
            [
                ("contract_plan_id", "in", [plan.id for plan, _d, _l in todo]),
                ("planned_date", ">=", min(firsts)),
            ]
        )
        return {
            (order.contract_plan_id.id, order.contract_unit_id.id, order.planned_date)
            for order in orders
        }

    def _prepare_visit_order_vals(self, plan, unit, date):
        """Values of the work order visiting ``unit`` on ``date`` for
        ``plan`` (extension hook)."""
        self.ensure_one()
        center = self.center_id
        vals = {
            "company_id": self.company_id.id,
            "partner_id": self.partner_id.id,
            "product_id": unit.product_id.id,
            "lot_id": unit.lot_id.id,
            "service_type_id": plan.service_type_id.id,
            "channel": "contract",
            "contract_id": self.id,
            "contract_unit_id": unit.id,
            "contract_plan_id": plan.id,
            "planned_date": date,
            "scheduled_date": plan._local_moment(
                date, plan.hour_from, self._get_visit_tz(unit)
            ),
            "priority": self.priority,
            "description": Markup("<p>%s</p>")
            % self.env._(
                "Planned visit of contract %(contract)s: %(plan)s.",
                contract=self.name,
                plan=plan._get_label(),
            ),
        }
        if unit.address_id:
            vals["address_id"] = unit.address_id.id
        # The preferred center gets the visit only if it does the service:
        # a center given at creation that cannot take the order would send
        # it to a dispatcher; otherwise the engine chooses.
        if center.active and plan.service_type_id in center.service_type_ids:
            vals["center_id"] = center.id
        return vals

    def _get_visit_tz(self, unit):
        """The zone the plan's hours are read in: the site's, the
        customer's, else the place's as the work order reads it (the
        preferred center's calendar, the company's)."""
        self.ensure_one()
        return (
            unit.address_id.tz
            or self.partner_id.tz
            or self.center_id.resource_calendar_id.tz
            or self.company_id.partner_id.tz
            or self.company_id.resource_calendar_id.tz
            or "UTC"
        )

    # ------------------------------------------------------------
    # Reminders
    # ------------------------------------------------------------

    @api.model
    def _cron_remind_visits(self):
        """Remind customers of their coming planned visits, committing each
        batch."""
        self._remind_visits(after_batch=self.env["ir.cron"]._commit_progress)

    @api.model
    def _remind_visits(self, after_batch=None, batch_size=500):
        """Send the reminder of each planned visit not started yet and
        scheduled within its company's reminder days, by the channels the
        company enables, once: the order is locked, reminded and marked in
        one transaction (a visit another worker holds is its to remind).
        Return the orders reminded."""
        now = fields.Datetime.now()
        companies = self.env["res.company"].search(
            [
                ("aftersales_contract_reminder_days", ">", 0),
                "|",
                ("aftersales_contract_reminder_sms", "=", True),
                ("aftersales_contract_reminder_email", "=", True),
            ]
        )
        if not companies:
            return self.env["aftersales.order"]
        domain = Domain(
            [
                ("contract_plan_id", "!=", False),
                ("contract_reminder_sent", "=", False),
                ("state", "in", NOT_STARTED_STATES),
                ("scheduled_date", ">=", now),
            ]
        ) & Domain.OR(
            Domain("company_id", "=", company.id)
            & Domain(
                "scheduled_date",
                "<=",
                now + timedelta(days=company.aftersales_contract_reminder_days),
            )
            for company in companies
        )
        Order = self.env["aftersales.order"]
        reminded = Order
        while True:
            orders = Order.search(domain, limit=batch_size, order="scheduled_date, id")
            locked = orders.try_lock_for_update()
            if not locked:
                break
            locked._send_contract_reminder()
            reminded |= locked
            if after_batch and not after_batch(len(locked)):
                break
            if len(orders) < batch_size:
                break
        return reminded

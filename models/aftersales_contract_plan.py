from datetime import datetime, time

import pytz
from dateutil.relativedelta import relativedelta
from dateutil.rrule import DAILY, MONTHLY, WEEKLY, rrule, rruleset, weekday

from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError

RECURRENCE_RULES = [
    ("interval", "Every N Days, Weeks or Months"),
    ("weekdays", "On Chosen Weekdays"),
    ("monthdays", "On Chosen Days of the Month"),
]
INTERVAL_UNITS = [("days", "Days"), ("weeks", "Weeks"), ("months", "Months")]
FREQUENCIES = {"days": DAILY, "weeks": WEEKLY, "months": MONTHLY}
# The weekday fields, Monday first (dateutil's weekday numbers).
WEEKDAY_FIELDS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Days every month has: a later day falls on the last day of shorter months.
SHORTEST_MONTH = 28


class AftersalesContractPlan(models.Model):
    """A line of planned visits: which service, how often, in which time
    window, for which of the contract's units. On a template, the plan a new
    contract of the template starts with."""

    _name = "aftersales.contract.plan"
    _description = "After-Sales Contract Plan Line"
    _order = "sequence, id"
    _check_company_auto = True

    sequence = fields.Integer(default=10)
    contract_id = fields.Many2one(
        "aftersales.contract", index="btree_not_null", ondelete="cascade"
    )
    template_id = fields.Many2one(
        "aftersales.contract.template", index="btree_not_null", ondelete="cascade"
    )
    company_id = fields.Many2one(
        "res.company",
        compute="_compute_company_id",
        store=True,
        index=True,
        precompute=True,
    )
    name = fields.Char(string="Description", translate=True)
    service_type_id = fields.Many2one(
        "aftersales.service.type", required=True, check_company=True
    )
    rule_type = fields.Selection(
        RECURRENCE_RULES, string="Repeat", required=True, default="interval"
    )
    interval = fields.Integer(string="Every", default=6)
    interval_unit = fields.Selection(INTERVAL_UNITS, default="months")
    mon = fields.Boolean()
    tue = fields.Boolean()
    wed = fields.Boolean()
    thu = fields.Boolean()
    fri = fields.Boolean()
    sat = fields.Boolean()
    sun = fields.Boolean()
    month_days = fields.Char(
        string="Days of the Month", help="Comma-separated days, e.g. 1, 15."
    )
    hour_from = fields.Float(
        string="Window From", default=9.0, help="Preferred visit window, local time."
    )
    hour_to = fields.Float(string="Window To", default=12.0)
    unit_ids = fields.Many2many(
        "aftersales.contract.unit",
        string="Units",
        domain="[('contract_id', '=', contract_id)]",
        help="The units visited; empty: every unit of the contract.",
    )
    generated_until = fields.Date(
        readonly=True,
        copy=False,
        help="The visits planned up to this day exist as work orders.",
    )

    _owner_check = models.Constraint(
        "CHECK((contract_id IS NULL) != (template_id IS NULL))",
        "A plan line belongs to a contract or to a template.",
    )

    # ------------------------------------------------------------
    # Compute methods
    # ------------------------------------------------------------

    @api.depends("contract_id.company_id", "template_id.company_id")
    def _compute_company_id(self):
        for plan in self:
            plan.company_id = (
                plan.contract_id.company_id
                or plan.template_id.company_id
                or self.env.company
            )

    # ------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------

    @api.constrains("hour_from", "hour_to")
    def _check_window(self):
        for plan in self:
            if not (0 <= plan.hour_from < plan.hour_to <= 24):
                raise ValidationError(
                    self.env._(
                        "The visit window of %(plan)s must start before it ends, "
                        "within the day.",
                        plan=plan.display_name,
                    )
                )

    @api.constrains(
        "rule_type", "interval", "month_days", *WEEKDAY_FIELDS, "contract_id"
    )
    def _check_rule(self):
        """A plan line must be able to fire: a positive interval, a weekday,
        valid month days, and a date within its contract's term."""
        for plan in self:
            if plan.rule_type == "interval" and plan.interval < 1:
                raise ValidationError(
                    self.env._(
                        "Plan line %(plan)s repeats every %(interval)s: the "
                        "interval must be at least 1.",
                        plan=plan._get_label(),
                        interval=plan.interval,
                    )
                )
            if plan.rule_type == "weekdays" and not plan._get_weekdays():
                raise ValidationError(
                    self.env._(
                        "Plan line %(plan)s repeats on chosen weekdays: tick at "
                        "least one day.",
                        plan=plan._get_label(),
                    )
                )
            if plan.rule_type == "monthdays":
                plan._parse_month_days()
            contract = plan.contract_id
            if contract and not plan._get_dates(contract.date_start, contract.date_end):
                raise ValidationError(
                    self.env._(
                        "Plan line %(plan)s never falls between %(start)s and "
                        "%(end)s, the term of contract %(contract)s.",
                        plan=plan._get_label(),
                        start=contract.date_start,
                        end=contract.date_end,
                        contract=contract.name,
                    )
                )

    @api.constrains("unit_ids", "contract_id", "template_id")
    def _check_units(self):
        for plan in self:
            strangers = plan.unit_ids.filtered(
                lambda u, p=plan: not p.contract_id or u.contract_id != p.contract_id
            )
            if strangers:
                raise ValidationError(
                    self.env._(
                        "Plan line %(plan)s can only visit units of its own "
                        "contract, not %(units)s.",
                        plan=plan._get_label(),
                        units=", ".join(
                            u.lot_id.name or u.product_id.display_name
                            for u in strangers
                        ),
                    )
                )

    # ------------------------------------------------------------
    # Recurrence
    # ------------------------------------------------------------

    def _get_label(self):
        """How messages name the line: its description, else its service."""
        self.ensure_one()
        return self.name or self.service_type_id.display_name or "-"

    def _get_weekdays(self):
        """dateutil weekdays of the ticked days."""
        self.ensure_one()
        return [
            weekday(number)
            for number, fname in enumerate(WEEKDAY_FIELDS)
            if self[fname]
        ]

    def _parse_month_days(self):
        """The sorted days of ``month_days``; raise on anything else than
        comma-separated days between 1 and 31."""
        self.ensure_one()
        parts = [part.strip() for part in (self.month_days or "").split(",")]
        parts = [part for part in parts if part]
        if not parts:
            raise ValidationError(
                self.env._(
                    "Plan line %(plan)s repeats on days of the month: give at "
                    "least one day, e.g. 1, 15.",
                    plan=self._get_label(),
                )
            )
        days = set()
        for part in parts:
            if not part.isdigit() or not 1 <= int(part) <= 31:
                raise ValidationError(
                    self.env._(
                        "Plan line %(plan)s: %(value)s is not a day of the month "
                        "(1 to 31); write days separated by commas, e.g. 1, 15.",
                        plan=self._get_label(),
                        value=part,
                    )
                )
            days.add(int(part))
        return sorted(days)

    @api.model
    def _monthly_rule(self, dtstart, day, interval=1):
        """Every ``interval`` months on ``day``; a day that a month lacks
        (29, 30, 31) falls on that month's last day instead of being skipped,
        so a visit "on the 31st" happens every month."""
        if day <= SHORTEST_MONTH:
            return rrule(MONTHLY, dtstart=dtstart, interval=interval, bymonthday=day)
        return rrule(
            MONTHLY,
            dtstart=dtstart,
            interval=interval,
            bymonthday=(day, -1),
            bysetpos=1,
        )

    def _get_rrule(self, dtstart):
        """The recurrence of this line from ``dtstart`` (a datetime, the
        contract's start): an rrule, or an rruleset of one monthly rule per
        month day (dateutil yields a day two rules share once).

        - every N days / weeks / months: the first visit on the start day,
          then every N; by months, on the start's day of the month (the last
          day of shorter months, see _monthly_rule);
        - chosen weekdays: every week on those days;
        - chosen month days: every month on those days, a day the month
          lacks on its last day."""
        self.ensure_one()
        if self.rule_type == "weekdays":
            return rrule(WEEKLY, dtstart=dtstart, byweekday=self._get_weekdays())
        if self.rule_type == "monthdays":
            rules = rruleset()
            for day in self._parse_month_days():
                rules.rrule(self._monthly_rule(dtstart, day))
            return rules
        interval = max(self.interval, 1)
        if self.interval_unit == "months":
            return self._monthly_rule(dtstart, dtstart.day, interval)
        return rrule(
            FREQUENCIES[self.interval_unit or "days"],
            dtstart=dtstart,
            interval=interval,
        )

    def _get_dates(self, date_from, date_to):
        """The sorted days from ``date_from`` to ``date_to`` (included) this
        line plans a visit on, within its contract's term; a template's line
        counts from ``date_from``."""
        self.ensure_one()
        contract = self.contract_id
        start = contract.date_start or date_from
        first = max(date_from, start)
        last = min(date_to, contract.date_end) if contract.date_end else date_to
        if not (first and last) or first > last:
            return []
        rule = self._get_rrule(datetime.combine(start, time.min))
        return [
            moment.date()
            for moment in rule.between(
                datetime.combine(first, time.min),
                datetime.combine(last, time.min),
                inc=True,
            )
        ]

    def _prepare_contract_vals(self):
        """Values of a contract's copy of this template line."""
        self.ensure_one()
        return {
            fname: self[fname]
            for fname in (
                "sequence",
                "name",
                "rule_type",
                "interval",
                "interval_unit",
                *WEEKDAY_FIELDS,
                "month_days",
                "hour_from",
                "hour_to",
            )
        } | {"service_type_id": self.service_type_id.id}

    def _get_contract_commands(self):
        """Commands creating a contract's copies of these template lines."""
        return [Command.create(line._prepare_contract_vals()) for line in self]

    @api.model
    def _local_moment(self, date, hour, tz):
        """``date`` at ``hour`` (a float, local time in ``tz``) as a naive UTC
        datetime, as Odoo stores it."""
        minutes = round(hour * 60)
        local = datetime.combine(date, time.min) + relativedelta(minutes=minutes)
        zone = pytz.timezone(tz if tz in pytz.all_timezones_set else "UTC")
        return zone.localize(local).astimezone(pytz.utc).replace(tzinfo=None)

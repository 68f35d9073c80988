from datetime import timedelta

from pytz import utc

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.intervals import Intervals

from .aftersales_order.states import OPEN_ORDER_STATES

# How many of the centers that do not even compete (other areas, archived, not
# allowed by the rule) an order's candidates name, with their total count.
LEFT_OUT_LIMIT = 50

# How often the technicians of some centers came on time: of the work orders
# each center finished in the last 180 days, how many were started no later
# than 30 minutes after their scheduled time. Parameters: centers (an array of
# ids, or SQL that makes one), since.
# The fact and its counted value come from the order's KPI_RATES
# ("arrival_rate"), the definition the metrics and the analysis report share.
ON_TIME_COUNTS = """
SELECT center_id, count(*) AS done_count,
       count(*) FILTER (WHERE %(fact)s = %(on_time_value)s) AS on_time_count
  FROM aftersales_order
 WHERE center_id = ANY(%(centers)s) AND %(fact)s IS NOT NULL
   AND date_done >= %(since)s
 GROUP BY center_id
"""
# From how many finished orders on the on-time rate is known.
ON_TIME_MIN_ORDERS = 5

# Every active center of a company that covers an address, with the first
# filter about the order it fails (rejection, competence), its open work
# orders, its on-time counts (ON_TIME_COUNTS) and its working calendar; and up
# to LEFT_OUT_LIMIT of those that do not compete, with why. Opening hours and
# holidays are not here: they come from resource.calendar
# (AftersalesCenter._get_calendar_openings). Parameters: see
# AftersalesCenter._get_assignment_candidates.
CANDIDATES_QUERY = """
WITH pre AS (
    -- Every center of the company, and the centers a rule allows: those that
    -- cannot compete for this address say why (pre_reason).
    SELECT c.id, c.name, c.kind, c.capacity, c.latitude, c.longitude,
           c.resource_calendar_id, c.date_last_assigned, c.state_id,
           CASE
             WHEN c.company_id != %(company)s THEN 'company'
             WHEN NOT c.active THEN 'inactive'
             WHEN %(restrict)s::int[] IS NOT NULL
              AND NOT c.id = ANY(%(restrict)s::int[]) THEN 'rule'
             WHEN NOT EXISTS (
                  SELECT 1 FROM aftersales_center_area a
                   WHERE a.center_id = c.id AND a.country_id = %(country)s
                     AND (a.state_id IS NULL OR a.state_id = %(state)s)
                     -- Both sides through PostgreSQL's lower(): Python's
                     -- lower() turns İ into i + a combining dot.
                     AND (a.city IS NULL OR lower(a.city) = lower(%(city)s))
                     AND (a.district IS NULL
                          OR lower(a.district) = lower(%(district)s))
                     AND (a.zip_prefix IS NULL
                          OR %(zip)s LIKE a.zip_prefix || '%%'))
               THEN 'area'
           END AS pre_reason
      FROM aftersales_center c
     WHERE c.company_id = %(company)s
        OR c.id = ANY(COALESCE(%(restrict)s::int[], '{}'::int[]))
), on_time AS (
    %(on_time)s
)
SELECT cv.id, cv.name, cv.kind, cv.capacity, cv.latitude, cv.longitude,
       cv.date_last_assigned,
       (SELECT count(*) FROM aftersales_order o
         WHERE o.center_id = cv.id AND o.id != %(order)s
           AND o.state IN %(open_states)s) AS open_count,
       NULL::timestamp AS next_slot,
       CASE
         WHEN EXISTS (
              SELECT 1 FROM aftersales_order_rejected_center_rel rej
               WHERE rej.order_id = %(order)s AND rej.center_id = cv.id)
           THEN 'rejected'
         WHEN NOT EXISTS (
              SELECT 1 FROM aftersales_center_service_type_rel r
               WHERE r.center_id = cv.id
                 AND r.service_type_id = %(service_type)s)
           THEN 'service_type'
         WHEN EXISTS (
              SELECT 1 FROM aftersales_center_product_category_rel r
               WHERE r.center_id = cv.id)
          AND NOT EXISTS (
              -- The order's category or one of its parents.
              SELECT 1 FROM aftersales_center_product_category_rel r
                JOIN product_category competent ON competent.id = r.categ_id
                JOIN product_category asked ON asked.id = %(categ)s
               WHERE r.center_id = cv.id
                 AND asked.parent_path LIKE competent.parent_path || '%%')
           THEN 'product_category'
       END AS reason,
       NULL::bigint AS left_out_count,
       cv.resource_calendar_id,
       COALESCE(q.done_count, 0) AS done_count,
       COALESCE(q.on_time_count, 0) AS on_time_count
  FROM pre cv
  LEFT JOIN on_time q ON q.center_id = cv.id
 WHERE cv.pre_reason IS NULL
UNION ALL
SELECT * FROM (
    -- Those of the order's state first: the ones a dispatcher would expect.
    SELECT p.id, p.name, p.kind, p.capacity, p.latitude, p.longitude,
           p.date_last_assigned, 0::bigint, NULL::timestamp, p.pre_reason,
           (SELECT count(*) FROM pre WHERE pre_reason IS NOT NULL),
           NULL::int, 0::bigint, 0::bigint
      FROM pre p
     WHERE p.pre_reason IS NOT NULL
     ORDER BY p.state_id IS NOT DISTINCT FROM %(state)s DESC, p.name, p.id
     LIMIT %(left_out_limit)s) left_out
 ORDER BY id
"""


def _covers(intervals, moment):
    """Whether one of ``intervals`` (start, stop, records) holds ``moment``."""
    return any(start <= moment < stop for start, stop, _records in intervals)


class AftersalesCenter(models.Model):
    _name = "aftersales.center"
    _description = "After-Sales Service Center"
    # rating.parent.mixin first: its rating_ids (the ratings of the center's
    # orders) must win over mail.thread's (ratings of the center itself).
    _inherit = [
        "rating.parent.mixin",
        "mail.thread",
        "mail.activity.mixin",
        "aftersales.performance.mixin",
    ]
    _performance_group_field = "center_id"
    _order = "name, id"
    _check_company_auto = True

    # Identity
    name = fields.Char(required=True, tracking=True, index="trigram")
    code = fields.Char(index=True, copy=False)
    active = fields.Boolean(default=True, tracking=True)
    color = fields.Integer()
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        tracking=True,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Contact",
        required=True,
        index=True,
        check_company=True,
        ondelete="restrict",
        tracking=True,
        help="The service center's address, phone and billing contact.",
    )
    kind = fields.Selection(
        [("authorized", "Authorized"), ("private", "Private")],
        required=True,
        default="authorized",
        index=True,
        tracking=True,
        help="Authorized centers are contracted by the manufacturer; private "
        "shops work on demand.",
    )
    phone = fields.Char(related="partner_id.phone")
    email = fields.Char(related="partner_id.email")
    city = fields.Char(related="partner_id.city", store=True, index=True)
    state_id = fields.Many2one(related="partner_id.state_id", store=True)
    country_id = fields.Many2one(related="partner_id.country_id", store=True)

    # Coverage
    area_ids = fields.One2many(
        "aftersales.center.area",
        "center_id",
        string="Areas Covered",
        copy=True,
    )
    latitude = fields.Float(digits=(10, 7))
    longitude = fields.Float(digits=(10, 7))

    # Competence
    service_type_ids = fields.Many2many(
        "aftersales.service.type",
        "aftersales_center_service_type_rel",
        "center_id",
        "service_type_id",
        string="Service Types",
        check_company=True,
    )
    product_categ_ids = fields.Many2many(
        "product.category",
        "aftersales_center_product_category_rel",
        "center_id",
        "categ_id",
        string="Product Categories",
        help="Leave empty when the center is competent for every product.",
    )

    # Time and capacity
    resource_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Hours",
        required=True,
        check_company=True,
        default=lambda self: self.env.company.resource_calendar_id,
        help="Opening hours; the calendar's global time off are the public "
        "holidays of the center.",
    )
    holiday_ids = fields.One2many(
        related="resource_calendar_id.global_leave_ids",
        string="Public Holidays",
    )
    capacity = fields.Integer(
        default=10,
        required=True,
        tracking=True,
        help="How many work orders the center can have open at once.",
    )

    # Service desk of a dealer's branch
    branch_partner_id = fields.Many2one(
        "res.partner",
        string="Branch",
        domain=[("aftersales_is_dealer", "=", True)],
        index="btree_not_null",
        help="The dealer or branch whose service desk (counter) this is: its "
        "portal users can hand units in here for in-house service.",
    )
    receives_units = fields.Boolean(
        string="Service Desk",
        help="Customers and dealers bring units here for in-house service.",
    )

    # Staff
    user_ids = fields.Many2many(
        "res.users",
        "aftersales_center_res_users_rel",
        "center_id",
        "user_id",
        string="Staff Users",
        domain=[("share", "=", False)],
        help="Back-office users of the center: they see the center's work "
        "orders and technicians.",
    )
    technician_ids = fields.One2many(
        "aftersales.technician", "center_id", string="Technicians"
    )

    # Stock
    stock_location_id = fields.Many2one(
        "stock.location",
        string="Parts Stock",
        check_company=True,
        copy=False,
        domain="[('usage', '=', 'internal')]",
        help="Where the center keeps its spare parts; created with the center.",
    )
    desk_location_id = fields.Many2one(
        "stock.location",
        string="Customers' Units Location",
        check_company=True,
        copy=False,
        readonly=True,
        help="Where a service desk keeps the units customers hand in, as their "
        "property: outside the warehouse's stock, so they are never reserved, "
        "sold or valued as the company's; created when the center becomes a "
        "service desk.",
    )

    # Assignment
    date_last_assigned = fields.Datetime(
        string="Last Work Order Received",
        readonly=True,
        copy=False,
        help="Also breaks ties between equally good centers: the one that waited "
        "longest gets the job.",
    )

    # Statistics
    technician_count = fields.Integer(compute="_compute_technician_count")
    open_order_count = fields.Integer(
        compute="_compute_order_counts",
        help="Work orders assigned to the center and not finished yet.",
    )
    order_count = fields.Integer(compute="_compute_order_counts")
    load_percentage = fields.Float(
        string="Load (%)",
        compute="_compute_order_counts",
        help="Open work orders relative to the center's capacity.",
    )

    _capacity_positive = models.Constraint(
        "CHECK(capacity > 0)",
        "The capacity of a service center must be at least one open order.",
    )
    _code_company_uniq = models.UniqueIndex(
        "(code, company_id) WHERE code IS NOT NULL",
        "The code of a service center must be unique per company.",
    )

    # ------------------------------------------------------------
    # Constrains
    # ------------------------------------------------------------

    @api.constrains("latitude", "longitude")
    def _check_coordinates(self):
        for center in self:
            if not -90 <= center.latitude <= 90 or not -180 <= center.longitude <= 180:
                raise ValidationError(
                    self.env._(
                        "The position of %(center)s is out of range: latitude must "
                        "be between -90 and 90, longitude between -180 and 180.",
                        center=center.display_name,
                    )
                )

    # ------------------------------------------------------------
    # Overrides
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        centers = super().create(vals_list)
        centers.filtered(lambda c: not c.stock_location_id)._create_stock_location()
        centers.filtered(
            lambda c: c.receives_units and not c.desk_location_id
        )._create_desk_location()
        return centers

    def write(self, vals):
        result = super().write(vals)
        if vals.get("receives_units"):
            self.filtered(lambda c: not c.desk_location_id)._create_desk_location()
        return result

    # ------------------------------------------------------------
    # Stock
    # ------------------------------------------------------------

    def _create_stock_location(self):
        """Give each center its own parts stock, under the service centers
        location of its company's warehouse."""
        for center in self:
            warehouse_sudo = center.company_id._aftersales_get_warehouse()
            if not warehouse_sudo:
                # A company without stock yet: its centers get their location
                # from the button on the center once it has a warehouse.
                continue
            # Managers configure centers without stock rights.
            locations_sudo = self.env["stock.location"].sudo()
            center.stock_location_id = locations_sudo.create(
                center._prepare_stock_location_vals(
                    warehouse_sudo.aftersales_centers_location_id
                )
            )

    def _create_desk_location(self):
        """Give each service desk a location for the customers' units, next
        to the centers' parts stocks (under the service centers location of
        the warehouse, not under its stock: stock reservation ignores owners,
        so a unit under the warehouse's stock could be reserved or sold)."""
        for center in self:
            warehouse_sudo = center.company_id._aftersales_get_warehouse()
            if not warehouse_sudo:
                # As the parts stock: created once the company has a warehouse
                # (upgrade, or the center's stock button).
                continue
            # Managers configure centers without stock rights.
            locations_sudo = self.env["stock.location"].sudo()
            center.desk_location_id = locations_sudo.create(
                {
                    "name": self.env._(
                        "%(center)s: Customers' Units", center=center.name
                    ),
                    "usage": "internal",
                    "location_id": warehouse_sudo.aftersales_centers_location_id.id,
                    "company_id": center.company_id.id,
                }
            )

    def action_create_stock_location(self):
        """Give the center its parts stock (centers created before their
        company had a warehouse)."""
        self.check_access("write")
        missing = self.filtered(lambda c: not c.stock_location_id)
        for company in missing.company_id:
            company._aftersales_ensure_warehouse()  # clear error if none
        missing._create_stock_location()
        self.filtered(
            lambda c: c.receives_units and not c.desk_location_id
        )._create_desk_location()
        return True

    def _prepare_stock_location_vals(self, parent):
        """Values of the center's parts stock (extension hook)."""
        self.ensure_one()
        return {
            "name": self.name,
            "usage": "internal",
            "location_id": parent.id,
            "company_id": self.company_id.id,
            "aftersales_center_id": self.id,
            # The parts its repairs wait for show in Inventory > Replenishment
            # (which looks at replenish locations only; the center's stock is
            # not under the warehouse's).
            "replenish_location": True,
        }

    # ------------------------------------------------------------
    # Compute methods
    # ------------------------------------------------------------

    def _compute_technician_count(self):
        counts = dict(
            self.env["aftersales.technician"]._read_group(
                [("center_id", "in", self.ids)], ["center_id"], ["__count"]
            )
        )
        for center in self:
            center.technician_count = counts.get(center, 0)

    def _compute_order_counts(self):
        groups = self.env["aftersales.order"]._read_group(
            [("center_id", "in", self.ids)], ["center_id", "state"], ["__count"]
        )
        totals, open_counts = {}, {}
        for center, state, count in groups:
            totals[center] = totals.get(center, 0) + count
            if state in OPEN_ORDER_STATES:
                open_counts[center] = open_counts.get(center, 0) + count
        for center in self:
            center.order_count = totals.get(center, 0)
            center.open_order_count = open_counts.get(center, 0)
            center.load_percentage = (
                100.0 * center.open_order_count / center.capacity
                if center.capacity
                else 0.0
            )

    # ------------------------------------------------------------
    # Assignment API
    # ------------------------------------------------------------

    @api.model
    def _get_assignment_candidates(self, order, allowed_center_ids=None):
        """Every active center of the order's company that covers its address,
        each with the first hard filter it fails (``reason``, None when it
        passes), its open work orders and, when the order has no requested
        time, its next open slot.

        One SQL statement whatever the number of centers filters coverage,
        competence and rejections, and counts open orders (indexes on areas,
        the competence tables and open orders); opening hours and holidays
        come from the working calendars, computed once per distinct calendar
        (see _get_calendar_openings).
        """
        now = fields.Datetime.now()
        search_from = max(now, order.date_requested or now)
        window_end = search_from + timedelta(
            hours=order.company_id.aftersales_scheduling_window or 72
        )
        at = order.scheduled_date or None
        query = SQL(
            CANDIDATES_QUERY,
            company=order.company_id.id,
            restrict=list(allowed_center_ids)
            if allowed_center_ids is not None
            else None,
            country=order.country_id.id or 0,
            state=order.state_id.id or 0,
            city=(order.city or "").strip(),
            district=(order.district or "").strip(),
            order=order.id or 0,
            left_out_limit=LEFT_OUT_LIMIT,
            zip=(order.zip or "").strip(),
            open_states=OPEN_ORDER_STATES,
            on_time=SQL(
                ON_TIME_COUNTS,
                centers=SQL("ARRAY(SELECT id FROM pre WHERE pre_reason IS NULL)"),
                since=now - timedelta(days=180),
                **self._get_on_time_fact(),
            ),
            service_type=order.service_type_id.id,
            categ=order.product_categ_id.id or 0,
        )
        # Raw SQL: the filters above must run in the database to stay
        # independent of the number of centers (see bench/assignment.py).
        self.flush_model()
        self.env["aftersales.center.area"].flush_model()
        self.env["aftersales.order"].flush_model(
            [
                "center_id",
                "state",
                "rejected_center_ids",
                "date_done",
                "date_started",
                "scheduled_date",
            ]
        )
        self.env["product.category"].flush_model(["parent_path"])
        self.env.cr.execute(query)
        rows = self.env.cr.dictfetchall()
        for row in rows:
            row["calendar_id"] = row.pop("resource_calendar_id")
            row["quality"] = self._get_quality_terms(
                row.pop("done_count"), row.pop("on_time_count")
            )
        # Only the centers that passed the filters above are asked about
        # their hours, so that each excluded center gives its first reason.
        openings = self._get_calendar_openings(
            {row["calendar_id"] for row in rows if not row["reason"]},
            order.company_id,
            at=at,
            start=search_from,
            end=window_end,
        )
        for row in rows:
            calendar_id = row.pop("calendar_id")
            if row["left_out_count"] is not None or row["reason"]:
                continue
            row["reason"], row["next_slot"] = openings[calendar_id]
            if not row["reason"] and row["open_count"] >= row["capacity"]:
                row["reason"] = "capacity"
        return rows

    @api.model
    def _get_calendar_openings(
        self, calendar_ids, company, at=None, start=None, end=None
    ):
        """``(reason, next_slot)`` by id of the working calendars: with a time
        ``at``, reason "holiday" when a time off of the calendar or a public
        holiday of ``company`` covers it, "closed" when the calendar does not
        work then, else None; without one, the first moment of work between
        ``start`` and ``end`` (naive UTC), with reason "closed" when there is
        none.

        resource.calendar decides what working time is (time zones, breaks,
        two-week and flexible calendars), as for the SLA; each calendar is
        computed once, whatever the number of its centers.
        """
        if not calendar_ids:
            return {}
        # Opening hours and holidays are the same whoever assigns: read them,
        # as the filters of CANDIDATES_QUERY, without record rules.
        calendars = self.env["resource.calendar"].sudo().browse(sorted(calendar_ids))
        if at:
            start, end = at, at + timedelta(minutes=1)
        else:
            # A slot that opens at the very end of the window still counts.
            end += timedelta(seconds=1)
        start_dt, end_dt = utc.localize(start), utc.localize(end)
        # The time off resource.calendar counts, less the public holidays of
        # other companies (it keeps those when asked without a resource).
        leave_domain = [
            ("time_type", "=", "leave"),
            "|",
            ("calendar_id", "!=", False),
            ("company_id", "=", company.id),
        ]
        # One query tells which calendars have time off in the window at all
        # (usually none), and reads it for _leave_intervals_batch.
        leaves = (
            self.env["resource.calendar.leaves"]
            .sudo()
            .search_fetch(
                [
                    *leave_domain,
                    ("calendar_id", "in", [False, *calendars.ids]),
                    ("resource_id", "=", False),
                    ("date_from", "<=", end),
                    ("date_to", ">=", start),
                ],
                ["calendar_id", "company_id", "resource_id", "date_from", "date_to"],
            )
        )
        if len(calendars) > 1:
            # Read the attendances of every calendar in one query.
            self.env["resource.calendar.attendance"].sudo().search_fetch(
                [("calendar_id", "in", calendars.ids)],
                ["calendar_id", "dayofweek", "hour_from", "hour_to", "week_type"],
            )
        openings = {}
        for calendar in calendars:
            # _work_intervals_batch, taken apart to tell a holiday from
            # closing time and to skip the time-off query where there is none.
            attendances = calendar._attendance_intervals_batch(start_dt, end_dt)[False]
            time_off = Intervals()
            if any(
                not leave.calendar_id or leave.calendar_id == calendar
                for leave in leaves
            ):
                time_off = calendar._leave_intervals_batch(
                    start_dt, end_dt, domain=leave_domain
                )[False]
            if at and _covers(time_off, start_dt):
                openings[calendar.id] = ("holiday", None)
            elif at:
                open_then = _covers(attendances, start_dt)
                openings[calendar.id] = (None if open_then else "closed", None)
            else:
                first = next(iter(attendances - time_off), None)
                openings[calendar.id] = (
                    (None, first[0].astimezone(utc).replace(tzinfo=None))
                    if first
                    else ("closed", None)
                )
        return openings

    @api.model
    def _get_on_time_fact(self):
        """The SQL parameters of ON_TIME_COUNTS: the order's arrival fact and
        the value that counts as on time (KPI_RATES)."""
        fact, value = self.env["aftersales.order"]._get_kpi_rates()["arrival_rate"]
        self.env["aftersales.order"].flush_model([fact])
        return {"fact": SQL.identifier(fact), "on_time_value": value}

    @api.model
    def _get_quality_terms(self, done_count, on_time_count):
        """Quality terms known from the counts of ON_TIME_COUNTS: the on-time
        rate, from ON_TIME_MIN_ORDERS finished orders on."""
        if done_count < ON_TIME_MIN_ORDERS:
            return {}
        return {"on_time": on_time_count / done_count}

    def _reserve_capacity(self):
        """Lock the center for this transaction and tell whether it can take one
        more work order; if so, stamp it as having just received one.

        The statement always updates the center row: a concurrent transaction
        that assigned to this center since ours began then makes it fail with a
        serialization error (Odoo retries the request on fresh data), and one
        that is still assigning makes it wait. No center goes over capacity.
        """
        self.ensure_one()
        self.flush_recordset(["capacity"])
        self.env["aftersales.order"].flush_model(["center_id", "state"])
        # Raw SQL: lock, version the row and count in one statement; an ORM
        # write would skip the UPDATE when the stamp is unchanged.
        self.env.cr.execute(
            SQL(
                """
                UPDATE aftersales_center center
                   SET date_last_assigned = CASE
                           WHEN open_orders.count < center.capacity THEN %(now)s
                           ELSE center.date_last_assigned END
                  FROM (SELECT count(*) AS count FROM aftersales_order
                         WHERE center_id = %(id)s
                           AND state IN %(states)s) open_orders
                 WHERE center.id = %(id)s
             RETURNING open_orders.count < center.capacity
                """,
                now=fields.Datetime.now(),
                id=self.id,
                states=OPEN_ORDER_STATES,
            )
        )
        [(has_room,)] = self.env.cr.fetchall()
        self.invalidate_recordset(["date_last_assigned"])
        return has_room

    def _ensure_can_take(self, order):
        """Raise unless this center may be given ``order`` by hand."""
        self.ensure_one()
        if self in order.rejected_center_ids:
            raise UserError(
                self.env._(
                    "%(center)s already rejected %(order)s: choose another center.",
                    center=self.name,
                    order=order.name,
                )
            )
        if not self._reserve_capacity():
            raise UserError(
                self.env._(
                    "%(center)s is at its capacity of %(capacity)s open work orders.",
                    center=self.name,
                    capacity=self.capacity,
                )
            )

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_view_orders(self):
        """Open the work orders of this center."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales.aftersales_order_action"
        )
        action["domain"] = [("center_id", "=", self.id)]
        action["context"] = {"default_center_id": self.id}
        return action

    def action_view_technicians(self):
        """Open the technicians of this center."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales.aftersales_technician_action"
        )
        action["domain"] = [("center_id", "=", self.id)]
        action["context"] = {"default_center_id": self.id}
        return action

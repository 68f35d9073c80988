from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from .aftersales_order.states import OPEN_ORDER_STATES

# How many of the centers that do not even compete (other areas, archived, not
# allowed by the rule) an order's candidates name, with their total count.
LEFT_OUT_LIMIT = 50

# Every active center of a company that covers an address, with the first hard
# filter it fails, and up to LEFT_OUT_LIMIT of those that do not compete, with
# why. Parameters: see AftersalesCenter._get_assignment_candidates.
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
), covering AS (
    SELECT * FROM pre WHERE pre_reason IS NULL
), checked AS (
    SELECT cv.*, tz.tz,
           (SELECT count(*) FROM aftersales_order o
             WHERE o.center_id = cv.id AND o.id != %(order)s
               AND o.state IN %(open_states)s) AS open_count,
           CASE
             WHEN cv.id = ANY(%(rejected)s::int[]) THEN 'rejected'
             WHEN NOT EXISTS (
                  SELECT 1 FROM aftersales_center_service_type_rel r
                   WHERE r.center_id = cv.id
                     AND r.service_type_id = %(service_type)s)
               THEN 'service_type'
             WHEN EXISTS (
                  SELECT 1 FROM aftersales_center_product_category_rel r
                   WHERE r.center_id = cv.id)
              AND NOT EXISTS (
                  SELECT 1 FROM aftersales_center_product_category_rel r
                   WHERE r.center_id = cv.id
                     AND r.categ_id = ANY(%(categs)s::int[]))
               THEN 'product_category'
             WHEN %(at)s::timestamp IS NOT NULL AND EXISTS (
                  SELECT 1 FROM resource_calendar_leaves l
                   WHERE l.resource_id IS NULL
                     AND (l.calendar_id = cv.resource_calendar_id
                          OR (l.calendar_id IS NULL
                              AND l.company_id = %(company)s))
                     AND l.date_from <= %(at)s::timestamp
                     AND l.date_to > %(at)s::timestamp)
               THEN 'holiday'
             WHEN %(at)s::timestamp IS NOT NULL AND NOT EXISTS (
                  SELECT 1 FROM resource_calendar_attendance att
                   WHERE att.calendar_id = cv.resource_calendar_id
                     AND att.display_type IS NULL
                     AND att.day_period != 'lunch'
                     AND att.dayofweek::int = local_at.dow
                     AND att.hour_from <= local_at.hour
                     AND att.hour_to > local_at.hour)
               THEN 'closed'
           END AS reason
      FROM covering cv
      JOIN LATERAL (
           SELECT COALESCE(cal.tz, 'UTC') AS tz FROM resource_calendar cal
            WHERE cal.id = cv.resource_calendar_id) tz ON TRUE
      LEFT JOIN LATERAL (
           SELECT EXTRACT(ISODOW FROM ts)::int - 1 AS dow,
                  EXTRACT(HOUR FROM ts) + EXTRACT(MINUTE FROM ts) / 60.0 AS hour
             FROM (SELECT (%(at)s::timestamp AT TIME ZONE 'UTC')
                          AT TIME ZONE tz.tz AS ts) local_ts) local_at ON TRUE
), slots AS (
    -- Without a requested time: the first opening of each calendar in the
    -- window that no public holiday overlaps.
    SELECT cal.calendar_id,
           min(GREATEST(slot.start_utc, %(now)s::timestamp)) AS next_slot
      FROM (SELECT DISTINCT resource_calendar_id AS calendar_id, tz
              FROM checked
             WHERE reason IS NULL AND %(at)s::timestamp IS NULL) cal
     CROSS JOIN generate_series(0, %(window_days)s) AS day(n)
      JOIN resource_calendar_attendance att
        ON att.calendar_id = cal.calendar_id AND att.display_type IS NULL
       AND att.day_period != 'lunch'
     CROSS JOIN LATERAL (
           SELECT date_trunc('day', (%(now)s::timestamp AT TIME ZONE 'UTC')
                                    AT TIME ZONE cal.tz)
                  + make_interval(days => day.n) AS local_day) d
     CROSS JOIN LATERAL (
           SELECT ((d.local_day + att.hour_from * INTERVAL '1 hour')
                   AT TIME ZONE cal.tz) AT TIME ZONE 'UTC' AS start_utc,
                  ((d.local_day + att.hour_to * INTERVAL '1 hour')
                   AT TIME ZONE cal.tz) AT TIME ZONE 'UTC' AS end_utc) slot
     WHERE att.dayofweek::int = EXTRACT(ISODOW FROM d.local_day)::int - 1
       AND slot.end_utc > %(now)s::timestamp
       AND GREATEST(slot.start_utc, %(now)s::timestamp)
           <= %(window_end)s::timestamp
       AND NOT EXISTS (
           SELECT 1 FROM resource_calendar_leaves l
            WHERE l.resource_id IS NULL
              AND (l.calendar_id = cal.calendar_id
                   OR (l.calendar_id IS NULL AND l.company_id = %(company)s))
              AND l.date_from < slot.end_utc
              AND l.date_to > GREATEST(slot.start_utc, %(now)s::timestamp))
     GROUP BY cal.calendar_id
)
SELECT ch.id, ch.name, ch.kind, ch.capacity, ch.latitude, ch.longitude,
       ch.date_last_assigned, ch.open_count, s.next_slot,
       CASE
         WHEN ch.reason IS NOT NULL THEN ch.reason
         WHEN %(at)s::timestamp IS NULL AND s.next_slot IS NULL THEN 'closed'
         WHEN ch.open_count >= ch.capacity THEN 'capacity'
       END AS reason,
       NULL::bigint AS left_out_count
  FROM checked ch
  LEFT JOIN slots s ON s.calendar_id = ch.resource_calendar_id
UNION ALL
SELECT * FROM (
    -- Those of the order's state first: the ones a dispatcher would expect.
    SELECT p.id, p.name, p.kind, p.capacity, p.latitude, p.longitude,
           p.date_last_assigned, 0::bigint, NULL::timestamp, p.pre_reason,
           (SELECT count(*) FROM pre WHERE pre_reason IS NOT NULL)
      FROM pre p
     WHERE p.pre_reason IS NOT NULL
     ORDER BY p.state_id IS NOT DISTINCT FROM %(state)s DESC, p.name, p.id
     LIMIT %(left_out_limit)s) left_out
 ORDER BY id
"""


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
        return centers

    # ------------------------------------------------------------
    # Stock
    # ------------------------------------------------------------

    def _create_stock_location(self):
        """Give each center its own parts stock, under the company's service
        centers location."""
        for center in self:
            if not center.company_id._aftersales_has_warehouse():
                # A company without stock yet: its centers get their location
                # from the button on the center once it has a warehouse.
                continue
            setup = center.company_id._aftersales_get_stock_setup()
            # Managers configure centers without stock rights.
            locations_sudo = self.env["stock.location"].sudo()
            center.stock_location_id = locations_sudo.create(
                center._prepare_stock_location_vals(setup["centers_location"])
            )

    def action_create_stock_location(self):
        """Give the center its parts stock (centers created before their
        company had a warehouse)."""
        self.check_access("write")
        missing = self.filtered(lambda c: not c.stock_location_id)
        for center in missing:
            center.company_id._aftersales_get_stock_setup()  # clear error if none
        missing._create_stock_location()
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

        One SQL statement whatever the number of centers: coverage, competence,
        capacity, opening hours and public holidays are all filtered in the
        database (indexes on areas, the competence tables and open orders).
        """
        search_from = max(
            fields.Datetime.now(), order.requested_date or fields.Datetime.now()
        )
        window_end = search_from + timedelta(
            hours=order.company_id.aftersales_scheduling_window or 72
        )
        categ_ids = [
            int(i) for i in (order.product_categ_id.parent_path or "").split("/") if i
        ]
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
            rejected=order.rejected_center_ids.ids,
            service_type=order.service_type_id.id,
            categs=categ_ids,
            at=at,
            now=search_from,
            window_end=window_end,
            window_days=int((window_end - search_from).total_seconds() // 86400) + 1,
        )
        # Raw SQL: the filters above must run in the database to stay
        # independent of the number of centers (see bench/assignment.py).
        self.flush_model()
        self.env["aftersales.center.area"].flush_model()
        self.env["aftersales.order"].flush_model(["center_id", "state"])
        self.env["resource.calendar.leaves"].flush_model()
        self.env["resource.calendar.attendance"].flush_model()
        self.env.cr.execute(query)
        return self.env.cr.dictfetchall()

    def _get_assignment_quality(self):
        """Known quality terms of the centers, between 0 and 1, by center id.

        On-time rate: the arrival rate (KPI_RATES) of the work orders done in
        the last 180 days; known from 5 such orders on.
        """
        if not self:
            return {}
        # A center's record counts whole, whoever assigns (a salesperson
        # confirming a sale may not read its orders).
        orders_sudo = self.env["aftersales.order"].sudo()
        # The arrival rate of the center's performance, over its own period.
        fact, on_time = orders_sudo._get_kpi_rates()["arrival_rate"]
        counts = defaultdict(lambda: defaultdict(int))
        for center, outcome, count in orders_sudo._read_group(
            [
                ("center_id", "in", self.ids),
                (fact, "!=", False),
                ("date_done", ">=", fields.Datetime.now() - timedelta(days=180)),
            ],
            ["center_id", fact],
            ["__count"],
        ):
            counts[center.id][outcome] += count
        return {
            center_id: {"on_time": outcomes[on_time] / total}
            for center_id, outcomes in counts.items()
            if (total := sum(outcomes.values())) >= 5
        }

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

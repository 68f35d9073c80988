from collections import defaultdict
from datetime import datetime, time, timedelta

from odoo import api, fields, models

from .aftersales_order import WORKFLOW_FIELDS

METRIC_FIELDS = {
    "date_closed",
    "approval_outcome",
    "first_time_fix",
    "service_duration",
}
WORKFLOW_FIELDS.update(METRIC_FIELDS)

CLOSED_STATES = ("done", "cancelled", "returned")

# The rates that make the score, with the company weight of each.
SCORE_WEIGHTS = {
    "on_time_rate": "aftersales_score_weight_on_time",
    "first_time_approval_rate": "aftersales_score_weight_approval",
    "rating_rate": "aftersales_score_weight_rating",
    "first_time_fix_rate": "aftersales_score_weight_first_fix",
    "completion_rate": "aftersales_score_weight_completion",
}


class AftersalesOrder(models.Model):
    """What each closed order says about its center and technician: the facts
    stored per order, and the grouped queries that turn them into metrics."""

    _inherit = "aftersales.order"

    date_closed = fields.Datetime(
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="When the order was completed, cancelled or returned.",
        groups="base.group_user",
    )
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

    def _workflow_write(self, vals):
        if vals.get("state") in CLOSED_STATES:
            vals = dict(vals, date_closed=fields.Datetime.now())
        elif vals.get("state"):
            vals = dict(vals, date_closed=False)
        return super()._workflow_write(vals)

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
    def _get_performance(self, group_field, records, date_from, date_to):
        """Metrics of the orders closed in [date_from, date_to), by
        ``group_field`` value (a center or a technician): two grouped queries
        whatever the number of records.

        Rates are between 0 and 1 (None where nothing was measured):
        on_time_rate (completed orders with an SLA, none breached),
        first_time_approval_rate (orders the customer decided on, approved
        at the first decision), cancel_rate and return_rate (of all closed),
        first_time_fix_rate (of completed), rating_avg (1-5) and
        avg_duration (hours per completed order).
        """
        domain = [
            (group_field, "in", records.ids),
            ("date_closed", ">=", date_from),
            ("date_closed", "<", date_to),
        ]
        counts = defaultdict(lambda: defaultdict(float))
        for key, state, sla_status, outcome, ftf, count, duration in self._read_group(
            domain,
            [group_field, "state", "sla_status", "approval_outcome", "first_time_fix"],
            ["__count", "service_duration:sum"],
        ):
            c = counts[key.id]
            c["closed"] += count
            c[state] += count
            if state == "done":
                c["duration"] += duration
                c["ftf"] += count if ftf else 0
                if sla_status in ("met", "breached"):
                    c["sla"] += count
                    c["on_time"] += count if sla_status == "met" else 0
            if outcome:
                c["decided"] += count
                c["first_time"] += count if outcome == "first_time" else 0
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
                "sla_count": int(c["sla"]),
                "decided_count": int(c["decided"]),
                "on_time_rate": rate(c["on_time"], c["sla"]),
                "first_time_approval_rate": rate(c["first_time"], c["decided"]),
                "cancel_rate": rate(c["cancelled"], c["closed"]),
                "return_rate": rate(c["returned"], c["closed"]),
                "completion_rate": rate(c["done"], c["closed"]),
                "first_time_fix_rate": rate(c["ftf"], c["done"]),
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

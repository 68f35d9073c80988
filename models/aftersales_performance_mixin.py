from odoo import api, fields, models

PERFORMANCE_FIELDS = {
    "perf_closed_count": "closed_count",
    "perf_done_count": "done_count",
    "perf_sla_count": "sla_count",
    "perf_decided_count": "decided_count",
    "perf_rating_count": "rating_count",
    "perf_on_time_rate": "on_time_rate",
    "perf_first_time_approval_rate": "first_time_approval_rate",
    "perf_cancel_rate": "cancel_rate",
    "perf_return_rate": "return_rate",
    "perf_first_time_fix_rate": "first_time_fix_rate",
    "perf_rating_avg": "rating_avg",
    "perf_avg_duration": "avg_duration",
}


class AftersalesPerformanceMixin(models.AbstractModel):
    """Performance of whoever does the work orders (a center, a technician)
    over a period: the context's ``aftersales_date_from``/``_to``, else the
    last 90 days. Computed for the whole recordset with grouped queries."""

    _name = "aftersales.performance.mixin"
    _description = "After-Sales Performance Metrics"
    _performance_group_field = None  # the order field that points here

    perf_closed_count = fields.Integer(
        string="Closed Orders", compute="_compute_performance"
    )
    # What each rate was measured on: a rate over nothing is not shown.
    perf_done_count = fields.Integer(compute="_compute_performance")
    perf_sla_count = fields.Integer(compute="_compute_performance")
    perf_decided_count = fields.Integer(compute="_compute_performance")
    perf_rating_count = fields.Integer(compute="_compute_performance")
    perf_on_time_rate = fields.Float(
        string="On-Time Completion", compute="_compute_performance"
    )
    perf_first_time_approval_rate = fields.Float(
        string="First-Time Approval", compute="_compute_performance"
    )
    perf_cancel_rate = fields.Float(
        string="Cancellation Rate", compute="_compute_performance"
    )
    perf_return_rate = fields.Float(
        string="Return Rate", compute="_compute_performance"
    )
    perf_first_time_fix_rate = fields.Float(
        string="First-Time Fix", compute="_compute_performance"
    )
    perf_rating_avg = fields.Float(
        string="Period Rating", compute="_compute_performance", digits=(3, 2)
    )
    perf_avg_duration = fields.Float(
        string="Average Duration (h)", compute="_compute_performance"
    )
    perf_score = fields.Float(string="Score", compute="_compute_performance")

    @api.depends_context("aftersales_date_from", "aftersales_date_to")
    def _compute_performance(self):
        orders = self.env["aftersales.order"]
        records = self.filtered("id")
        date_from, date_to = orders._get_performance_period()
        metrics = orders._get_performance(
            self._performance_group_field, records, date_from, date_to
        )
        for record in self:
            values = metrics.get(record.id, {})
            for fname, metric in PERFORMANCE_FIELDS.items():
                record[fname] = values.get(metric) or 0.0
            score = (
                orders._get_performance_score(values, record.company_id)
                if values
                else None
            )
            record.perf_score = score or 0.0

    def _get_rated_order_domain(self):
        return [
            (self._performance_group_field, "in", self.ids),
            ("rating_last_value", ">", 0),
        ]

    def action_view_ratings(self):
        """The customers' ratings of the work orders done here."""
        orders = self.env["aftersales.order"].search(self._get_rated_order_domain())
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "rating.rating_rating_action"
        )
        action["domain"] = [
            ("res_model", "=", "aftersales.order"),
            ("res_id", "in", orders.ids),
            ("consumed", "=", True),
        ]
        action["context"] = {}
        return action

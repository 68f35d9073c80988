from odoo import fields, models, tools
from odoo.tools import SQL


class AftersalesOrderAnalysis(models.Model):
    """One row per work order with its SLA and quality facts as 0/100
    numbers, so that pivots and graphs average them into rates: the same
    rates as the performance of centers and technicians, from the same
    stored facts of the order."""

    _name = "aftersales.order.analysis"
    _description = "After-Sales Service Analysis"
    _auto = False
    _rec_name = "order_id"
    _order = "date desc"

    order_id = fields.Many2one("aftersales.order", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    center_id = fields.Many2one("aftersales.center", readonly=True)
    technician_id = fields.Many2one("aftersales.technician", readonly=True)
    service_type_id = fields.Many2one("aftersales.service.type", readonly=True)
    sla_policy_id = fields.Many2one("aftersales.sla.policy", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    reject_reason_id = fields.Many2one(
        "aftersales.reject.reason", string="Last Reject Reason", readonly=True
    )
    state = fields.Selection(
        lambda self: self.env["aftersales.order"]._fields["state"].selection,
        readonly=True,
    )
    sla_status = fields.Selection(
        lambda self: self.env["aftersales.order"]._fields["sla_status"].selection,
        readonly=True,
    )
    contract_id = fields.Many2one("aftersales.contract", readonly=True)
    coverage_source = fields.Selection(
        lambda self: self.env["aftersales.order"]._fields["coverage_source"].selection,
        readonly=True,
    )
    charged_outside_contract = fields.Boolean(readonly=True)
    outside_contract_count = fields.Integer(
        string="Orders Charged Outside Contract",
        readonly=True,
        aggregator="sum",
        help="Orders under a contract where the customer pays part of the work.",
    )
    date = fields.Datetime(string="Requested On", readonly=True)
    date_closed = fields.Datetime(string="Closed On", readonly=True)
    order_count = fields.Integer(string="Orders", readonly=True, aggregator="sum")
    breach_rate = fields.Float(
        string="Breach Rate (%)",
        readonly=True,
        aggregator="avg",
        help="Share of the orders under an SLA that missed a deadline.",
    )
    on_time_rate = fields.Float(
        string="On-Time Completion (%)", readonly=True, aggregator="avg"
    )
    first_time_approval_rate = fields.Float(
        string="First-Time Approval (%)", readonly=True, aggregator="avg"
    )
    cancel_rate = fields.Float(
        string="Cancellation Rate (%)", readonly=True, aggregator="avg"
    )
    return_rate = fields.Float(
        string="Return Rate (%)", readonly=True, aggregator="avg"
    )
    first_time_fix_rate = fields.Float(
        string="First-Time Fix (%)", readonly=True, aggregator="avg"
    )
    arrival_rate = fields.Float(
        string="Arrived On Time (%)", readonly=True, aggregator="avg"
    )
    rating = fields.Float(string="Average Rating", readonly=True, aggregator="avg")
    service_duration = fields.Float(
        string="Service Duration (h)", readonly=True, aggregator="avg"
    )
    hours_to_accept = fields.Float(
        string="Hours to Accept", readonly=True, aggregator="avg"
    )
    hours_to_arrive = fields.Float(
        string="Hours to Arrive", readonly=True, aggregator="avg"
    )
    hours_to_complete = fields.Float(
        string="Hours to Complete", readonly=True, aggregator="avg"
    )

    def _select(self):
        # The rates are the order's stored facts under the one rule of
        # aftersales.order._get_kpi_rates(): NULL where the order is open or
        # the fact does not apply, so that averages skip the row.
        rates = SQL(",").join(
            SQL(
                """
            CASE WHEN o.date_closed IS NULL OR o.%(fact)s IS NULL THEN NULL
                 WHEN o.%(fact)s = %(value)s THEN 100.0 ELSE 0.0 END AS %(rate)s""",
                fact=SQL.identifier(fact),
                value=value,
                rate=SQL.identifier(rate),
            )
            for rate, (fact, value) in self.env["aftersales.order"]
            ._get_kpi_rates()
            .items()
            if rate in self._fields
        )
        return SQL(
            """
            o.id AS id,
            o.id AS order_id,
            o.company_id, o.center_id, o.technician_id, o.service_type_id,
            o.sla_policy_id, o.partner_id, o.state, o.sla_status,
            o.create_date AS date, o.date_closed,
            o.reject_reason_id,
            o.contract_id, o.coverage_source, o.charged_outside_contract,
            CASE WHEN o.charged_outside_contract THEN 1 ELSE 0 END
                AS outside_contract_count,
            1 AS order_count,
            CASE WHEN o.sla_policy_id IS NULL THEN NULL
                 WHEN o.sla_breached THEN 100.0 ELSE 0.0 END AS breach_rate,
            %s,
            NULLIF(o.rating_last_value, 0) AS rating,
            CASE WHEN o.state = 'done' THEN o.service_duration END AS service_duration,
            EXTRACT(EPOCH FROM o.date_accepted - o.date_assigned) / 3600
                AS hours_to_accept,
            EXTRACT(EPOCH FROM o.date_started - o.create_date) / 3600
                AS hours_to_arrive,
            EXTRACT(EPOCH FROM o.date_done - o.create_date) / 3600
                AS hours_to_complete
            """,
            rates,
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (SELECT %s FROM aftersales_order o)",
                SQL.identifier(self._table),
                self._select(),
            )
        )

from odoo import fields, models, tools
from odoo.tools import SQL


class AftersalesWorkshopReport(models.Model):
    """One row per workshop order (a unit at a service desk): how long it
    stayed from reception to ready and from ready to pickup, what became of
    its estimate, whether it waits for parts and whether it was replaced.
    Counts are 0/1 numbers so that pivots and graphs sum them; hours are
    NULL until measured, so that averages skip the open orders."""

    _name = "aftersales.workshop.report"
    _description = "After-Sales Workshop Analysis"
    _auto = False
    _rec_name = "order_id"
    _order = "date_received desc"

    order_id = fields.Many2one("aftersales.order", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    center_id = fields.Many2one("aftersales.center", string="Desk", readonly=True)
    service_type_id = fields.Many2one("aftersales.service.type", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    product_categ_id = fields.Many2one(
        "product.category", string="Product Category", readonly=True
    )
    technician_id = fields.Many2one("aftersales.technician", readonly=True)
    stage_id = fields.Many2one("aftersales.order.stage", readonly=True)
    state = fields.Selection(
        lambda self: self.env["aftersales.order"]._fields["state"].selection,
        readonly=True,
    )
    workshop_state = fields.Selection(
        lambda self: self.env["aftersales.order"]._fields["workshop_state"].selection,
        string="Workshop Status",
        readonly=True,
    )
    workshop_outcome = fields.Selection(
        lambda self: self.env["aftersales.order"]._fields["workshop_outcome"].selection,
        string="Outcome",
        readonly=True,
    )
    date_received = fields.Datetime(string="Received On", readonly=True)
    date_ready = fields.Datetime(string="Ready On", readonly=True)
    date_picked_up = fields.Datetime(string="Picked Up On", readonly=True)
    turnaround_hours = fields.Float(
        string="Received to Ready (h)",
        readonly=True,
        aggregator="avg",
        help="Hours from the unit handed in to the unit ready for pickup.",
    )
    pickup_hours = fields.Float(
        string="Ready to Picked Up (h)",
        readonly=True,
        aggregator="avg",
        help="Hours the unit waited at the desk for the customer.",
    )
    estimate_sent = fields.Boolean(readonly=True)
    estimate_decision = fields.Selection(
        [("accepted", "Accepted"), ("rejected", "Rejected"), ("none", "No Answer")],
        readonly=True,
        help="The customer's latest decision after the estimate was sent.",
    )
    waiting_parts = fields.Boolean(string="Waiting for Parts", readonly=True)
    replaced = fields.Boolean(readonly=True)
    order_count = fields.Integer(string="Units", readonly=True, aggregator="sum")
    estimate_count = fields.Integer(
        string="Estimates Sent", readonly=True, aggregator="sum"
    )
    accepted_count = fields.Integer(
        string="Estimates Accepted", readonly=True, aggregator="sum"
    )
    rejected_count = fields.Integer(
        string="Estimates Rejected", readonly=True, aggregator="sum"
    )
    waiting_parts_count = fields.Integer(
        string="Units Waiting for Parts", readonly=True, aggregator="sum"
    )
    replaced_count = fields.Integer(
        string="Replacements", readonly=True, aggregator="sum"
    )

    def _select(self):
        return SQL(
            """
            o.id AS id,
            o.id AS order_id,
            o.company_id, o.center_id, o.service_type_id, o.partner_id,
            o.product_id, pt.categ_id AS product_categ_id,
            o.technician_id, o.stage_id, o.state,
            o.workshop_state, o.workshop_outcome,
            o.date_received, o.date_ready, o.date_picked_up,
            EXTRACT(EPOCH FROM o.date_ready - o.date_received) / 3600
                AS turnaround_hours,
            EXTRACT(EPOCH FROM o.date_picked_up - o.date_ready) / 3600
                AS pickup_hours,
            o.date_estimate_sent IS NOT NULL AS estimate_sent,
            CASE WHEN o.date_estimate_sent IS NULL THEN NULL
                 WHEN decision.decision = 'approved' THEN 'accepted'
                 WHEN decision.decision = 'rejected' THEN 'rejected'
                 ELSE 'none' END AS estimate_decision,
            COALESCE(o.workshop_state = %(waiting)s, FALSE) AS waiting_parts,
            COALESCE(o.workshop_outcome = %(replaced)s, FALSE) AS replaced,
            1 AS order_count,
            CASE WHEN o.date_estimate_sent IS NULL THEN 0 ELSE 1 END
                AS estimate_count,
            CASE WHEN decision.decision = 'approved' THEN 1 ELSE 0 END
                AS accepted_count,
            CASE WHEN decision.decision = 'rejected' THEN 1 ELSE 0 END
                AS rejected_count,
            CASE WHEN o.workshop_state = %(waiting)s THEN 1 ELSE 0 END
                AS waiting_parts_count,
            CASE WHEN o.workshop_outcome = %(replaced)s THEN 1 ELSE 0 END
                AS replaced_count
            """,
            waiting="waiting_parts",
            replaced="replaced",
        )

    def _from(self):
        # The decision on the estimate is the customer's latest one recorded
        # since it was sent (portal, link, SMS or desk: every channel records
        # an aftersales.approval), not a guess from the workshop status.
        return SQL(
            """
            aftersales_order o
            LEFT JOIN product_product pp ON pp.id = o.product_id
            LEFT JOIN product_template pt ON pt.id = pp.product_tmpl_id
            LEFT JOIN LATERAL (
                SELECT a.decision
                  FROM aftersales_approval a
                 WHERE a.order_id = o.id
                   AND o.date_estimate_sent IS NOT NULL
                   AND a.date_decided >= o.date_estimate_sent
                 ORDER BY a.date_decided DESC, a.id DESC
                 LIMIT 1
            ) decision ON TRUE
            """
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """CREATE OR REPLACE VIEW %s AS (
                    SELECT %s FROM %s WHERE o.work_place = %s
                )""",
                SQL.identifier(self._table),
                self._select(),
                self._from(),
                "workshop",
            )
        )

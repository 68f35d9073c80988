from odoo import fields, models, tools
from odoo.tools import SQL

from ..models.aftersales_ticket.core import TICKET_CHANNELS, TICKET_STATES


class AftersalesTicketReport(models.Model):
    """One row per service request: where it came from and what about, who
    handled it, how fast the desk answered and closed it, whether it became
    work. Counts are 0/1 numbers so that pivots and graphs sum them; hours
    are NULL until measured, so that averages skip the requests not answered
    or not closed yet (a Float field of the request cannot be NULL: the ORM
    stores 0.0, which an average would count; hence this view)."""

    _name = "aftersales.ticket.report"
    _description = "After-Sales Service Request Analysis"
    _auto = False
    _rec_name = "ticket_id"
    _order = "create_date desc"

    ticket_id = fields.Many2one("aftersales.ticket", string="Request", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    channel = fields.Selection(TICKET_CHANNELS, readonly=True)
    state = fields.Selection(TICKET_STATES, string="Status", readonly=True)
    stage_id = fields.Many2one("aftersales.ticket.stage", readonly=True)
    priority = fields.Selection(
        [("0", "Normal"), ("1", "High"), ("2", "Urgent")], readonly=True
    )
    category_id = fields.Many2one("aftersales.ticket.category", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    site_id = fields.Many2one("res.partner", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    product_categ_id = fields.Many2one(
        "product.category", string="Product Category", readonly=True
    )
    team_id = fields.Many2one("aftersales.ticket.team", readonly=True)
    user_id = fields.Many2one("res.users", string="Responsible", readonly=True)
    create_date = fields.Datetime(string="Received On", readonly=True)
    date_closed = fields.Datetime(string="Closed On", readonly=True)
    ticket_count = fields.Integer(string="Requests", readonly=True, aggregator="sum")
    answered_count = fields.Integer(string="Answered", readonly=True, aggregator="sum")
    first_response_hours = fields.Float(
        string="First Response (h)",
        readonly=True,
        aggregator="avg",
        help="Hours from the request to the desk's first answer, answered "
        "requests only.",
    )
    resolution_hours = fields.Float(
        string="Resolution (h)",
        readonly=True,
        aggregator="avg",
        help="Hours from the request to its closing (solved or converted).",
    )
    converted_count = fields.Integer(
        string="Converted", readonly=True, aggregator="sum"
    )
    conversion_rate = fields.Float(
        string="Conversion Rate (%)",
        readonly=True,
        aggregator="avg",
        help="Share of the requests converted to work orders or a contract inquiry.",
    )
    order_count = fields.Integer(string="Work Orders", readonly=True, aggregator="sum")

    def _select(self):
        return SQL(
            """
            t.id AS id,
            t.id AS ticket_id,
            t.company_id, t.channel, t.state, t.stage_id, t.priority,
            t.category_id, t.commercial_partner_id AS partner_id,
            COALESCE(t.site_id, t.partner_id) AS site_id,
            t.product_id, pt.categ_id AS product_categ_id,
            t.team_id, t.user_id, t.create_date, t.date_closed,
            1 AS ticket_count,
            CASE WHEN t.date_first_response IS NULL THEN 0 ELSE 1 END
                AS answered_count,
            CASE WHEN t.date_first_response IS NOT NULL
                 THEN t.first_response_hours END AS first_response_hours,
            CASE WHEN t.date_closed IS NOT NULL AND t.state != %(cancelled)s
                 THEN t.resolution_hours END AS resolution_hours,
            CASE WHEN t.state = %(converted)s THEN 1 ELSE 0 END
                AS converted_count,
            CASE WHEN t.state = %(converted)s THEN 100.0 ELSE 0.0 END
                AS conversion_rate,
            COALESCE(t.order_count, 0) AS order_count
            """,
            cancelled="cancelled",
            converted="converted",
        )

    def _from(self):
        return SQL(
            """
            aftersales_ticket t
            LEFT JOIN product_product pp ON pp.id = t.product_id
            LEFT JOIN product_template pt ON pt.id = pp.product_tmpl_id
            """
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (SELECT %s FROM %s)",
                SQL.identifier(self._table),
                self._select(),
                self._from(),
            )
        )

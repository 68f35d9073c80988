from odoo import fields, models, tools
from odoo.tools import SQL

from ..models.aftersales_order.states import CLOSED_STATES, ORDER_STATES


class AftersalesOrderStateTime(models.Model):
    """Time each work order spent in each stage, read from the stage
    tracking that the tracking-duration mixin also reads: one row per stay.
    A status may have several stages (picked by staff, or the workshop's):
    each stay is the stage's, and ``state`` (the stage's status) adds them
    up by status."""

    _name = "aftersales.order.state.time"
    _description = "After-Sales Time in Status"
    _auto = False
    _rec_name = "order_id"
    _order = "date_from desc"

    order_id = fields.Many2one("aftersales.order", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    center_id = fields.Many2one("aftersales.center", readonly=True)
    technician_id = fields.Many2one("aftersales.technician", readonly=True)
    service_type_id = fields.Many2one("aftersales.service.type", readonly=True)
    stage_id = fields.Many2one("aftersales.order.stage", readonly=True)
    state = fields.Selection(ORDER_STATES, string="Status", readonly=True)
    work_place = fields.Selection(
        related="stage_id.work_place", string="Stage For", readonly=True
    )
    date_from = fields.Datetime(string="Entered", readonly=True)
    date_to = fields.Datetime(
        string="Left", readonly=True, help="Empty while the order is still there."
    )
    hours = fields.Float(readonly=True, aggregator="avg")
    total_hours = fields.Float(readonly=True, aggregator="sum")

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        # Each stage tracking row closes a stay (old value, since the previous
        # change or the creation); the open stay runs until now.
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %(view)s AS (
                WITH changes AS (
                    SELECT m.res_id AS order_id,
                           v.id AS tracking_id,
                           v.old_value_integer AS stage_id,
                           v.create_date AS date_to,
                           LAG(v.create_date) OVER (
                               PARTITION BY m.res_id ORDER BY v.id) AS date_from
                      FROM mail_tracking_value v
                      JOIN mail_message m ON m.id = v.mail_message_id
                      JOIN ir_model_fields f ON f.id = v.field_id
                     WHERE m.model = 'aftersales.order'
                       AND f.model = 'aftersales.order' AND f.name = 'stage_id'
                ), stays AS (
                    SELECT c.tracking_id AS id, c.order_id, c.stage_id,
                           COALESCE(c.date_from, o.create_date) AS date_from,
                           c.date_to
                      FROM changes c
                      JOIN aftersales_order o ON o.id = c.order_id
                    UNION ALL
                    SELECT -o.id AS id, o.id, o.stage_id,
                           COALESCE((SELECT max(c.date_to) FROM changes c
                                      WHERE c.order_id = o.id), o.create_date),
                           NULL
                      FROM aftersales_order o
                     WHERE o.state NOT IN %(closed)s
                )
                SELECT s.id, s.order_id, o.company_id,
                       -- An order is at no center while new (also after a
                       -- rejection): the stay is not the current center's.
                       CASE WHEN st.state = 'new' THEN NULL ELSE o.center_id END
                           AS center_id,
                       CASE WHEN st.state = 'new' THEN NULL ELSE o.technician_id END
                           AS technician_id,
                       o.service_type_id, s.stage_id, st.state,
                       s.date_from, s.date_to,
                       EXTRACT(EPOCH FROM COALESCE(s.date_to, now() AT TIME ZONE 'UTC')
                           - s.date_from) / 3600 AS hours,
                       EXTRACT(EPOCH FROM COALESCE(s.date_to, now() AT TIME ZONE 'UTC')
                           - s.date_from) / 3600 AS total_hours
                  FROM stays s
                  JOIN aftersales_order o ON o.id = s.order_id
                  LEFT JOIN aftersales_order_stage st ON st.id = s.stage_id
                )
                """,
                view=SQL.identifier(self._table),
                closed=CLOSED_STATES,
            )
        )

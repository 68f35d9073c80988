"""Issue 19: the stages of before become field stages where the workshop has
its own, and are kept from later upgrades like the new ones.

The stage data is ``noupdate`` (businesses rename and recolour stages), so
the upgrade creates the workshop stages but leaves the stages that existed
untouched: their work place, colour, fold and customer label are set here,
only where they still have the values the column was created with.
Running it twice changes nothing."""

from odoo.tools import SQL

# xml id suffix: (work place, colour, folded, customer label)
FIELD_STAGES = {
    "new": ("field", 0, False, "Request received"),
    "assigned": ("field", 4, False, "Sent to a service center"),
    "accepted": ("both", 4, False, "Accepted by the service center"),
    "on_the_way": ("both", 2, False, "Technician on the way"),
    "in_progress": ("field", 2, False, "Work in progress"),
    "awaiting_approval": ("both", 3, False, "Waiting for your approval"),
    "done": ("field", 10, False, "Completed"),
    "cancelled": ("field", 1, True, "Cancelled"),
    "returned": ("both", 1, True, "Closed without service"),
}


def migrate(cr, version):
    for suffix, (work_place, color, fold, label) in FIELD_STAGES.items():
        cr.execute(
            SQL(
                """
                UPDATE aftersales_order_stage s
                   SET work_place = %(work_place)s,
                       color = COALESCE(NULLIF(s.color, 0), %(color)s),
                       fold = COALESCE(s.fold, FALSE) OR %(fold)s,
                       portal_label = COALESCE(
                           s.portal_label, jsonb_build_object('en_US', %(label)s))
                  FROM ir_model_data d
                 WHERE d.module = 'aftersales'
                   AND d.name = %(xmlid)s
                   AND d.model = 'aftersales.order.stage'
                   AND d.res_id = s.id
                   AND s.work_place = 'both'
                """,
                work_place=work_place,
                color=color,
                fold=fold,
                label=label,
                xmlid=f"aftersales_order_stage_{suffix}",
            )
        )
    # The data file is noupdate now: mark the old records alike.
    cr.execute(
        SQL(
            """
            UPDATE ir_model_data SET noupdate = TRUE
             WHERE module = 'aftersales' AND model = 'aftersales.order.stage'
            """
        )
    )

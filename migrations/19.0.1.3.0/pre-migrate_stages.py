"""Issue 19: the stage's ``code`` (one stage per status) becomes ``state``
(the status it belongs to, several stages each)."""

from odoo.tools import SQL, sql


def migrate(cr, version):
    if not sql.column_exists(cr, "aftersales_order_stage", "code"):
        return
    cr.execute(
        SQL(
            "ALTER TABLE aftersales_order_stage "
            "DROP CONSTRAINT IF EXISTS aftersales_order_stage_code_unique"
        )
    )
    sql.rename_column(cr, "aftersales_order_stage", "code", "state")
    # The field's metadata follows, so that nothing refers to a lost field.
    cr.execute(
        SQL(
            "UPDATE ir_model_fields SET name = 'state' "
            "WHERE model = 'aftersales.order.stage' AND name = 'code'"
        )
    )

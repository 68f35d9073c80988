"""Issue 17, item 9 (Names): rename the visit model, the date fields and the
settlement's reopen reason in place, so that no row, tracking value, message,
attachment or XML id is lost (written by /work/rename17.py).

Runs before the registry loads the new code: renames tables, columns,
sequences, indexes and constraints, and the model's and fields' metadata
(ir_model, ir_model_fields, ir_model_data, ir_model_constraint, and every
column that stores a model name), and the field names inside stored views
and saved filters. Plain SQL: ``odoo.upgrade.util`` is not in
Community. Every step checks first, so running it twice changes nothing.
"""

import logging

from odoo.tools import SQL
from odoo.tools.sql import column_exists, make_index_name, table_exists

_logger = logging.getLogger(__name__)

MODULE = "aftersales"
MODELS = [
    # (old model, new model)
    ("aftersales.order.worklog", "aftersales.order.visit"),
]
FIELDS = [
    # (model after the renames, old field, new field); no column for one2many
    ("aftersales.order", "worklog_ids", "visit_ids"),
    ("aftersales.order", "requested_date", "date_requested"),
    ("aftersales.order", "approval_requested_date", "date_approval_requested"),
    ("aftersales.order", "work_resumed_date", "date_work_resumed"),
    ("aftersales.order", "sla_start_date", "date_sla_start"),
    ("aftersales.order", "sla_warning_date", "date_sla_warning"),
    ("aftersales.approval", "decision_date", "date_decided"),
    ("aftersales.sync.action", "client_date", "date_client"),
    ("aftersales.settlement", "cancel_reason", "reopen_reason"),
]
# Field names inside stored views and saved filters, which Odoo validates
# before this module's own XML refreshes them (an inheriting view of the
# order's form is checked when the form is updated): (models, old, new).
ORDER_MODELS = ("aftersales.%",)
VIEW_RENAMES = [
    *((ORDER_MODELS, old, new) for model, old, new in FIELDS if old != "cancel_reason"),
    (("aftersales.settlement",), "cancel_reason", "reopen_reason"),
]
XMLID_PREFIXES = [
    # (old, new) fragments of this module's XML ids
    ("aftersales_order_worklog", "aftersales_order_visit"),
    ("demo_worklog_", "demo_visit_"),
]
# Columns that hold a model's technical name (ir_attachment.res_model,
# mail_message.model, ir_act_window.res_model, ir_ui_view.model,
# ir_filters.model_id, rating_rating.res_model, ...): found in the schema so
# that modules installed beside us are covered too.
MODEL_NAME_COLUMNS = (
    "model",
    "res_model",
    "model_name",
    "res_model_name",
    "relation",
    "model_id",
    "parent_res_model",
    "resource",
)


def _table(model):
    return model.replace(".", "_")


def _rename_relation_objects(cr, old_table, new_table):
    """Constraints (pkey, fkeys, checks) and indexes named after the table."""
    cr.execute(
        """SELECT conname FROM pg_constraint
            WHERE conrelid = %s::regclass AND conname LIKE %s""",
        [new_table, old_table + "\\_%"],
    )
    for (name,) in cr.fetchall():
        new_name = new_table + name[len(old_table) :]
        cr.execute(
            SQL(
                "ALTER TABLE %s RENAME CONSTRAINT %s TO %s",
                SQL.identifier(new_table),
                SQL.identifier(name),
                SQL.identifier(new_name),
            )
        )
        cr.execute(
            "UPDATE ir_model_constraint SET name = %s WHERE name = %s",
            [new_name, name],
        )
    cr.execute(
        """SELECT indexname FROM pg_indexes
            WHERE tablename = %s AND indexname LIKE %s""",
        [new_table, old_table + "\\_%"],
    )
    for (name,) in cr.fetchall():
        cr.execute(
            SQL(
                "ALTER INDEX %s RENAME TO %s",
                SQL.identifier(name),
                SQL.identifier(new_table + name[len(old_table) :]),
            )
        )
    cr.execute(
        "SELECT sequencename FROM pg_sequences WHERE sequencename LIKE %s",
        [old_table + "\\_%"],
    )
    for (name,) in cr.fetchall():
        cr.execute(
            SQL(
                "ALTER SEQUENCE %s RENAME TO %s",
                SQL.identifier(name),
                SQL.identifier(new_table + name[len(old_table) :]),
            )
        )


def _model_name_columns(cr):
    cr.execute(
        """SELECT table_name, column_name FROM information_schema.columns
            WHERE table_schema = current_schema()
              AND column_name = ANY(%s)
              AND data_type IN ('character varying', 'text')
              AND table_name IN (SELECT table_name FROM information_schema.tables
                                  WHERE table_schema = current_schema()
                                    AND table_type = 'BASE TABLE')""",
        [list(MODEL_NAME_COLUMNS)],
    )
    return cr.fetchall()


def rename_model(cr, old, new):
    old_table, new_table = _table(old), _table(new)
    if table_exists(cr, old_table) and not table_exists(cr, new_table):
        cr.execute(
            SQL(
                "ALTER TABLE %s RENAME TO %s",
                SQL.identifier(old_table),
                SQL.identifier(new_table),
            )
        )
        _logger.info("renamed table %s to %s", old_table, new_table)
    if table_exists(cr, new_table):
        _rename_relation_objects(cr, old_table, new_table)
    cr.execute("SELECT 1 FROM ir_model WHERE model = %s", [new])
    if not cr.fetchone():
        cr.execute("UPDATE ir_model SET model = %s WHERE model = %s", [new, old])
    for table, column in _model_name_columns(cr):
        if table == "ir_model":
            continue
        cr.execute(
            SQL(
                "UPDATE %s SET %s = %s WHERE %s = %s",
                SQL.identifier(table),
                SQL.identifier(column),
                new,
                SQL.identifier(column),
                old,
            )
        )
        if cr.rowcount:
            _logger.info("%s.%s: %s rows to %s", table, column, cr.rowcount, new)


def rename_field(cr, model, old, new):
    table = _table(model)
    if column_exists(cr, table, old) and not column_exists(cr, table, new):
        cr.execute(
            SQL(
                "ALTER TABLE %s RENAME COLUMN %s TO %s",
                SQL.identifier(table),
                SQL.identifier(old),
                SQL.identifier(new),
            )
        )
        _logger.info("renamed column %s.%s to %s", table, old, new)
        old_index, new_index = make_index_name(table, old), make_index_name(table, new)
        cr.execute(
            "SELECT 1 FROM pg_indexes WHERE tablename = %s AND indexname = %s",
            [table, old_index],
        )
        if cr.fetchone():
            cr.execute(
                SQL(
                    "ALTER INDEX %s RENAME TO %s",
                    SQL.identifier(old_index),
                    SQL.identifier(new_index),
                )
            )
    cr.execute(
        """UPDATE ir_model_fields SET name = %(new)s
            WHERE model = %(model)s AND name = %(old)s
              AND NOT EXISTS (SELECT 1 FROM ir_model_fields
                               WHERE model = %(model)s AND name = %(new)s)""",
        {"model": model, "old": old, "new": new},
    )
    prefix = f"field_{table}__"
    _rename_xmlid(cr, prefix + old, prefix + new)


def _rename_xmlid(cr, old, new):
    cr.execute(
        """UPDATE ir_model_data SET name = %(new)s
            WHERE module = %(module)s AND name = %(old)s
              AND NOT EXISTS (SELECT 1 FROM ir_model_data
                               WHERE module = %(module)s AND name = %(new)s)""",
        {"module": MODULE, "old": old, "new": new},
    )


def rename_xmlids(cr, old, new):
    cr.execute(
        "SELECT name FROM ir_model_data WHERE module = %s AND name LIKE %s",
        [MODULE, "%" + old.replace("_", "\\_") + "%"],
    )
    for (name,) in cr.fetchall():
        _rename_xmlid(cr, name, name.replace(old, new))


def rename_in_views(cr):
    """Whole-word replace in the arch (all languages) of the views of our
    models and of this module's QWeb templates, and in saved filters."""
    for models, old, new in VIEW_RENAMES:
        word = rf"\m{old}\M"
        cr.execute(
            """UPDATE ir_ui_view v
                  SET arch_db = regexp_replace(
                        v.arch_db::text, %(word)s, %(new)s, 'g')::jsonb
                WHERE v.arch_db::text ~ %(word)s
                  AND (v.model LIKE ANY(%(models)s)
                       OR (v.model IS NULL AND %(any)s AND EXISTS (
                            SELECT 1 FROM ir_model_data d
                             WHERE d.module = %(module)s AND d.model = 'ir.ui.view'
                               AND d.res_id = v.id)))""",
            {
                "word": word,
                "new": new,
                "models": list(models),
                "any": models == ORDER_MODELS,
                "module": MODULE,
            },
        )
        if cr.rowcount:
            _logger.info("%s -> %s in %s views", old, new, cr.rowcount)
        for column in ("domain", "context", "sort"):
            cr.execute(
                SQL(
                    """UPDATE ir_filters SET %s = regexp_replace(%s, %s, %s, 'g')
                        WHERE %s ~ %s AND model_id LIKE ANY(%s)""",
                    SQL.identifier(column),
                    SQL.identifier(column),
                    word,
                    new,
                    SQL.identifier(column),
                    word,
                    list(models),
                )
            )


def migrate(cr, version):
    if not version:
        return
    for old, new in MODELS:
        rename_model(cr, old, new)
    for model, old, new in FIELDS:
        rename_field(cr, model, old, new)
    rename_in_views(cr)
    for old, new in XMLID_PREFIXES:
        rename_xmlids(cr, old, new)

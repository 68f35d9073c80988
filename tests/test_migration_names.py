import importlib.util
from pathlib import Path

from odoo.tests import tagged
from odoo.tools.sql import column_exists, table_exists

from .common import FieldCommon

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def _load_names_migration():
    (path,) = MIGRATIONS.glob("*/pre-migrate_names.py")
    spec = importlib.util.spec_from_file_location("pre_migrate_names", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestNamesMigration(FieldCommon):
    """Issue 17 renamed the visit model and several fields; a database of
    before the renames upgrades without losing a row. The old names are read
    from the migration itself (written here they would be renamed too)."""

    def _column(self, model, name):
        return self.env[model]._fields[name].column_type is not None

    def test_a_database_of_before_the_renames_keeps_its_rows(self):
        migration = _load_names_migration()
        order = self._repair_in_progress()
        visit_model = migration.MODELS[0][1]
        visit = self.env[visit_model].search([("order_id", "=", order.id)])
        self.assertTrue(visit)
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            "SELECT id FROM ir_model_fields WHERE (model, name) IN %s ORDER BY id",
            [tuple((model, new) for model, _old, new in migration.FIELDS)],
        )
        field_ids = cr.fetchall()
        self.assertEqual(len(field_ids), len(migration.FIELDS))
        model_id = self.env["ir.model"]._get_id(visit_model)

        # Put the database back under the old names, with the migration's
        # own steps run backwards.
        for model, old, new in migration.FIELDS:
            migration.rename_field(cr, model, new, old)
        for old, new in migration.MODELS:
            migration.rename_model(cr, new, old)
        for old, new in migration.XMLID_PREFIXES:
            migration.rename_xmlids(cr, new, old)
        old_table = migration.MODELS[0][0].replace(".", "_")
        self.assertTrue(table_exists(cr, old_table))
        for model, old, _new in migration.FIELDS:
            if self._column(model, _new):
                self.assertTrue(column_exists(cr, model.replace(".", "_"), old))

        migration.migrate(cr, "19.0.1.0.0")
        migration.migrate(cr, "19.0.1.0.0")  # a second run changes nothing

        self.assertFalse(table_exists(cr, old_table))
        for model, old, new in migration.FIELDS:
            if self._column(model, new):
                table = model.replace(".", "_")
                self.assertTrue(column_exists(cr, table, new), new)
                self.assertFalse(column_exists(cr, table, old), old)
        cr.execute(
            "SELECT id FROM ir_model_fields WHERE (model, name) IN %s ORDER BY id",
            [tuple((model, new) for model, _old, new in migration.FIELDS)],
        )
        self.assertEqual(cr.fetchall(), field_ids, "the fields keep their ids")
        self.assertEqual(self.env["ir.model"]._get_id(visit_model), model_id)
        self.env.invalidate_all()
        self.assertEqual(order.visit_ids, visit, "the visit is still the order's")
        self.assertTrue(
            self.env.ref(f"aftersales.model_{visit_model.replace('.', '_')}")
        )
        self.assertEqual(
            self.env[visit_model].search([("order_id", "=", order.id)]), visit
        )

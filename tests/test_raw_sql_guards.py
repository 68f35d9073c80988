from odoo.tests import TransactionCase, tagged

# The places that write rows of the addon's own tables with SQL, for speed
# (bench/RESULTS.md), and what the ORM would have done there that they do by
# hand or deliberately leave out. Such a statement skips every ``create`` or
# ``write`` override and every stored compute: a new one added to these models
# would silently not run for these rows. When a test below fails, make the
# SQL do what the new override or compute does (or go through the ORM), then
# add it to the lists here.
RAW_WRITES = {
    # aftersales_warranty_import.py, _import_rows: INSERT INTO aftersales_warranty
    "aftersales.warranty": {
        "method": "create",
        "overrides": {
            # Numbers are drawn by the import; the values checked by the
            # override are those the import validated row by row.
            "aftersales.models.aftersales_warranty.AftersalesWarranty",
            # No chatter on imported warranties.
            "mail.models.mail_thread.MailThread",
        },
        # Both are written by the INSERT.
        "stored_computes": {"product_id", "date_end"},
    },
    # aftersales_settlement.py, _create_lines: INSERT INTO aftersales_settlement_line
    "aftersales.settlement.line": {
        "method": "create",
        "overrides": set(),
        # Written by the INSERT (_prepare_line_rows).
        "stored_computes": {"amount"},
    },
    # aftersales_sms_inbound.py, _receive: INSERT INTO aftersales_sms_inbound
    "aftersales.sms.inbound": {
        "method": "create",
        "overrides": set(),
        "stored_computes": set(),
    },
}
# UPDATE statements: the column written, the write overrides skipped and the
# stored fields that depend on the column (recomputed by hand after).
RAW_UPDATES = {
    # aftersales_settlement.py, _file_lines: UPDATE aftersales_settlement_line
    ("aftersales.settlement.line", "settlement_id"): {
        # It refuses non-superusers; the filing runs as the state machine.
        "overrides": {
            "aftersales.models.aftersales_settlement_line.AftersalesSettlementLine"
        },
        # add_to_compute() of both after the UPDATE.
        "dependents": {
            "aftersales.settlement.amount_total",
            "aftersales.settlement.line_count",
        },
    },
    # aftersales_center.py, _reserve_capacity: UPDATE aftersales_center
    ("aftersales.center", "date_last_assigned"): {
        # The stamp is not tracked; the center's own write() reacts only to
        # receives_units (a new desk gets its location), never to the stamp.
        "overrides": {
            "mail.models.mail_thread.MailThread",
            "aftersales.models.aftersales_center.AftersalesCenter",
        },
        "dependents": set(),
    },
}


def _defining_classes(model, method):
    """The classes of ``model`` (its addons' and their mixins') that define
    ``method``, named ``<addon>.<module path>.<class>``; Odoo's base class
    left out."""
    names = set()
    for cls in type(model).__mro__:
        if method in vars(cls) and cls.__module__.startswith("odoo.addons."):
            names.add(
                f"{cls.__module__.removeprefix('odoo.addons.')}.{cls.__qualname__}"
            )
    return names


def _stored_computes(model):
    """The stored computed (and related) fields of ``model``."""
    return {
        name for name, field in model._fields.items() if field.store and field.compute
    }


def _dependents(model, fname):
    """The stored fields recomputed when ``fname`` changes, as
    ``model.field``."""
    tree = model.env.registry.get_trigger_tree([model._fields[fname]])
    found, todo = set(), [tree]
    while todo:
        node = todo.pop()
        found.update(
            f"{field.model_name}.{field.name}" for field in node.root if field.store
        )
        todo.extend(node.values())
    return found


@tagged("post_install", "-at_install")
class TestRawSqlGuards(TransactionCase):
    """Fails when a model written with SQL gains a ``create``/``write``
    override or a stored compute the SQL would skip."""

    def test_raw_inserts_skip_nothing_new(self):
        for model_name, known in RAW_WRITES.items():
            model = self.env[model_name]
            with self.subTest(model=model_name):
                overrides = _defining_classes(model, known["method"])
                self.assertEqual(
                    overrides,
                    known["overrides"],
                    f"{model_name}.{known['method']}() is overridden in classes the "
                    f"raw INSERT of {model_name} does not know: "
                    f"{sorted(overrides - known['overrides'])} (gone: "
                    f"{sorted(known['overrides'] - overrides)}). Make the INSERT do "
                    "what they do, or create through the ORM; then update RAW_WRITES.",
                )
                computes, filled = _stored_computes(model), known["stored_computes"]
                self.assertEqual(
                    computes,
                    filled,
                    f"{model_name} has stored computed or related fields the raw "
                    f"INSERT does not fill: {sorted(computes - filled)}"
                    f" (gone: {sorted(filled - computes)}). Fill "
                    "them in the INSERT, or create through the ORM; then update "
                    "RAW_WRITES.",
                )

    def test_raw_updates_skip_nothing_new(self):
        for (model_name, fname), known in RAW_UPDATES.items():
            model = self.env[model_name]
            with self.subTest(model=model_name, field=fname):
                overrides = _defining_classes(model, "write")
                self.assertEqual(
                    overrides,
                    known["overrides"],
                    f"{model_name}.write() is overridden in classes the raw UPDATE "
                    f"of {fname} does not know: "
                    f"{sorted(overrides - known['overrides'])} (gone: "
                    f"{sorted(known['overrides'] - overrides)}). Make the UPDATE do "
                    "what they do, or write through the ORM; then update RAW_UPDATES.",
                )
                dependents = _dependents(model, fname)
                self.assertEqual(
                    dependents,
                    known["dependents"],
                    f"Stored fields depend on {model_name}.{fname}, which a raw "
                    f"UPDATE writes: {sorted(dependents - known['dependents'])} "
                    f"(gone: {sorted(known['dependents'] - dependents)}). Recompute "
                    "them after the UPDATE, or write through the ORM; then update "
                    "RAW_UPDATES.",
                )

    def test_guard_sees_an_added_create_override_and_stored_compute(self):
        """The introspection itself: a model with a create override and a
        stored compute of its own is seen to have them."""
        model = self.env["aftersales.settlement"]
        self.assertIn(
            "aftersales.models.aftersales_settlement.AftersalesSettlement",
            _defining_classes(model, "create"),
        )
        self.assertIn("amount_total", _stored_computes(model))
        self.assertIn(
            "aftersales.settlement.line_count",
            _dependents(self.env["aftersales.settlement.line"], "settlement_id"),
        )

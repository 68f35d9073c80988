from contextlib import contextmanager
from datetime import date

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger
from odoo.tools.translate import TranslationModuleReader

from .common import AftersalesCommon


class ContractCommon(AftersalesCommon):
    """A Gold AMC template, the test customer's serials and a second site,
    and helpers that create contracts as the dispatcher."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract_product = cls.env["product.product"].create(
            {"name": "Test Service Contract", "type": "service"}
        )
        cls.template_gold = cls.env["aftersales.contract.template"].create(
            {
                "name": "Test Gold AMC",
                "kind": "amc",
                "duration_months": 24,
                "billing_plan": "quarterly",
                "price": 1200.0,
                "product_id": cls.contract_product.id,
                "visit_cap": 4,
                "parts_cap": 500.0,
                "cap_period": "year",
                "priority": "1",
            }
        )
        cls.lot_2 = cls.env["stock.lot"].create(
            {"name": "TWM-0002", "product_id": cls.product.id}
        )
        cls.site_2 = cls.env["res.partner"].create(
            {
                "name": "Test Customer, Summer House",
                "parent_id": cls.customer.id,
                "type": "other",
                "street": "Bağdat Caddesi 5",
                "city": "İstanbul",
            }
        )
        cls.other_customer = cls.env["res.partner"].create({"name": "Other Customer"})
        cls.Contract = cls.env["aftersales.contract"].with_user(cls.user_dispatcher)

    @classmethod
    def _contract(cls, lots=(), start="2026-01-01", end="2026-12-31", **vals):
        """A draft contract of the test customer covering ``lots``."""
        return cls.Contract.create(
            {
                "partner_id": cls.customer.id,
                "date_start": start,
                "date_end": end,
                "unit_ids": [Command.create({"lot_id": lot.id}) for lot in lots],
                **vals,
            }
        )

    @contextmanager
    def assertRefused(self, exception, regex):
        """Raises ``exception`` matching ``regex`` and changes nothing (the
        savepoint drops what the refused call left in the cache)."""
        with self.assertRaisesRegex(exception, regex), self.env.cr.savepoint():
            yield

    @classmethod
    def _running(cls, lots=(), **vals):
        contract = cls._contract(lots, **vals)
        contract.action_start()
        return contract


@tagged("post_install", "-at_install")
class TestContract(ContractCommon):
    # ------------------------------------------------------------------
    # Template and defaults
    # ------------------------------------------------------------------

    def test_template_gives_the_terms(self):
        contract = self.Contract.create(
            {
                "partner_id": self.customer.id,
                "template_id": self.template_gold.id,
                "date_start": "2026-03-01",
            }
        )
        self.assertRecordValues(
            contract,
            [
                {
                    "state": "draft",
                    "kind": "amc",
                    "covers_parts": True,
                    "covers_labour": True,
                    "covers_travel": True,
                    "visit_cap": 4,
                    "parts_cap": 500.0,
                    "cap_period": "year",
                    "priority": "1",
                    "billing_plan": "quarterly",
                    "price": 1200.0,
                    "product_id": self.contract_product.id,
                    "date_end": date(2028, 2, 29),
                }
            ],
        )
        self.assertRegex(contract.name, r"^SC\d{4}/\d{5}$")

    def test_template_coverage_kept_and_kind_gives_coverage(self):
        self.template_gold.covers_travel = False
        contract = self._contract(template_id=self.template_gold.id)
        self.assertFalse(contract.covers_travel, "the template's coverage")
        labour_only = self._contract(kind="cmc")
        self.assertRecordValues(
            labour_only,
            [{"covers_parts": False, "covers_labour": True, "covers_travel": True}],
        )
        self.assertEqual(labour_only.billing_plan, "yearly")
        self.assertEqual(labour_only.priority, "0")
        labour_only.kind = "call_based"
        self.assertFalse(labour_only.covers_labour, "a new kind, its coverage")

    def test_form_as_dispatcher(self):
        """A new contract from a template is a few clicks: the template fills
        the terms, the end follows the start, the units tab takes serials."""
        form = Form(self.Contract)
        form.partner_id = self.customer
        form.template_id = self.template_gold
        form.date_start = date(2026, 5, 1)
        self.assertEqual(form.date_end, date(2028, 4, 30))
        self.assertEqual(form.kind, "amc")
        self.assertEqual(form.billing_plan, "quarterly")
        self.assertEqual(form.price, 1200.0)
        self.assertTrue(form.covers_parts)
        with form.unit_ids.new() as unit:
            unit.lot_id = self.lot
            self.assertEqual(unit.product_id, self.product, "from the serial")
        form.date_start = date(2026, 6, 1)
        self.assertEqual(form.date_end, date(2028, 5, 31), "the end follows")
        contract = form.save()
        self.assertEqual(contract.unit_ids.lot_id, self.lot)
        self.assertEqual(contract.unit_ids.address_id, self.customer)
        contract.action_start()
        self.assertEqual(contract.state, "running")
        with Form(contract) as form:
            form.center_id = self.center_a1  # not a term: editable while running
        self.assertEqual(contract.center_id, self.center_a1)

    # ------------------------------------------------------------------
    # State machine
    # ------------------------------------------------------------------

    def test_states(self):
        contract = self._contract([self.lot])
        self.assertTrue(contract.can_be_started)
        self.assertFalse(contract.can_be_expired)
        contract.action_start()
        self.assertEqual(contract.state, "running")
        self.assertFalse(contract.can_be_started)
        with self.assertRefused(UserError, "must be Draft"):
            contract.action_start()
        contract.action_expire()
        self.assertEqual(contract.state, "expired")
        with self.assertRefused(UserError, "cannot cancel"):
            contract.action_cancel("Too late")
        self.assertEqual(contract.state, "expired")

        draft = self._contract([self.lot_2])
        with self.assertRefused(UserError, "Give a reason"):
            draft.action_cancel()
        draft.action_cancel("Customer changed their mind")
        self.assertRecordValues(
            draft,
            [{"state": "cancelled", "cancel_reason": "Customer changed their mind"}],
        )
        self.assertTrue(draft.can_be_reset)
        draft.action_reset()
        self.assertRecordValues(draft, [{"state": "draft", "cancel_reason": False}])

    def test_start_needs_a_unit_unless_every_unit(self):
        contract = self._contract()
        with self.assertRefused(UserError, "covers no unit"):
            contract.action_start()
        self.assertEqual(contract.state, "draft")
        whole = self._contract(scope="customer")
        whole.action_start()
        self.assertEqual(whole.state, "running")

    def test_terms_locked_once_started(self):
        contract = self._running([self.lot], template_id=self.template_gold.id)
        for vals in (
            {"price": 1.0},
            {"date_end": "2026-06-30"},
            {"covers_parts": False},
            {"template_id": False},
            {"partner_id": self.other_customer.id},
        ):
            with self.subTest(vals=vals), self.assertRefused(UserError, "terms"):
                contract.write(vals)
        self.assertRecordValues(
            contract, [{"price": 1200.0, "date_end": date(2026, 12, 31)}]
        )
        contract.write({"note": "<p>Keys at the front desk</p>", "priority": "2"})
        # A new unit may join while the contract runs.
        contract.unit_ids = [Command.create({"lot_id": self.lot_2.id})]
        self.assertEqual(len(contract.unit_ids), 2)

    def test_workflow_fields_only_through_actions(self):
        first = self._running([self.lot])
        with self.assertRefused(UserError, "only through its actions"):
            first.write({"state": "expired"})
        with self.assertRefused(UserError, "only through its actions"):
            self._contract([self.lot_2], previous_contract_id=first.id)
        second = self._contract([self.lot_2], start="2027-01-01", end="2027-12-31")
        with self.assertRefused(UserError, "only through its actions"):
            first.write({"next_contract_ids": [Command.link(second.id)]})
        self.assertFalse(second.previous_contract_id)
        self.assertTrue(self.Contract._fields["previous_contract_id"].readonly)
        self.assertTrue(self.Contract._fields["next_contract_ids"].readonly)

    # ------------------------------------------------------------------
    # Bad input
    # ------------------------------------------------------------------

    def test_end_before_start_refused_in_the_users_words(self):
        """The Python check speaks before the table's CHECK, on create as on
        write, and its message is a translatable term."""
        with self.assertRefused(ValidationError, r"ends on .*, before it starts"):
            self._contract(start="2026-05-01", end="2026-04-30")
        contract = self._contract([self.lot])
        with self.assertRefused(ValidationError, r"ends on .*, before it starts"):
            contract.write({"date_end": "2025-12-31"})
        contract.invalidate_recordset()
        self.assertEqual(contract.date_end, date(2026, 12, 31))
        terms = {
            source
            for *_rest, source, _value, _comments in TranslationModuleReader(
                self.env.cr, modules=["aftersales"]
            )
        }
        for term in (
            "Contract %(name)s ends on %(end)s, before it starts on %(start)s.",
            "The price and caps of contract %(name)s cannot be below zero.",
            "%(unit)s is already covered by contract %(other)s of the same kind "
            "over these dates.",
        ):
            self.assertIn(term, terms)

    def test_negative_caps_and_price_refused(self):
        for vals in ({"visit_cap": -1}, {"parts_cap": -0.5}, {"price": -10.0}):
            with self.subTest(vals=vals):
                with self.assertRefused(ValidationError, "below zero"):
                    self._contract(**vals)
                contract = self._contract()
                with self.assertRefused(ValidationError, "below zero"):
                    contract.write(vals)
        with self.assertRefused(ValidationError, "below zero"):
            self.template_gold.parts_cap = -1

    def test_database_checks_stay(self):
        """Behind the Python checks, the table refuses the same rows."""
        import psycopg2

        contract = self._contract()
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.IntegrityError):
            with self.env.cr.savepoint():
                self.env.cr.execute(
                    "UPDATE aftersales_contract SET date_end = '2020-01-01' "
                    "WHERE id = %s",
                    [contract.id],
                )

    # ------------------------------------------------------------------
    # A unit covered once per kind
    # ------------------------------------------------------------------

    def test_serial_covered_twice_by_the_same_kind_refused(self):
        first = self._running([self.lot])
        with self.assertRefused(ValidationError, first.name):
            self._contract([self.lot], start="2026-06-01", end="2027-05-31")
        # Another kind, dates that do not overlap: fine.
        self._contract([self.lot], kind="call_based")
        self._contract([self.lot], start="2027-01-01", end="2027-12-31")
        # Listed twice on one contract.
        with self.assertRefused(ValidationError, "listed twice"):
            self._contract([self.lot_2, self.lot_2], kind="cmc")

    def test_ended_contracts_do_not_count(self):
        expired = self._running([self.lot])
        expired.action_expire()
        cancelled = self._contract([self.lot_2])
        cancelled.action_cancel("Wrong customer")
        self._contract([self.lot, self.lot_2], start="2026-03-01", end="2027-02-28")
        # Back to draft, the cancelled one clashes again: refused.
        with self.assertRefused(ValidationError, "already covered"):
            cancelled.action_reset()
        self.assertEqual(cancelled.state, "cancelled")

    def test_clash_from_new_dates_or_a_new_unit(self):
        self._running([self.lot])
        later = self._contract([self.lot], start="2027-01-01", end="2027-12-31")
        with self.assertRefused(ValidationError, "already covered"):
            later.date_start = "2026-12-01"
        self.assertEqual(later.date_start, date(2027, 1, 1))
        other = self._contract([self.lot_2], start="2026-02-01", end="2026-03-31")
        other.action_start()
        with self.assertRefused(ValidationError, "already covered"):
            other.unit_ids = [Command.create({"lot_id": self.lot.id})]
        with self.assertRefused(ValidationError, "already covered"):
            other.unit_ids.lot_id = self.lot

    def test_clash_from_a_new_kind(self):
        self._running([self.lot])
        labour = self._contract([self.lot], kind="cmc")
        with self.assertRefused(ValidationError, "already covered"):
            labour.kind = "amc"
        self.assertEqual(labour.kind, "cmc")

    def test_products_at_a_site(self):
        def site_line(address):
            return Command.create(
                {"product_id": self.product.id, "address_id": address.id}
            )

        first = self._running(scope="site", unit_ids=[site_line(self.customer)])
        with self.assertRefused(ValidationError, first.name):
            self._contract(scope="site", unit_ids=[site_line(self.customer)])
        elsewhere = self._contract(scope="site", unit_ids=[site_line(self.site_2)])
        self.assertEqual(elsewhere.unit_ids.address_id, self.site_2)
        # Another customer's contract for the same product does not clash.
        self.Contract.create(
            {
                "partner_id": self.other_customer.id,
                "scope": "site",
                "unit_ids": [Command.create({"product_id": self.product.id})],
            }
        )
        # The product at every site clashes with the product at a site.
        with self.assertRefused(ValidationError, "already covered"):
            self._contract(
                scope="site",
                unit_ids=[
                    Command.create({"product_id": self.product.id, "address_id": False})
                ],
            )

    def test_every_unit_clashes_with_any_unit_of_the_kind(self):
        serial = self._running([self.lot])
        with self.assertRefused(ValidationError, serial.name):
            self._contract(scope="customer")
        whole = self._contract(scope="customer", kind="cmc")
        with self.assertRefused(ValidationError, whole.name):
            self._contract([self.lot_2], kind="cmc")
        with self.assertRefused(ValidationError, whole.name):
            self._contract(scope="customer", kind="cmc", start="2026-12-01")
        self._contract(
            scope="customer", kind="cmc", start="2027-01-01", end="2027-12-31"
        )

    # ------------------------------------------------------------------
    # Which contract covers a unit
    # ------------------------------------------------------------------

    def _unit(self, key="u", lot=None, product=None, address=None, when="2026-06-15"):
        return {
            "key": key,
            "company_id": self.company.id,
            "partner_id": self.customer.commercial_partner_id.id,
            "product_id": (product or self.product).id,
            "lot_id": lot.id if lot else False,
            "address_id": (address or self.customer).id,
            "date": date.fromisoformat(when),
        }

    def test_find_covering_most_precise_then_most_covering(self):
        warranty = self._running([self.lot], kind="extended_warranty")
        site = self._running(
            scope="site",
            kind="amc",
            unit_ids=[Command.create({"product_id": self.product.id})],
        )
        whole = self._running(scope="customer", kind="call_based")
        dishwasher = self.env["product.product"].create(
            {"name": "Test Dishwasher", "type": "consu"}
        )
        Contract = self.env["aftersales.contract"]
        found = Contract._find_covering(
            [
                self._unit("serial", lot=self.lot),
                self._unit("other serial", lot=self.lot_2),
                self._unit("product", product=dishwasher),
                self._unit("late", lot=self.lot, when="2027-01-01"),
            ]
        )
        self.assertEqual(found["serial"], warranty, "its serial beats its product")
        self.assertEqual(found["other serial"], site, "its product at the site")
        self.assertEqual(found["product"], whole, "every unit of the customer")
        self.assertNotIn("late", found, "after the term")
        # The same precision: the contract covering the most wins.
        labour = self._running([self.lot], kind="cmc")
        self.assertEqual(labour.covers_parts, False)
        gold = self._running([self.lot], kind="amc")
        found = Contract._find_covering([self._unit("serial", lot=self.lot)])
        self.assertEqual(found["serial"], gold)
        # Draft, expired and other companies' contracts cover nothing.
        (gold | warranty | labour).action_expire()
        self._contract([self.lot], kind="amc", start="2026-01-02")
        found = Contract._find_covering([self._unit("serial", lot=self.lot)])
        self.assertEqual(found["serial"], site)
        other_company = dict(self._unit(lot=self.lot), company_id=self.company_b.id)
        self.assertEqual(Contract._find_covering([other_company]), {})
        self.assertEqual(Contract._find_covering([]), {})

    def test_find_covering_one_query_for_many_units(self):
        self._running([self.lot])
        self._running(scope="customer", kind="call_based")
        units = [self._unit(str(n), lot=self.lot) for n in range(50)]
        self.env.invalidate_all()
        with self.assertQueryCount(4):  # contracts, their lines, lots, lines' fields
            found = self.env["aftersales.contract"]._find_covering(units)
        self.assertEqual(len(found), 50)

    # ------------------------------------------------------------------
    # Cap windows
    # ------------------------------------------------------------------

    def test_cap_window(self):
        contract = self._contract(start="2026-01-31", end="2028-01-30")
        contract.cap_period = "month"
        window = contract._get_cap_window
        self.assertEqual(
            window(date(2026, 2, 10)), (date(2026, 1, 31), date(2026, 2, 27))
        )
        self.assertEqual(
            window(date(2026, 2, 28)), (date(2026, 2, 28), date(2026, 3, 30))
        )
        self.assertEqual(
            window(date(2027, 3, 31)),
            (date(2027, 3, 31), date(2027, 4, 29)),
            "no drift",
        )
        self.assertEqual(
            window(date(2030, 1, 1)), (date(2027, 12, 31), date(2028, 1, 30))
        )
        contract.cap_period = "year"
        self.assertEqual(
            window(date(2027, 1, 30)), (date(2026, 1, 31), date(2027, 1, 30))
        )
        self.assertEqual(
            window(date(2027, 6, 1)), (date(2027, 1, 31), date(2028, 1, 30))
        )
        self.assertEqual(
            window(date(2025, 1, 1)), (date(2026, 1, 31), date(2027, 1, 30))
        )
        contract.cap_period = "term"
        self.assertEqual(
            window(date(2027, 6, 1)), (date(2026, 1, 31), date(2028, 1, 30))
        )

    # ------------------------------------------------------------------
    # Expiry cron
    # ------------------------------------------------------------------

    def test_expire_ended_in_batches(self):
        lots = self.env["stock.lot"].create(
            [{"name": f"TWM-EXP-{n}", "product_id": self.product.id} for n in range(6)]
        )
        ended = self.env["aftersales.contract"]
        for lot in lots[:5]:
            ended |= self._running(lot, start="2024-01-01", end="2024-12-31")
        current = self._running(lots[5], start="2024-01-01", end="2099-12-31")
        batches = []
        self.env["aftersales.contract"]._expire_ended(
            batch_size=2, after_batch=lambda count: batches.append(count) or True
        )
        self.assertEqual(batches, [2, 2, 1])
        self.assertEqual(set(ended.mapped("state")), {"expired"})
        self.assertEqual(current.state, "running")
        self.assertIn("term ended", ended[0].message_ids[0].body)
        # Nothing left: a second run does nothing.
        batches.clear()
        self.env["aftersales.contract"]._expire_ended(
            batch_size=2, after_batch=lambda count: batches.append(count) or True
        )
        self.assertEqual(batches, [])

    def test_expire_ended_stops_when_told(self):
        lots = self.env["stock.lot"].create(
            [{"name": f"TWM-STOP-{n}", "product_id": self.product.id} for n in range(3)]
        )
        contracts = self.env["aftersales.contract"]
        for lot in lots:
            contracts |= self._running(lot, start="2024-01-01", end="2024-12-31")
        self.env["aftersales.contract"]._expire_ended(
            batch_size=2, after_batch=lambda count: False
        )
        self.assertEqual(contracts.mapped("state").count("expired"), 2)


@tagged("post_install", "-at_install")
class TestContractCancelWizard(ContractCommon):
    """The form's Cancel button asks for the reason, as the order's does."""

    def test_dispatcher_cancels_with_a_reason(self):
        contract = self._running([self.lot])
        wizard = Form(
            self.env["aftersales.contract.cancel"]
            .with_user(self.user_dispatcher)
            .with_context(default_contract_ids=contract.ids)
        )
        wizard.reason = "Customer moved abroad"
        wizard.save().action_confirm()
        self.assertEqual(contract.state, "cancelled")
        self.assertEqual(contract.cancel_reason, "Customer moved abroad")

    def test_center_user_cannot_cancel(self):
        contract = self._running([self.lot])
        wizard = (
            self.env["aftersales.contract.cancel"]
            .sudo()
            .create({"contract_ids": contract.ids, "reason": "No"})
        )
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            wizard.with_user(self.user_center).action_confirm()
        self.assertEqual(contract.state, "running")

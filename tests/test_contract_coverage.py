from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from odoo.addons.aftersales.models.aftersales_sla_policy import SCOPE_FIELDS

from .common import FieldCommon


@tagged("post_install", "-at_install")
class TestContractCoverage(FieldCommon):
    """A work order of a covered unit knows its contract; parts, labour and
    travel come from the warranty or the contract, the better of the two;
    caps charge what is beyond them and say why; SLA policies and tariffs
    can be chosen by contract."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_customer = cls.env["res.partner"].create(
            {"name": "Other Customer", "country_id": cls.country_tr.id}
        )
        cls.product_fridge = cls.env["product.product"].create(
            {"name": "Test Fridge", "type": "consu", "tracking": "serial"}
        )
        cls.parts_only = cls.env["aftersales.warranty.type"].create(
            {
                "name": "Test Parts Only",
                "duration": 2,
                "covers_labour": False,
                "covers_travel": False,
            }
        )
        cls.parts_lot = cls.env["stock.lot"].create(
            {"name": "TWM-PARTS", "product_id": cls.product.id}
        )
        cls.env["aftersales.warranty"].create(
            {
                "lot_id": cls.parts_lot.id,
                "partner_id": cls.customer.id,
                "warranty_type_id": cls.parts_only.id,
            }
        ).action_activate()

    # ------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------

    def _contract(self, lots=(), scope="units", start=True, partner=None, **vals):
        """A contract the dispatcher makes (and starts) for ``lots``."""
        contract = (
            self.env["aftersales.contract"]
            .with_user(self.user_dispatcher)
            .create(
                {
                    "partner_id": (partner or self.customer).id,
                    "scope": scope,
                    "unit_ids": [Command.create({"lot_id": lot.id}) for lot in lots],
                    **vals,
                }
            )
        )
        if start:
            contract.action_start()
        return contract

    def _new_order(self, user=None, **vals):
        Order = self.env["aftersales.order"].with_user(user or self.user_dispatcher)
        return Order.create(
            {
                "partner_id": self.customer.id,
                "product_id": self.product.id,
                "lot_id": self.lot.id,
                "service_type_id": self.type_repair.id,
                **vals,
            }
        )

    def _items(self, order):
        return (order.parts_covered, order.labour_covered, order.travel_covered)

    # ------------------------------------------------------------
    # Which contract covers the order
    # ------------------------------------------------------------

    def test_covered_serial_order_gets_contract_and_its_priority(self):
        contract = self._contract([self.lot], kind="amc", priority="1")
        order = self._new_order()
        self.assertEqual(order.contract_id, contract)
        self.assertEqual(self._items(order), (True, True, True))
        self.assertEqual(order.coverage_source, "contract")
        self.assertIn(contract.name, order.coverage_note)
        self.assertFalse(order.charged_outside_contract)
        self.assertEqual(order.priority, "1", "the contract's SLA priority")
        urgent = self._new_order(priority="2")
        self.assertEqual(urgent.priority, "2", "never lowered")
        self.assertEqual(contract.order_count, 2)
        # Another serial of the same product is not covered.
        other_lot = self.env["stock.lot"].create(
            {"name": "TWM-OTHER", "product_id": self.product.id}
        )
        uncovered = self._new_order(lot_id=other_lot.id)
        self.assertFalse(uncovered.contract_id)
        self.assertEqual(uncovered.coverage_source, "none")
        self.assertEqual(uncovered.priority, "0")

    def test_site_and_whole_customer_contracts(self):
        site = self._contract(
            scope="site",
            kind="amc",
            unit_ids=[
                Command.create(
                    {"product_id": self.product.id, "address_id": self.customer.id}
                )
            ],
        )
        customer_wide = self._contract(scope="customer", kind="cmc")
        washer = self._new_order(lot_id=False)
        self.assertEqual(washer.contract_id, site, "the product at the site")
        fridge = self._new_order(product_id=self.product_fridge.id, lot_id=False)
        self.assertEqual(fridge.contract_id, customer_wide, "every unit")
        self.assertEqual(self._items(fridge), (False, True, True), "labour only")
        # The same product at another address: only the whole-customer one.
        elsewhere = self.env["res.partner"].create(
            {"name": "Summer House", "parent_id": self.customer.id, "type": "delivery"}
        )
        away = self._new_order(lot_id=False, address_id=elsewhere.id)
        self.assertEqual(away.contract_id, customer_wide)
        # Another customer's unit is covered by neither.
        stranger = self._new_order(partner_id=self.other_customer.id, lot_id=False)
        self.assertFalse(stranger.contract_id)

    def test_draft_expired_cancelled_and_others_contracts_do_not_cover(self):
        self._contract([self.lot], start=False)
        self._contract([self.lot], partner=self.other_customer, kind="cmc")
        self.assertFalse(self._new_order().contract_id, "draft or someone else's")
        # A term that ended yesterday no longer covers.
        past = self._contract(
            scope="customer",
            kind="call_based",
            date_start=fields.Date.add(fields.Date.today(), years=-1),
            date_end=fields.Date.add(fields.Date.today(), days=-1),
        )
        self.assertFalse(self._new_order().contract_id)
        past.with_user(self.user_dispatcher).action_expire()
        running = self._contract(scope="customer", kind="extended_warranty")
        order = self._new_order()
        self.assertEqual(order.contract_id, running)
        running.with_user(self.user_dispatcher).action_cancel("Customer left")
        self.assertFalse(self._new_order().contract_id)

    def test_dispatcher_sets_contract_by_hand_within_the_rules(self):
        contract = self._contract(scope="customer", kind="cmc")
        theirs = self._contract(scope="customer", partner=self.other_customer)
        draft = self._contract([self.lot], kind="amc", start=False)
        order = self._new_order(contract_id=False)
        self.assertFalse(order.contract_id, "the dispatcher said: no contract")
        order = order.with_user(self.user_dispatcher)
        order.contract_id = contract
        self.assertEqual(order.coverage_source, "contract")
        self.assertEqual(self._items(order), (False, True, True))
        for wrong, message in ((theirs, "belongs to"), (draft, "not running")):
            with (
                self.assertRaisesRegex(ValidationError, message),
                self.env.cr.savepoint(),
            ):
                order.contract_id = wrong
        order.invalidate_recordset()
        self.assertEqual(order.contract_id, contract)

    def test_another_companys_contract_does_not_cover(self):
        theirs = (
            self.env["aftersales.contract"]
            .with_user(self.user_dispatcher_b)
            .create({"partner_id": self.customer.id, "scope": "customer"})
        )
        theirs.action_start()
        order = self._new_order()
        self.assertFalse(order.contract_id)
        with self.assertRaises(UserError), self.env.cr.savepoint():
            order.with_user(self.user_dispatcher).contract_id = theirs.id

    def test_starting_a_contract_covers_open_orders(self):
        order = self._new_order()
        contract = self._contract([self.lot], kind="amc", start=False)
        self.assertFalse(order.contract_id)
        contract.with_user(self.user_dispatcher).action_start()
        self.assertEqual(order.contract_id, contract)
        self.assertTrue(order.labour_covered)

    def test_planned_visit_keeps_its_contract(self):
        contract = self._contract([self.lot], kind="amc", priority="2")
        plan = self.env["aftersales.contract.plan"].create(
            {"contract_id": contract.id, "service_type_id": self.type_repair.id}
        )
        # The planner creates its visits as superuser, with their contract.
        visit = self._create_order(
            contract_id=contract.id,
            contract_plan_id=plan.id,
            contract_unit_id=contract.unit_ids.id,
            channel="contract",
        )
        self.assertEqual(visit.priority, "2")
        self.assertEqual(visit.coverage_source, "contract")
        elsewhere = self.env["res.partner"].create(
            {"name": "Shop", "parent_id": self.customer.id, "type": "delivery"}
        )
        visit.with_user(self.user_dispatcher).write(
            {"address_id": elsewhere.id, "lot_id": False}
        )
        self.assertEqual(visit.contract_id, contract, "not re-read from the unit")
        unplanned = self._new_order()
        unplanned.with_user(self.user_dispatcher).lot_id = False
        self.assertFalse(unplanned.contract_id, "re-read: the serial is gone")

    # ------------------------------------------------------------
    # The better of warranty and contract
    # ------------------------------------------------------------

    def test_warranty_parts_and_contract_labour_are_both_covered(self):
        contract = self._contract([self.parts_lot], kind="cmc")
        order = self._new_order(lot_id=self.parts_lot.id)
        self.assertTrue(order.under_warranty)
        self.assertEqual(order.contract_id, contract)
        self.assertEqual(self._items(order), (True, True, True))
        self.assertEqual(order.coverage_source, "contract", "2 items against 1")
        self.assertFalse(order.contract_parts_covered, "the warranty pays parts")
        self.assertTrue(order.contract_visit_covered)
        self.assertIn("The warranty covers parts.", order.coverage_note)
        self.assertIn("covers labour, travel.", order.coverage_note)

    def test_tie_goes_to_the_warranty(self):
        # The warranty covers parts and labour, the contract labour and travel.
        self._contract([self.covered_lot], kind="cmc")
        order = self._new_order(lot_id=self.covered_lot.id)
        self.assertEqual(self._items(order), (True, True, True))
        self.assertEqual(order.coverage_source, "warranty")
        self.assertTrue(order.contract_visit_covered, "the contract pays travel")
        # Without its contract the order keeps the warranty's items only.
        order.with_user(self.user_dispatcher).contract_id = False
        self.assertEqual(self._items(order), (True, True, False))
        self.assertEqual(order.coverage_source, "warranty")
        self.assertFalse(order.coverage_note)

    # ------------------------------------------------------------
    # Caps
    # ------------------------------------------------------------

    def test_visit_cap_charges_labour_and_travel_with_the_reason(self):
        contract = self._contract([self.lot], kind="amc", visit_cap=1)
        first = self._new_order()
        self.assertEqual(self._items(first), (True, True, True))
        second = self._new_order()
        self.assertEqual(self._items(second), (True, False, False), "parts still")
        self.assertEqual(second.coverage_source, "contract")
        self.assertFalse(second.contract_visit_covered)
        self.assertTrue(second.charged_outside_contract)
        self.assertIn("Visit cap of contract", second.coverage_note)
        self.assertIn("1 of 1 covered visits", second.coverage_note)
        usage = contract._get_usage()
        self.assertEqual(usage["visits"], 1)
        self.assertEqual(contract.cap_visits_used, 1)
        self.assertEqual(usage["date_from"], contract.date_start)
        # Re-reading the first order does not count itself or the later one.
        first.invalidate_recordset()
        self.env.add_to_compute(first._fields["labour_covered"], first)
        self.assertTrue(first.labour_covered)
        # A cancelled visit gives its place back.
        first.with_user(self.user_dispatcher).action_cancel("Customer cancelled")
        self.assertEqual(contract._get_usage()["visits"], 0)
        third = self._new_order()
        self.assertEqual(self._items(third), (True, True, True))

    def test_orders_created_together_share_the_visit_cap(self):
        contract = self._contract([self.lot], kind="amc", visit_cap=2)
        Order = self.env["aftersales.order"].with_user(self.user_dispatcher)
        orders = Order.create(
            [
                {
                    "partner_id": self.customer.id,
                    "product_id": self.product.id,
                    "lot_id": self.lot.id,
                    "service_type_id": self.type_repair.id,
                }
            ]
            * 3
        )
        self.assertEqual(orders.mapped("labour_covered"), [True, True, False])
        self.assertEqual(contract._get_usage()["visits"], 2)

    def test_parts_cap_charges_the_part_that_crosses_it(self):
        contract = self._contract([self.lot], kind="amc", parts_cap=150.0)
        order = self._repair_in_progress()
        self.assertEqual(order.contract_id, contract)
        tech = self.user_technician
        board = self._add_part(
            order, self.part_board, user=tech, lot_id=self.board_lots[0].id
        )
        belt = self._add_part(order, self.part_belt, user=tech)
        self.assertEqual((board.coverage, belt.coverage), ("covered", "covered"))
        second_board = self._add_part(
            order, self.part_board, user=tech, lot_id=self.board_lots[1].id
        )
        self.assertEqual(second_board.coverage, "charged")
        self.assertIn("Parts cap of contract", second_board.coverage_note)
        self.assertIn("Parts cap of contract", order.coverage_note)
        self.assertIn("135.00 of 150.00", order.coverage_note)
        self.assertTrue(order.charged_outside_contract)
        self.assertEqual(contract._get_usage()["parts_value"], 135.0)
        # The next order has 15.00 left: one belt fits, the second does not.
        other = self._repair_in_progress()
        fits = self._add_part(other, self.part_belt, user=tech)
        beyond = self._add_part(other, self.part_belt, user=tech)
        self.assertEqual((fits.coverage, beyond.coverage), ("covered", "charged"))
        self.assertEqual(contract._get_usage()["parts_value"], 150.0)
        contract.invalidate_recordset(["cap_parts_used"])
        self.assertEqual(contract.with_user(self.user_center).cap_parts_used, 150.0)

    def test_invoice_bills_only_what_the_contract_does_not_cover(self):
        self._contract([self.lot], kind="amc", visit_cap=1, parts_cap=130.0)
        covered = self._repair_in_progress()
        self._add_part(covered, self.part_board, lot_id=self.board_lots[0].id)
        covered.action_done()
        self.assertEqual(covered.invoice_status, "no")
        with self.assertRaisesRegex(UserError, "Nothing to invoice"):
            covered.with_user(self.user_dispatcher).action_create_invoices()
        # Beyond the visit cap: labour and travel. Beyond the parts cap (120
        # of 130 used): the belt (15) and the board (120) do not fit.
        extra = self._repair_in_progress()
        self._add_part(extra, self.part_belt)
        self._add_part(extra, self.part_board, lot_id=self.board_lots[1].id)
        extra.action_done()
        self.assertTrue(extra.charged_outside_contract)
        extra.with_user(self.user_dispatcher).action_create_invoices()
        invoice = extra.invoice_ids
        by_product = {
            line.product_id: line.price_unit for line in invoice.invoice_line_ids
        }
        self.assertEqual(
            by_product,
            {
                self.part_belt: 15.0,
                self.part_board: 120.0,
                self.labour: 40.0,
                self.travel: 10.0,
            },
        )
        self.assertEqual(invoice.amount_untaxed, 185.0)
        # The extra bill outside the contract, reported by contract and source.
        Analysis = self.env["aftersales.order.analysis"].with_user(self.user_dispatcher)
        rows = Analysis._read_group(
            [("order_id", "in", (covered | extra).ids)],
            ["contract_id", "coverage_source"],
            ["order_count:sum", "outside_contract_count:sum"],
        )
        self.assertEqual(rows, [(covered.contract_id, "contract", 2, 1)])
        Order = self.env["aftersales.order"].with_user(self.user_dispatcher)
        self.assertEqual(
            Order.search(
                [
                    ("id", "in", (covered | extra).ids),
                    ("charged_outside_contract", "=", True),
                ]
            ),
            extra,
        )

    def test_invoice_leaves_out_covered_parts(self):
        self.company.aftersales_invoice_covered = "hide"
        self._contract([self.lot], kind="cmc")
        order = self._repair_in_progress()
        self._add_part(order, self.part_belt, quantity=2)
        order.action_done()
        self.assertEqual(self._items(order), (False, True, True))
        order.with_user(self.user_dispatcher).action_create_invoices()
        lines = order.invoice_ids.invoice_line_ids
        self.assertEqual(lines.product_id, self.part_belt, "labour and travel covered")
        self.assertEqual(order.invoice_ids.amount_untaxed, 30.0)

    # ------------------------------------------------------------
    # SLA policies and tariffs by contract
    # ------------------------------------------------------------

    def test_sla_policy_by_contract_kind_wins_over_a_generic_one(self):
        Policy = self.env["aftersales.sla.policy"].with_user(self.user_manager)
        generic = Policy.create({"name": "Any", "sequence": 1, "resolve_hours": 48})
        amc = Policy.create(
            {
                "name": "AMC customers",
                "sequence": 50,
                "contract_kind": "amc",
                "resolve_hours": 8,
            }
        )
        self._contract([self.lot], kind="amc")
        self.assertEqual(self._new_order().sla_policy_id, amc)
        plain = self._new_order(lot_id=False)
        self.assertNotEqual(plain.sla_policy_id, amc)
        no_contract = Policy.create(
            {
                "name": "Walk-in",
                "sequence": 70,
                "contract_kind": "none",
                "resolve_hours": 72,
            }
        )
        self.assertEqual(self._new_order(lot_id=False).sla_policy_id, no_contract)
        # A contract of another kind takes neither the AMC nor the walk-in one.
        self._contract([self.parts_lot], kind="cmc")
        cmc = self._new_order(lot_id=self.parts_lot.id)
        self.assertNotIn(cmc.sla_policy_id, amc | no_contract)
        self.assertEqual(cmc.sla_policy_id, generic)

    def test_every_scope_field_has_its_check(self):
        policy = self.env["aftersales.sla.policy"].create(
            {"name": "Checks", "resolve_hours": 8, "contract_kind": "cmc"}
        )
        order = self._new_order(lot_id=False)
        self.assertEqual(len(policy._get_scope_checks(order)), len(SCOPE_FIELDS))
        self.assertIsNone(policy._get_specificity(order), "no CMC contract")
        self._contract(scope="customer", kind="cmc")
        self.assertEqual(policy._get_specificity(self._new_order(lot_id=False)), 1)

    def test_tariff_pays_contract_work_differently(self):
        Tariff = self.env["aftersales.tariff"].with_user(self.user_manager)
        generic = Tariff.create({"name": "Standard", "amount": 50.0})
        contract_work = Tariff.create(
            {"name": "Contract work", "amount": 35.0, "under_contract": "yes"}
        )
        cmc_work = Tariff.create(
            {
                "name": "CMC work",
                "amount": 30.0,
                "under_contract": "yes",
                "contract_kind": "cmc",
            }
        )
        self._contract([self.lot], kind="amc")
        self._contract([self.parts_lot], kind="cmc")
        amc_order = self._new_order()
        cmc_order = self._new_order(lot_id=self.parts_lot.id)
        walk_in = self._new_order(lot_id=False)
        chosen = Tariff._select_for_orders(amc_order | cmc_order | walk_in)
        self.assertEqual(chosen[amc_order], contract_work)
        self.assertEqual(chosen[cmc_order], cmc_work)
        self.assertEqual(chosen[walk_in], generic)

    # ------------------------------------------------------------
    # Who sees and sets what
    # ------------------------------------------------------------

    def test_center_user_sees_coverage_but_cannot_set_the_contract(self):
        contract = self._contract([self.lot], kind="amc", visit_cap=1)
        other = self._contract(scope="customer", kind="cmc")
        self._new_order()  # uses the visit
        order = self._repair_in_progress().with_user(self.user_center)
        values = order.read(
            ["contract_id", "coverage_source", "coverage_note", "labour_covered"]
        )[0]
        self.assertEqual(values["contract_id"][0], contract.id)
        self.assertEqual(values["coverage_source"], "contract")
        self.assertIn("Visit cap", values["coverage_note"])
        self.assertFalse(values["labour_covered"])
        with self.assertRaises(AccessError):
            order.contract_id = other
        with self.assertRaises(UserError):
            order.write({"coverage_source": "none"})
        self.assertEqual(order.contract_id, contract)
        # A center user creating an order gets the covering contract, not theirs.
        created = self._new_order(
            user=self.user_center, center_id=self.center_a1.id, contract_id=other.id
        )
        self.assertEqual(created.contract_id, contract)
        # The technician reads it too, and cannot change it either.
        mine = order.with_user(self.user_technician)
        self.assertEqual(mine.coverage_source, "contract")
        with self.assertRaises(AccessError):
            mine.contract_id = False

    # ------------------------------------------------------------
    # Forms
    # ------------------------------------------------------------

    def test_forms_show_the_contract_and_the_parts_cap(self):
        contract = self._contract([self.lot], kind="amc", parts_cap=130.0)
        Order = self.env["aftersales.order"].with_user(self.user_dispatcher)
        with Form(Order) as form:
            form.partner_id = self.customer
            form.product_id = self.product
            form.lot_id = self.lot
            form.service_type_id = self.type_repair
            self.assertEqual(form.contract_id, contract)
            self.assertEqual(form.coverage_source, "contract")
        self.assertEqual(form.record.contract_id, contract)
        # The center adds two lines on the form: the second crosses the cap,
        # as the form shows it and as it is saved.
        order = self._repair_in_progress()
        self._add_part(order, self.part_belt)  # 15 of 130
        with Form(order.with_user(self.user_center)) as form:
            with form.part_ids.new() as line:
                line.product_id = self.part_board  # 135: beyond
                line.lot_id = self.board_lots[0]
                self.assertEqual(line.coverage, "charged")
            with form.part_ids.new() as line:
                line.product_id = self.part_belt  # 30: fits
                self.assertEqual(line.coverage, "covered")
        coverage = {(p.product_id, p.coverage) for p in order.part_ids}
        self.assertEqual(
            coverage,
            {
                (self.part_belt, "covered"),
                (self.part_board, "charged"),
            },
        )
        self.assertEqual(len(order.part_ids), 3)
        self.assertIn("Parts cap", order.coverage_note)

    # ------------------------------------------------------------
    # Budget
    # ------------------------------------------------------------

    def test_coverage_of_twenty_orders_in_a_few_queries(self):
        self._contract(scope="customer", kind="amc", visit_cap=100)
        orders = self.env["aftersales.order"].create(
            [
                {
                    "partner_id": self.customer.id,
                    "product_id": self.product.id,
                    "service_type_id": self.type_repair.id,
                }
                for _i in range(20)
            ]
        )
        self.assertTrue(all(orders.mapped("contract_visit_covered")))
        self.env.invalidate_all()
        self.env.add_to_compute(orders._fields["coverage_source"], orders)
        with self.assertQueryCount(4):
            orders._recompute_recordset(["coverage_source"])
        self.assertEqual(set(orders.mapped("coverage_source")), {"contract"})

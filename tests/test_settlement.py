from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import FieldCommon


@tagged("post_install", "-at_install")
class TestSettlement(FieldCommon):
    """What the company owes its centers, from tariffs to paid vendor bills."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Tariff = cls.env["aftersales.tariff"]
        cls.tariff_default = Tariff.create({"name": "Any work", "amount": 50.0})
        cls.tariff_repair = Tariff.create(
            {
                "name": "Repairs",
                "service_type_id": cls.type_repair.id,
                "amount": 80.0,
                "part_fee": 5.0,
                "travel_mode": "flat",
                "travel_amount": 12.0,
            }
        )
        cls.settlement_product = cls.env["product.product"].create(
            {"name": "Test Center Fee", "type": "service", "supplier_taxes_id": False}
        )
        cls.company.write(
            {
                "aftersales_settlement_product_id": cls.settlement_product.id,
                "aftersales_settlement_period": "month",
            }
        )
        cls.user_accountant = new_test_user(
            cls.env,
            "as_accountant",
            groups="account.group_account_invoice",
            company_id=cls.company.id,
        )
        cls.Settlement = cls.env["aftersales.settlement"]

    def _done(self, when="2026-11-10 10:00:00", **vals):
        with freeze_time(when):
            return self._order_in_state("done", **vals)

    def _generate(self):
        self.Settlement._generate_pending_lines()

    # Tariffs

    def test_most_specific_valid_tariff_applies(self):
        Tariff = self.env["aftersales.tariff"]
        private = Tariff.create(
            {"name": "Private centers", "center_kind": "private", "amount": 30.0}
        )
        regional = Tariff.create(
            {
                "name": "Istanbul repairs",
                "service_type_id": self.type_repair.id,
                "state_id": self.state_istanbul.id,
                "amount": 90.0,
            }
        )
        category = Tariff.create(
            {
                "name": "Appliances, old",
                "product_categ_id": self.categ_appliance.id,
                "service_type_id": self.type_repair.id,
                "state_id": self.state_istanbul.id,
                "amount": 95.0,
                "date_to": date(2026, 6, 30),
            }
        )
        maintenance = self._done(service_type_id=self.type_maintenance.id)
        repair = self._done(service_type_id=self.type_repair.id)
        old_repair = self._done(
            "2026-05-02 09:00:00", service_type_id=self.type_repair.id
        )
        selected = Tariff._select_for_orders(maintenance | repair | old_repair)
        self.assertEqual(selected[maintenance], self.tariff_default)
        self.assertEqual(selected[repair], regional, "two dimensions beat one")
        self.assertEqual(selected[old_repair], category, "valid on the completion day")
        self.center_a1.kind = "private"
        self.assertEqual(Tariff._select_for_orders(maintenance)[maintenance], private)
        self.customer.state_id = self.state_ankara
        self.assertEqual(
            Tariff._select_for_orders(repair)[repair],
            self.tariff_repair,
            "other region",
        )

    def test_amounts_service_travel_and_parts(self):
        order = self._repair_in_progress()
        self._add_part(order, self.part_belt)
        self._add_part(order, self.part_board, lot_id=self.board_lots[0].id)
        order.action_done()
        self._generate()
        line = order.settlement_line_ids
        self.assertEqual(
            (line.amount_service, line.amount_travel, line.amount_parts, line.amount),
            (80.0, 12.0, 10.0, 102.0),
        )
        self.assertEqual(line.tariff_id, self.tariff_repair)

    def test_travel_by_distance_band(self):
        self.tariff_repair.write(
            {
                "travel_mode": "band",
                "band_ids": [
                    Command.create({"km_from": 0, "km_to": 10, "amount": 5.0}),
                    Command.create({"km_from": 10, "km_to": 50, "amount": 15.0}),
                    Command.create({"km_from": 50, "amount": 40.0}),
                ],
            }
        )
        self.center_a1.write({"latitude": 41.0, "longitude": 29.0})
        near = self._repair_in_progress(latitude=41.05, longitude=29.0)  # ~5.6 km
        far = self._repair_in_progress(latitude=41.3, longitude=29.0)  # ~33 km
        (near | far).action_done()
        self._generate()
        self.assertEqual(near.settlement_line_ids.amount_travel, 5.0)
        self.assertEqual(far.settlement_line_ids.amount_travel, 15.0)

    # Lines

    def test_lines_only_for_eligible_work_and_only_once(self):
        done = self._done()
        running = self._order_in_state("in_progress")
        awaiting = self._awaiting_install()
        self.type_repair.qc_required = True
        unchecked = self._repair_in_progress()
        self._generate()
        self._generate()
        self.assertEqual(len(done.settlement_line_ids), 1)
        for order in (running, awaiting, unchecked):
            self.assertFalse(order.settlement_line_ids, order.state)
        lines = self.env["aftersales.settlement.line"].search(
            [("order_id", "in", (done | running | awaiting | unchecked).ids)]
        )
        self.assertEqual(lines.order_id, done)

    def _awaiting_install(self):
        return self._order_in_state(
            "awaiting_approval", service_type_id=self.type_install.id
        )

    def test_cancel_or_return_after_settlement_reverses_in_the_next(self):
        order = self._done()
        self._generate()
        first = order.settlement_line_ids.settlement_id
        first.with_user(self.user_accountant).action_approve()
        with freeze_time("2026-12-03 09:00:00"):
            order.action_return("Fault came back within a week")
            self._generate()
            self._generate()
        reversal = order.settlement_line_ids.filtered(
            lambda line: line.kind == "reversal"
        )
        self.assertEqual(len(reversal), 1, "reversed once")
        self.assertEqual(reversal.amount, -50.0)
        self.assertEqual(reversal.date, date(2026, 12, 3))
        self.assertNotEqual(reversal.settlement_id, first, "in the next settlement")
        self.assertEqual(reversal.settlement_id.date_from, date(2026, 12, 1))

    def test_settlements_per_center_and_period(self):
        nov_a1 = self._done("2026-11-03 10:00:00")
        nov_a1_bis = self._done("2026-11-28 10:00:00")
        dec_a1 = self._done("2026-12-01 08:00:00")
        nov_a2 = self._done("2026-11-05 10:00:00", center=self.center_a2)
        self._generate()
        self.assertEqual(
            nov_a1.settlement_line_ids.settlement_id,
            nov_a1_bis.settlement_line_ids.settlement_id,
        )
        november = nov_a1.settlement_line_ids.settlement_id
        self.assertEqual(
            (november.date_from, november.date_to),
            (date(2026, 11, 1), date(2026, 11, 30)),
        )
        self.assertEqual((november.line_count, november.amount_total), (2, 100.0))
        self.assertNotEqual(dec_a1.settlement_line_ids.settlement_id, november)
        self.assertNotEqual(nov_a2.settlement_line_ids.settlement_id, november)

        self.company.aftersales_settlement_period = "week"
        monday = self._done("2026-11-16 10:00:00")  # a Monday
        sunday = self._done("2026-11-22 10:00:00")
        next_monday = self._done("2026-11-23 10:00:00")
        self._generate()
        week = monday.settlement_line_ids.settlement_id
        self.assertEqual(
            (week.date_from, week.date_to), (date(2026, 11, 16), date(2026, 11, 22))
        )
        self.assertEqual(sunday.settlement_line_ids.settlement_id, week)
        self.assertNotEqual(next_monday.settlement_line_ids.settlement_id, week)

    def test_queries_do_not_grow_with_the_orders_of_a_center(self):
        def measure(when, per_center):
            for center in (self.center_a1, self.center_a2):
                for _i in range(per_center):
                    self._done(when, center=center)
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self._generate()
            return self.env.cr.sql_log_count - before

        measure("2026-08-10 10:00:00", 1)  # warms the caches (sequence, tariffs)
        few = measure("2026-09-10 10:00:00", 1)
        many = measure("2026-10-10 10:00:00", 6)
        self.assertEqual(few, many, "the same queries for 1 or 6 orders per center")

    # State machine and the vendor bill

    def test_approve_bills_the_center_and_payment_marks_it_paid(self):
        order = self._done()
        self._generate()
        settlement = order.settlement_line_ids.settlement_id
        self.assertEqual(settlement.state, "pending")
        as_accountant = settlement.with_user(self.user_accountant)
        as_accountant.action_approve()
        bill = settlement.move_id
        self.assertEqual(settlement.state, "approved")
        self.assertEqual((bill.move_type, bill.state), ("in_invoice", "posted"))
        self.assertEqual(bill.partner_id, self.center_a1.partner_id)
        self.assertEqual(bill.ref, settlement.name)
        self.assertEqual(bill.invoice_line_ids.product_id, self.settlement_product)
        self.assertEqual(bill.amount_total, 50.0)
        self.assertIn(order.name, bill.invoice_line_ids.name)

        payment = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=bill.ids)
            .create({})
            ._create_payments()
        )
        self.assertTrue(payment)
        self.assertIn(bill.payment_state, ("paid", "in_payment"))
        self.assertEqual(settlement.state, "paid")
        with self.assertRaisesRegex(UserError, "is paid"):
            as_accountant.action_reopen("Wrong amount")

    def test_bill_grouped_by_service_type(self):
        self.company.aftersales_settlement_bill_grouping = "service_type"
        self._done()
        self._done()
        self._done(service_type_id=self.type_repair.id)
        self._generate()
        settlement = self.Settlement.search([("center_id", "=", self.center_a1.id)])
        settlement.with_user(self.user_accountant).action_approve()
        lines = settlement.move_id.invoice_line_ids
        self.assertEqual(sorted(lines.mapped("price_unit")), [92.0, 100.0])

    def test_reopen_with_a_reason_cancels_the_bill(self):
        self._done()
        self._generate()
        settlement = self.Settlement.search([("center_id", "=", self.center_a1.id)])
        as_accountant = settlement.with_user(self.user_accountant)
        as_accountant.action_approve()
        bill = settlement.move_id
        with self.assertRaisesRegex(UserError, "reason"):
            as_accountant.action_reopen("  ")
        as_accountant.action_reopen("The tariff changed on the 1st")
        self.assertEqual(settlement.state, "pending")
        self.assertEqual(bill.state, "cancel")
        self.assertFalse(settlement.move_id)
        self.assertEqual(settlement.reopen_reason, "The tariff changed on the 1st")
        as_accountant.action_approve()
        self.assertEqual(settlement.move_id.state, "posted")

    def test_guards(self):
        self._done()
        self._generate()
        settlement = self.Settlement.search([("center_id", "=", self.center_a1.id)])
        for user in (self.user_center, self.user_dispatcher, self.user_manager):
            with self.assertRaises(AccessError):
                settlement.with_user(user).action_approve()
        with self.assertRaisesRegex(UserError, "only through its buttons"):
            settlement.with_user(self.user_accountant).write({"state": "paid"})
        with self.assertRaisesRegex(UserError, "Only approved"):
            settlement.with_user(self.user_accountant).action_reopen("Because")
        self.company.aftersales_settlement_product_id = False
        with self.assertRaisesRegex(UserError, "product of service center bills"):
            settlement.with_user(self.user_accountant).action_approve()

    def test_negative_settlement_makes_a_refund(self):
        order = self._done()
        self._generate()
        order.settlement_line_ids.settlement_id.with_user(
            self.user_accountant
        ).action_approve()
        with freeze_time("2026-12-02 10:00:00"):
            order.action_return("Undone")
            self._generate()
        december = order.settlement_line_ids.filtered(
            lambda line: line.kind == "reversal"
        ).settlement_id
        december.with_user(self.user_accountant).action_approve()
        self.assertEqual(december.move_id.move_type, "in_refund")
        self.assertEqual(december.move_id.amount_total, 50.0)

    # Statement and access

    def test_statement_pdf_renders(self):
        order = self._done()
        self._generate()
        settlement = order.settlement_line_ids.settlement_id
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "aftersales.report_settlement_statement", settlement.ids
        )
        html = html.decode()
        self.assertIn(settlement.name, html)
        self.assertIn(order.name, html)
        self.assertIn("TWM-0001", html)
        self.assertIn("Test Customer", html)
        pdf, kind = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf("aftersales.report_settlement_statement", settlement.ids)
        )
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))

    def test_centers_read_only_their_own_settlements(self):
        self._done()
        self._done(center=self.center_a2)
        self._generate()
        Settlement = self.Settlement.with_user(self.user_center)
        mine = Settlement.search([])
        self.assertEqual(mine.center_id, self.center_a1)
        with self.assertRaises(AccessError):
            mine.write({"name": "X"})
        lines = (
            self.env["aftersales.settlement.line"]
            .with_user(self.user_center)
            .search([])
        )
        self.assertEqual(lines.center_id, self.center_a1)
        with self.assertRaises(AccessError):
            self.Settlement.with_user(self.user_technician).search([])
        self.assertEqual(
            len(self.Settlement.with_user(self.user_dispatcher).search([])), 2
        )

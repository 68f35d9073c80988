import base64
from datetime import date

from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, HttpCase, new_test_user, tagged

from .common import AftersalesCommon, FieldCommon


@tagged("post_install", "-at_install")
class TestDeskReject(AftersalesCommon):
    """A center rejects a job with a reason code and leaves it cleanly."""

    def _reject_wizard(self, order, user):
        action = (
            order.with_user(user)
            .with_context(aftersales_transition="reject")
            .action_open_reason_wizard()
        )
        self.assertEqual(action["name"], "Reject the job")
        return Form(
            self.env["aftersales.order.reason"]
            .with_user(user)
            .with_context(**action["context"])
        )

    def test_reject_reason_code_required_and_stored(self):
        order = self._order_in_state("assigned")
        reason = self.env.ref("aftersales.reject_reason_outside_area")
        wizard = self._reject_wizard(order, self.user_center)
        # Required in the view: a field hint, never a server error.
        with self.assertRaisesRegex(AssertionError, "reject_reason_id"):
            wizard.save()
        wizard.reject_reason_id = reason
        wizard.reason = "The customer moved to Ankara"
        result = wizard.save().action_confirm()

        self.assertEqual(order.state, "new")
        self.assertEqual(order.reject_reason_id, reason)
        self.assertEqual(order.reject_reason, "The customer moved to Ankara")
        self.assertIn(self.center_a1, order.rejected_center_ids)
        self.assertIn("Outside our area", order.message_ids[:1].body)
        # Reports group rejections by their code.
        groups = self.env["aftersales.order"]._read_group(
            [("reject_reason_id", "!=", False)], ["reject_reason_id"], ["__count"]
        )
        self.assertEqual(groups, [(reason, 1)])
        self.assertEqual(reason.order_count, 1)
        self.env.flush_all()
        analysis = self.env["aftersales.order.analysis"]._read_group(
            [("order_id", "=", order.id)], ["reject_reason_id"], ["__count"]
        )
        self.assertEqual(analysis, [(reason, 1)], "the analysis groups by it")

        # The center cannot read the order any more: the client leaves it for
        # the list (replacing the breadcrumbs) with a notification.
        self.assertFalse(order.with_user(self.user_center).has_access("read"))
        self.assertEqual(result["tag"], "display_notification")
        self.assertIn(order.name, result["params"]["message"])
        self.assertIn("back to a dispatcher", result["params"]["message"])
        next_action = result["params"]["next"]
        self.assertEqual(next_action["res_model"], "aftersales.order")
        self.assertEqual(next_action["target"], "main")

    def test_reject_goes_to_another_center_message(self):
        order = self._order_in_state("assigned")
        # Set after the order is assigned: creating it would already assign it.
        self.company.aftersales_auto_assign = True
        wizard = self._reject_wizard(order, self.user_center)
        wizard.reject_reason_id = self.env.ref("aftersales.reject_reason_no_technician")
        result = wizard.save().action_confirm()
        self.assertEqual(order.center_id, self.center_a2)
        self.assertEqual(order.reject_reason, "No technician available")
        self.assertIn("goes to another center", result["params"]["message"])

    def test_action_reject_keeps_its_text_contract(self):
        order = self._order_in_state("assigned")
        order.with_user(self.user_center).action_reject("Too busy")
        self.assertEqual(order.reject_reason, "Too busy")
        self.assertFalse(order.reject_reason_id)

    def test_dispatcher_still_sees_the_order_and_stays(self):
        order = self._order_in_state("assigned")
        wizard = self._reject_wizard(order, self.user_dispatcher)
        wizard.reject_reason_id = self.env.ref("aftersales.reject_reason_other")
        result = wizard.save().action_confirm()
        self.assertEqual(
            result["params"]["next"], {"type": "ir.actions.act_window_close"}
        )

    def test_cancel_and_return_reasons_are_required_in_the_view(self):
        order = self._order_in_state("accepted")
        for transition in ("cancel", "return"):
            action = order.with_context(
                aftersales_transition=transition
            ).action_open_reason_wizard()
            wizard = Form(
                self.env["aftersales.order.reason"].with_context(**action["context"])
            )
            with self.subTest(transition=transition):
                with self.assertRaisesRegex(AssertionError, "reason"):
                    wizard.save()

    def test_reason_of_another_company_not_offered(self):
        reason_b = self.env["aftersales.reject.reason"].create(
            {"name": "Brand B only", "company_id": self.company_b.id}
        )
        Reason = self.env["aftersales.reject.reason"].with_user(self.user_center)
        self.assertNotIn(reason_b, Reason.search([]))
        with self.assertRaises(AccessError):
            reason_b.with_user(self.user_center).check_access("read")


@tagged("post_install", "-at_install")
class TestDeskRejectTour(HttpCase, AftersalesCommon):
    def test_center_rejects_and_lands_on_the_list(self):
        self.product.name = "Desk Tour Fridge"
        order = self._order_in_state("assigned")
        self.start_tour(
            "/odoo", "desk_center_reject_tour", login=self.user_center.login
        )
        self.assertEqual(order.state, "new")
        self.assertEqual(
            order.reject_reason_id,
            self.env.ref("aftersales.reject_reason_outside_area"),
        )
        self.assertEqual(order.reject_reason, "The customer moved to Ankara")


class DeskSettlementCommon(AftersalesCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["aftersales.tariff"].create({"name": "Any work", "amount": 50.0})
        product = cls.env["product.product"].create(
            {"name": "Desk Center Fee", "type": "service", "supplier_taxes_id": False}
        )
        cls.company.write(
            {
                "aftersales_settlement_product_id": product.id,
                "aftersales_settlement_period": "month",
            }
        )
        cls.user_accountant = new_test_user(
            cls.env,
            "as_desk_accountant",
            groups="account.group_account_invoice",
            company_id=cls.company.id,
        )
        cls.Settlement = cls.env["aftersales.settlement"]

    def _done(self, when, **vals):
        with freeze_time(when):
            return self._order_in_state("done", **vals)

    def _settle(self, when="2026-12-05 10:00:00"):
        with freeze_time(when):
            self.Settlement._generate_pending_lines()

    def _approved_settlement(self, center=None):
        order = self._done("2026-11-10 10:00:00", center=center or self.center_a1)
        self._settle()
        settlement = order.settlement_line_ids.settlement_id
        settlement.with_user(self.user_accountant).action_approve()
        self.assertEqual(settlement.state, "approved")
        return settlement


@tagged("post_install", "-at_install")
class TestDeskSettlement(DeskSettlementCommon):
    def test_center_renders_its_own_statement_not_another(self):
        own = self._approved_settlement()
        other = self._approved_settlement(center=self.center_a2)
        Report = self.env["ir.actions.report"].with_user(self.user_center)
        report = "aftersales.action_report_settlement_statement"
        html, _kind = Report._render_qweb_html(report, own.ids)
        self.assertIn(own.move_id.name, html.decode())
        self.assertIn("Not Paid", html.decode())
        with self.assertRaises(AccessError):
            Report._render_qweb_html(report, other.ids)
        # The bill itself stays out of reach.
        with self.assertRaises(AccessError):
            own.with_user(self.user_center).move_id.check_access("read")

    def test_late_line_of_approved_periods_never_goes_to_a_future_one(self):
        november = self._approved_settlement()
        december_order = self._done("2026-12-02 10:00:00")
        self._settle()
        december = december_order.settlement_line_ids.settlement_id
        december.with_user(self.user_accountant).action_approve()
        # Completed in November, settled after November and December were
        # approved, on December 5th.
        late = self._done("2026-11-28 10:00:00")
        self._settle()
        settlement = late.settlement_line_ids.settlement_id
        self.assertNotIn(settlement, november | december)
        self.assertEqual(settlement.state, "pending")
        self.assertEqual(
            (settlement.date_from, settlement.date_to),
            (date(2026, 12, 1), date(2026, 12, 31)),
            "a new settlement for the current period, not January",
        )
        # The next late line joins that pending one.
        later = self._done("2026-11-29 10:00:00")
        self._settle()
        self.assertEqual(later.settlement_line_ids.settlement_id, settlement)

    def test_late_line_goes_to_the_current_period(self):
        self._approved_settlement()
        late = self._done("2026-11-28 10:00:00")
        self._settle()
        settlement = late.settlement_line_ids.settlement_id
        self.assertEqual(settlement.date_from, date(2026, 12, 1))

    def test_approve_and_bill_asks_for_confirmation(self):
        arch = self.env.ref("aftersales.aftersales_settlement_view_form").arch
        self.assertRegex(arch, r'name="action_approve"[^>]*confirm="')


@tagged("post_install", "-at_install")
class TestDeskStatementDownload(HttpCase, DeskSettlementCommon):
    def test_center_downloads_its_statement_pdf(self):
        self.env["ir.config_parameter"].sudo().set_param("report.url", self.base_url())
        own = self._approved_settlement()
        other = self._approved_settlement(center=self.center_a2)
        self.authenticate(self.user_center.login, self.user_center.login)
        url = "/report/pdf/aftersales.report_settlement_statement/%s"
        response = self.url_open(url % own.id)
        self.assertEqual(response.status_code, 200)
        # Test mode renders the HTML the PDF is made of (no wkhtmltopdf run).
        self.assertIn(own.move_id.name.encode(), response.content)
        response = self.url_open(url % other.id)
        self.assertNotEqual(response.status_code, 200)


@tagged("post_install", "-at_install")
class TestDeskLookup(AftersalesCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.unit = cls.env["stock.lot"].create(
            {"name": "26A00011XK", "product_id": cls.product.id}
        )
        cls.owner = cls.env["res.partner"].create(
            {
                "name": "Ayşe Demir",
                "country_id": cls.country_tr.id,
                "phone": "+90 530 123 45 01",
            }
        )
        cls._create_order(
            partner_id=cls.owner.id, lot_id=cls.unit.id, center_id=cls.center_a1.id
        )

    def _lookup(self, query, user=None):
        lookup = Form(
            self.env["aftersales.unit.lookup"].with_user(user or self.user_center)
        )
        lookup.query = query
        return lookup.save()

    def test_local_phone_formats(self):
        for query in ("0530 123 45 01", "05301234501", "+90 530 123 45 01"):
            with self.subTest(query=query):
                self.assertEqual(self._lookup(query).lot_ids, self.unit)

    def test_local_phone_in_a_company_of_another_country(self):
        # The review's demo company was in the United States.
        self.company.country_id = self.env.ref("base.us")
        self.assertEqual(self._lookup("0530 123 45 01").lot_ids, self.unit)

    def test_partial_serial(self):
        self.assertEqual(self._lookup("26A00011").lot_ids, self.unit)
        self.assertEqual(self._lookup("a00011x").lot_ids, self.unit)
        self.assertFalse(self._lookup("26A").lot_ids, "too short to guess")

    def test_nothing_found_offers_to_register(self):
        lookup = self._lookup("ZZ-NOTHING-9")
        self.assertTrue(lookup.found_nothing)
        self.assertEqual(lookup.display_name, "Find a Unit")
        action = lookup.with_user(self.user_dispatcher).action_register_request()
        self.assertEqual(action["res_model"], "aftersales.order.intake")
        self.assertEqual(action["context"], {"default_units": "ZZ-NOTHING-9"})
        phone = self._lookup("0555 000 00 00")
        self.assertTrue(phone.found_nothing)
        self.assertEqual(
            phone.action_register_request()["context"],
            {"default_phone": "0555 000 00 00"},
        )
        self.assertFalse(self._lookup("26A00011").found_nothing)
        self.assertFalse(self._lookup("").found_nothing)

    def test_unit_card_new_work_order(self):
        lot = self.unit.with_user(self.user_center)
        card = lot.action_aftersales_open_unit()
        view = self.env["ir.ui.view"].browse(card["views"][0][0])
        self.assertIn('edit="0"', view.arch)
        self.assertIn("action_aftersales_new_order", view.arch)
        action = lot.action_aftersales_new_order()
        order = Form(
            self.env["aftersales.order"]
            .with_user(self.user_center)
            .with_context(**action["context"])
        )
        self.assertEqual(order.lot_id, self.unit)
        self.assertEqual(order.partner_id, self.owner)
        self.assertEqual(order.product_id, self.product)

    def test_lookup_opens_as_a_dialog(self):
        action = self.env.ref("aftersales.aftersales_unit_lookup_action")
        self.assertEqual(action.target, "new")


@tagged("post_install", "-at_install")
class TestDeskUnitWarnings(AftersalesCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_customer = cls.env["res.partner"].create({"name": "Fatma Yıldız"})
        wtype = cls.env["aftersales.warranty.type"].create({"name": "Desk 2y"})
        cls.owned = cls.env["stock.lot"].create(
            {"name": "DESK-OWNED-1", "product_id": cls.product.id}
        )
        cls.env["aftersales.warranty"].create(
            {
                "lot_id": cls.owned.id,
                "partner_id": cls.customer.id,
                "warranty_type_id": wtype.id,
                "card_number": "WC-DESK-1",
            }
        )

    def test_serial_of_another_customer_warns(self):
        form = Form(self.env["aftersales.order"].with_user(self.user_dispatcher))
        form.partner_id = self.other_customer
        form.product_id = self.product
        with self.assertLogs("odoo.tests.form.onchange", "WARNING") as logs:
            form.lot_id = self.owned
        self.assertIn("belongs to another customer: Test Customer", logs.output[0])

    def test_serial_with_an_open_order_warns(self):
        open_order = self._order_in_state("assigned", lot_id=self.owned.id)
        form = Form(self.env["aftersales.order"].with_user(self.user_dispatcher))
        form.partner_id = self.customer
        form.product_id = self.product
        with self.assertLogs("odoo.tests.form.onchange", "WARNING") as logs:
            form.lot_id = self.owned
        self.assertIn(open_order.name, logs.output[0])
        self.assertNotIn("another customer", logs.output[0])

    def test_own_serial_no_warning(self):
        form = Form(self.env["aftersales.order"].with_user(self.user_dispatcher))
        form.partner_id = self.customer
        form.product_id = self.product
        with self.assertNoLogs("odoo.tests.form.onchange", "WARNING"):
            form.lot_id = self.owned

    def test_customer_serials_first_in_the_dropdown(self):
        Lot = self.env["stock.lot"].with_user(self.user_dispatcher)
        domain = [("product_id", "=", self.product.id)]
        self.env["stock.lot"].create(
            {"name": "AAA-FIRST-BY-NAME", "product_id": self.product.id}
        )
        plain = [name for _id, name in Lot.name_search("", domain)]
        self.assertNotEqual(plain[0], "DESK-OWNED-1")
        ordered = [
            name
            for _id, name in Lot.with_context(
                aftersales_owner_first=self.customer.id
            ).name_search("", domain)
        ]
        self.assertEqual(ordered[0], "DESK-OWNED-1")
        self.assertEqual(sorted(ordered), sorted(plain), "the same serials")

    def _intake(self, units, **values):
        form = Form(self.env["aftersales.order.intake"].with_user(self.user_dispatcher))
        form.service_type_id = self.type_maintenance
        for name, value in values.items():
            setattr(form, name, value)
        form.units = units
        return form.save()

    def test_register_requests_warns_of_another_owner(self):
        wizard = self._intake("WC-DESK-1", partner_id=self.other_customer)
        self.assertEqual(wizard.line_ids.status, "ok")
        self.assertEqual(wizard.line_ids.warning, "Belongs to Test Customer")
        self.assertEqual(wizard.display_name, "Register Requests")
        mine = self._intake("WC-DESK-1", partner_id=self.customer)
        self.assertFalse(mine.line_ids.warning)

    def test_register_requests_registers_the_valid_rows(self):
        open_order = self._order_in_state("assigned", lot_id=self.lot.id)
        wizard = self._intake(
            f"DESK-OWNED-1\tNoise\nNO-SUCH-9\n{self.lot.name}",
            partner_id=self.customer,
        )
        self.assertTrue(wizard.register_valid_rows, "the default")
        result = wizard.action_confirm()
        self.assertEqual(result["tag"], "display_notification")
        params = result["params"]
        self.assertEqual(params["title"], "1 registered, 2 not registered")
        self.assertIn("NO-SUCH-9: no serial number", params["message"])
        self.assertIn(f"already open as {open_order.name}", params["message"])
        orders = self.env["aftersales.order"].search(params["next"]["domain"])
        self.assertEqual(orders.lot_id, self.owned)
        self.assertEqual(params["next"]["name"], "Registered Work Orders")

    def test_register_requests_all_unknown_is_refused(self):
        wizard = self._intake("NO-SUCH-9", partner_id=self.customer)
        with self.assertRaisesRegex(UserError, "NO-SUCH-9"):
            wizard.action_confirm()


@tagged("post_install", "-at_install")
class TestDeskLinks(FieldCommon):
    def test_partner_smart_buttons_as_dispatcher(self):
        company = self.env["res.partner"].create(
            {"name": "Desk Holding", "is_company": True}
        )
        self.customer.parent_id = company
        self._create_order()
        self._create_order()
        other = self.env["res.partner"].create({"name": "Nobody"})
        partners = (self.customer | company | other).with_user(self.user_dispatcher)
        warranties = self.env["aftersales.warranty"].search_count(
            [("partner_id", "=", self.customer.id)]
        )

        def measure(records):
            records.invalidate_recordset(
                ["aftersales_order_count", "aftersales_warranty_count"]
            )
            before = self.env.cr.sql_log_count
            counts = [
                (p.aftersales_order_count, p.aftersales_warranty_count) for p in records
            ]
            return counts, self.env.cr.sql_log_count - before

        measure(partners)  # warms the caches (rules, groups)
        _counts, one = measure(partners[:1])
        counts, three = measure(partners)
        self.assertEqual(one, three, "grouped counts: the same queries for 3")
        self.assertEqual(
            counts,
            [(2, warranties), (2, warranties), (0, 0)],
            "a company counts its contacts",
        )
        action = partners[0].action_view_aftersales_orders()
        self.assertEqual(
            self.env["aftersales.order"]
            .with_user(self.user_dispatcher)
            .search_count(action["domain"]),
            2,
        )
        arch = self.env["res.partner"].get_view(
            self.env.ref("base.view_partner_form").id
        )["arch"]
        self.assertIn("action_view_aftersales_orders", arch)
        self.assertIn("action_view_aftersales_warranties", arch)

    def test_invoice_lines_name_the_order_and_serial(self):
        order = self._repair_in_progress()
        self._add_part(order, self.part_belt, quantity=2, coverage="charged")
        order.action_done()
        order.with_user(self.user_dispatcher).action_create_invoices()
        names = order.invoice_ids.invoice_line_ids.mapped("name")
        self.assertTrue(names)
        for name in names:
            self.assertTrue(
                name.startswith(
                    f"{order.name} – {self.product.name} (serial {self.lot.name}) – "
                ),
                name,
            )


IMPORT_HEADER = "serial,product,customer,start_date,warranty_type,card_number\n"


class DeskImportCommon(AftersalesCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product.default_code = "TWM"
        wtype = cls.env["aftersales.warranty.type"].create(
            {"name": "Desk Import 2y", "duration": 2}
        )
        cls.product.product_tmpl_id.aftersales_warranty_type_id = wtype

    def _checked_import(self):
        content = IMPORT_HEADER + (
            "DSK-1,TWM,Test Customer,2026-01-15,,\nDSK-2,TWM,Test Customer,,,\n"
        )
        job = (
            self.env["aftersales.warranty.import"]
            .with_user(self.user_dispatcher)
            .create({"name": "desk.csv", "file": base64.b64encode(content.encode())})
        )
        job.action_check()
        return job


@tagged("post_install", "-at_install")
class TestDeskImportLinks(DeskImportCommon):
    def test_import_links_to_the_warranties_it_created(self):
        older = self.env["aftersales.warranty"].search([])
        job = self._checked_import()
        self.assertEqual(job.warranty_count, 0)
        job.action_import()
        job._import_queued(lambda processed, remaining: True)
        created = self.env["aftersales.warranty"].search([]) - older
        self.assertEqual(len(created), 2)
        self.assertEqual(job.warranty_ids, created)
        self.assertEqual(job.warranty_count, 2)
        action = job.action_view_warranties()
        self.assertEqual(
            self.env["aftersales.warranty"]
            .with_user(self.user_dispatcher)
            .search(action["domain"]),
            created,
        )

    def test_warranty_search_starts_with_the_serial(self):
        view = self.env.ref("aftersales.aftersales_warranty_view_search")
        first = etree.fromstring(view.arch).find(".//field")
        self.assertEqual(first.get("name"), "lot_id")


@tagged("post_install", "-at_install")
class TestDeskImportProgressTour(HttpCase, DeskImportCommon):
    def test_import_form_follows_the_import(self):
        job = self._checked_import()
        job.action_import()
        self.assertEqual(job.state, "queued")
        self.start_tour(
            f"/odoo/action-aftersales.aftersales_warranty_import_action/{job.id}",
            "desk_warranty_import_progress_tour",
            login="admin",
        )


@tagged("post_install", "-at_install")
class TestDeskLookupTour(HttpCase, AftersalesCommon):
    def test_find_a_unit_in_the_browser(self):
        unit = self.env["stock.lot"].create(
            {"name": "26A00011XK", "product_id": self.product.id}
        )
        self._create_order(lot_id=unit.id, center_id=self.center_a1.id)
        self.start_tour("/odoo", "desk_unit_lookup_tour", login="as_dispatcher")

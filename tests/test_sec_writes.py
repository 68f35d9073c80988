"""Security review 2026-12-01, findings F2, F8, F17, F18, F19 and F1(c): what
money, SLAs and routing rest on is not writable by the people it measures, and
users read only what is theirs."""

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.mail.tools.discuss import Store

from .common import AftersalesCommon, SmsCommon

ATTACKER_PHONE = "+905559990099"


class SecWritesCommon(AftersalesCommon):
    """A second customer served by Center A2 with a unit under warranty, a
    sale line of that customer, and a staff user of Center A2."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_customer = cls.env["res.partner"].create(
            {
                "name": "Ankara Customer",
                "street": "Kızılay 5",
                "city": "Ankara",
                "state_id": cls.state_ankara.id,
                "country_id": cls.country_tr.id,
                "phone": "+905301119999",
                "email": "ankara@example.com",
            }
        )
        cls.other_lot = cls.env["stock.lot"].create(
            {"name": "TWM-0002", "product_id": cls.product.id}
        )
        cls.other_product = cls.env["product.product"].create(
            {"name": "Test Dryer", "type": "consu"}
        )
        cls.sale = cls.env["sale.order"].create(
            {
                "partner_id": cls.other_customer.id,
                "order_line": [Command.create({"product_id": cls.product.id})],
            }
        )
        cls.user_center_a2 = new_test_user(
            cls.env,
            "as_center_a2",
            groups="aftersales.group_center_user",
            company_id=cls.company.id,
        )
        cls.center_a2.user_ids = cls.user_center_a2
        cls.warranty_type = cls.env["aftersales.warranty.type"].create(
            {
                "name": "Sec 2 years",
                "duration": 2,
                "duration_unit": "year",
                "extension_allowed": True,
                "max_extension_months": 24,
            }
        )
        cls.other_warranty = cls.env["aftersales.warranty"].create(
            {
                "lot_id": cls.other_lot.id,
                "partner_id": cls.other_customer.id,
                "warranty_type_id": cls.warranty_type.id,
            }
        )
        cls.other_warranty.action_activate()
        cls.other_order = cls._order_in_state(
            "accepted",
            center=cls.center_a2,
            technician=cls.technician_a2,
            partner_id=cls.other_customer.id,
            lot_id=cls.other_lot.id,
        )

    def _forbidden_order_vals(self):
        """Each write the report made as technician and center staff."""
        return [
            {"phone": ATTACKER_PHONE},
            {"partner_id": self.other_customer.id},
            {"address_id": self.other_customer.id},
            {"lot_id": self.other_lot.id},
            {"product_id": self.other_product.id, "lot_id": False},
            {"latitude": 39.92, "longitude": 32.85},
            {"sale_line_id": self.sale.order_line.id},
            {"access_token": "attacker-chosen-token"},
            {"user_id": self.user_technician.id},
            {"channel": "phone"},
            {"priority": "2"},
            {"needs_dispatch": True},
        ]


# ----------------------------------------------------------------------
# F2: business-critical order fields
# ----------------------------------------------------------------------


@tagged("post_install", "-at_install")
class TestOrderWriteWhitelist(SecWritesCommon):
    def test_f2_technician_writes_no_protected_field(self):
        order = self._order_in_state("accepted")
        before = order.read()[0]
        as_technician = order.with_user(self.user_technician)
        for vals in [
            *self._forbidden_order_vals(),
            {"technician_id": self.technician_a1_bis.id},
        ]:
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                as_technician.write(vals)
        order.invalidate_recordset()
        after = order.read()[0]
        for fname in ("phone", "partner_id", "lot_id", "latitude", "technician_id"):
            self.assertEqual(after[fname], before[fname], fname)
        self.assertFalse(order.sale_line_id)

    def test_f2_center_user_writes_no_protected_field(self):
        order = self._order_in_state("accepted")
        as_center = order.with_user(self.user_center)
        for vals in self._forbidden_order_vals():
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                as_center.write(vals)
        self.assertEqual(order.phone, self.customer.phone)

    def test_f2_refusal_names_the_fields(self):
        order = self._order_in_state("accepted").with_user(self.user_technician)
        with self.assertRaisesRegex(AccessError, "Phone"):
            order.write({"phone": ATTACKER_PHONE, "description": "<p>x</p>"})

    def test_f2_job_fields_stay_writable(self):
        order = self._order_in_state("accepted")
        order.with_user(self.user_technician).write(
            {"description": "<p>Noise at spin</p>"}
        )
        as_center = order.with_user(self.user_center)
        as_center.write(
            {
                "technician_id": self.technician_a1_bis.id,
                "scheduled_date": "2026-12-20 09:00:00",
                "scheduled_duration": 2.0,
                "handed_in_by": "The neighbour",
            }
        )
        self.assertEqual(order.technician_id, self.technician_a1_bis)
        self.assertEqual(str(order.scheduled_date), "2026-12-20 09:00:00")
        # Dispatchers keep writing the order as before.
        order.with_user(self.user_dispatcher).write(
            {"phone": "+905301112244", "priority": "1", "latitude": 41.0}
        )
        self.assertEqual(order.priority, "1")

    def test_f2_whitelists_are_overridable_hooks(self):
        Order = self.env["aftersales.order"]
        technician = Order._get_writable_fields_technician()
        center = Order._get_writable_fields_center()
        self.assertIsInstance(technician, (set, frozenset))
        self.assertIn("description", technician)
        self.assertNotIn("phone", technician)
        self.assertNotIn("technician_id", technician)
        self.assertLessEqual(technician, center)
        self.assertIn("technician_id", center)
        self.assertFalse(center & {"phone", "partner_id", "latitude", "user_id"})

    def test_f2_scheduled_date_frozen_once_work_started(self):
        running = self._order_in_state("in_progress")
        with self.assertRaises(UserError):
            running.with_user(self.user_center).write(
                {"scheduled_date": "2026-12-01 08:30:00"}
            )
        running.with_user(self.user_dispatcher).write(
            {"scheduled_date": "2026-12-01 08:30:00"}
        )
        done = self._order_in_state("done")
        for user in (self.user_center, self.user_dispatcher, self.user_manager):
            with self.subTest(user=user.login), self.assertRaises(UserError):
                done.with_user(user).write({"scheduled_date": "2026-12-01 08:30:00"})
        # The state machine (superuser) is not bound by it.
        done.write({"scheduled_date": "2026-12-01 08:30:00"})

    def test_f2_sale_line_cannot_be_linked(self):
        order = self._order_in_state("accepted").with_user(self.user_technician)
        with self.assertRaises(AccessError):
            order.write({"sale_line_id": self.sale.order_line.id})
        self.assertFalse(order.sale_order_id)

    def test_f2_center_user_creates_no_sale_link(self):
        Order = self.env["aftersales.order"].with_user(self.user_center)
        with self.assertRaises(AccessError):
            Order.create(
                {
                    "partner_id": self.customer.id,
                    "product_id": self.product.id,
                    "service_type_id": self.type_maintenance.id,
                    "center_id": self.center_a1.id,
                    "sale_line_id": self.sale.order_line.id,
                }
            )

    def test_f2_center_user_creates_with_the_customers_own_phone_and_position(self):
        """Creating is writing: what a center user may not write on an order
        they may not give a new one either (review of the merged fixes)."""
        Order = self.env["aftersales.order"].with_user(self.user_center)
        vals = {
            "partner_id": self.customer.id,
            "product_id": self.product.id,
            "service_type_id": self.type_maintenance.id,
            "center_id": self.center_a1.id,
        }
        for fname, value in (
            ("phone", "+905559990099"),
            ("latitude", 39.92),
            ("longitude", 32.85),
            ("user_id", self.user_center.id),
            ("channel", "sale"),
        ):
            with self.subTest(fname), self.assertRaises(AccessError):
                Order.create(dict(vals, **{fname: value}))
        order = Order.create(vals)
        self.assertEqual(order.sudo().phone, self.customer.phone)


@tagged("post_install", "-at_install")
class TestTravelBandInflation(SecWritesCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["aftersales.tariff"].create(
            {
                "name": "Sec bands",
                "amount": 400.0,
                "travel_mode": "band",
                "band_ids": [
                    Command.create({"km_from": 0, "km_to": 15, "amount": 40.0}),
                    Command.create({"km_from": 15, "amount": 90.0}),
                ],
            }
        )
        cls.company.aftersales_settlement_product_id = cls.env[
            "product.product"
        ].create({"name": "Sec Center Fee", "type": "service"})
        cls.center_a1.write({"latitude": 40.97, "longitude": 29.07})

    def test_f2_coordinates_of_done_order_are_frozen(self):
        order = self._order_in_state("done", latitude=40.98, longitude=29.06)
        for user in (self.user_technician, self.user_center, self.user_dispatcher):
            with self.subTest(user=user.login), self.assertRaises(UserError):
                order.with_user(user).write({"latitude": 39.92, "longitude": 32.85})
        self.env["aftersales.settlement"]._generate_pending_lines()
        self.assertEqual(order.settlement_line_ids.amount_travel, 40.0)


@tagged("post_install", "-at_install")
class TestApprovalSmsHijack(SmsCommon):
    def test_f1c_phone_rewrite_cannot_redirect_the_approval_sms(self):
        order = self._order_in_state(
            "in_progress", service_type_id=self.type_install.id
        )
        as_technician = order.with_user(self.user_technician)
        with self.assertRaises(AccessError):
            as_technician.write({"phone": ATTACKER_PHONE})
        as_technician.action_request_approval()
        numbers = set(self._order_sms(order).mapped("number"))
        self.assertIn(self.CUSTOMER_PHONE, numbers)
        self.assertNotIn(ATTACKER_PHONE, numbers)
        self.assertEqual(order.customer_phone_e164, self.CUSTOMER_PHONE)


# ----------------------------------------------------------------------
# F8: technicians and centers
# ----------------------------------------------------------------------


@tagged("post_install", "-at_install")
class TestTechnicianCenterMoves(SecWritesCommon):
    def test_f8_center_user_cannot_move_a_technician_to_another_center(self):
        with self.assertRaises(AccessError):
            self.technician_a1_bis.with_user(self.user_center).write(
                {"center_id": self.center_a2.id}
            )
        self.assertEqual(self.technician_a1_bis.center_id, self.center_a1)

    def test_f8_center_user_cannot_move_themselves(self):
        Technician = self.env["aftersales.technician"].with_user(self.user_center)
        planted = Technician.create(
            {
                "name": "Planted",
                "center_id": self.center_a1.id,
                "user_id": self.user_center.id,
            }
        )
        with self.assertRaises(AccessError):
            planted.write({"center_id": self.center_a2.id})
        with self.assertRaises(AccessError):
            self.center_a2.with_user(self.user_center).read(["name"])

    def test_f8_center_user_cannot_hand_a_technician_to_another_center(self):
        with self.assertRaises(AccessError):
            self.technician_a1_bis.with_user(self.user_center).write(
                {"user_id": self.user_center_a2.id}
            )
        self.assertFalse(self.technician_a1_bis.user_id)
        order = self._order_in_state("accepted", technician=self.technician_a1_bis)
        with self.assertRaises(AccessError):
            order.with_user(self.user_center_a2).read(["name"])

    def test_f8_center_user_may_give_a_free_user(self):
        free = new_test_user(
            self.env,
            "as_free_tech",
            groups="aftersales.group_technician",
            company_id=self.company.id,
        )
        self.technician_a1_bis.with_user(self.user_center).write({"user_id": free.id})
        self.assertEqual(self.technician_a1_bis.user_id, free)

    def test_f8_dispatcher_moves_technicians(self):
        self.technician_a1_bis.with_user(self.user_dispatcher).write(
            {"center_id": self.center_a2.id}
        )
        self.assertEqual(self.technician_a1_bis.center_id, self.center_a2)

    def test_f8_archived_technician_loses_access(self):
        order = self._order_in_state(
            "accepted", partner_id=self.other_customer.id, lot_id=self.other_lot.id
        )
        media = self.env["aftersales.order.media"].create(
            {
                "order_id": order.id,
                "name": "p.png",
                "file": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNk"
                "YAAAAAYAAjCB0C8AAAAASUVORK5CYII=",
            }
        )
        self.technician_a1.active = False
        user = self.user_technician
        env = self.env(user=user)
        self.assertFalse(env["aftersales.order"].search([]))
        self.assertFalse(env["aftersales.order"]._technician_app_orders(user))
        self.assertFalse(env["aftersales.center"].search([]))
        self.assertFalse(env["aftersales.warranty"].search([]))
        self.assertFalse(env["aftersales.order.media"].search([]))
        self.assertFalse(
            env["stock.location"].search(
                [("aftersales_center_id", "=", self.center_a1.id)]
            )
        )
        for record in (order, self.center_a1, media, self.other_customer):
            with self.subTest(record=record), self.assertRaises(AccessError):
                record.with_user(user).read(["display_name"])

    def test_f8_center_staff_cannot_restore_an_archived_technician(self):
        """Archiving takes access away; the center must not give it back."""
        self.technician_a1.active = False
        technician = self.technician_a1.with_user(self.user_center)
        with self.assertRaises(AccessError):
            technician.write({"active": True})
        self.assertFalse(self.technician_a1.active)
        self.technician_a1.with_user(self.user_dispatcher).write({"active": True})
        self.assertTrue(self.technician_a1.active)
        # Archiving stays the center's own call.
        technician.write({"active": False})
        self.assertFalse(self.technician_a1.active)


@tagged("post_install", "-at_install")
class TestArchivedTechnicianApp(HttpCase, AftersalesCommon):
    def test_f8_archived_technician_gets_no_jobs(self):
        self._order_in_state("accepted")
        self.authenticate("as_tech_a1", "as_tech_a1")
        data = self.url_open("/my/technician/orders.json").json()
        self.assertEqual(len(data["orders"]), 1)
        self.technician_a1.active = False
        data = self.url_open("/my/technician/orders.json").json()
        self.assertEqual(data["orders"], [])


# ----------------------------------------------------------------------
# F17: warranty workflow
# ----------------------------------------------------------------------


@tagged("post_install", "-at_install")
class TestWarrantyGuards(SecWritesCommon):
    def test_f17_dispatcher_cannot_write_workflow_fields(self):
        warranty = self.other_warranty.with_user(self.user_dispatcher)
        end = warranty.date_end
        for vals in [
            {"state": "draft"},
            {"state": "void"},
            {"extension_months": 120},
            {"void_reason": "Tampered seal"},
            {"date_start": "2030-01-01"},
            {"date_end": "2035-11-30"},
            {"dealer_id": self.other_customer.id},
            {"warranty_type_id": self.warranty_type.copy().id},
        ]:
            with self.subTest(vals=vals), self.assertRaises(UserError):
                warranty.write(vals)
        self.assertEqual(warranty.date_end, end)
        self.assertEqual(warranty.extension_months, 0)

    def test_f17_actions_still_work_within_limits(self):
        warranty = self.other_warranty.with_user(self.user_dispatcher)
        warranty.action_extend(12)
        self.assertEqual(warranty.extension_months, 12)
        with self.assertRaises(UserError):
            warranty.action_extend(120)
        self.assertEqual(warranty.extension_months, 12)
        warranty.action_void("Unit returned")
        self.assertEqual(
            (warranty.state, warranty.void_reason), ("void", "Unit returned")
        )

    def test_f17_dispatcher_creates_drafts_and_starts_them(self):
        Warranty = self.env["aftersales.warranty"].with_user(self.user_dispatcher)
        vals = {
            "lot_id": self.lot.id,
            "partner_id": self.customer.id,
            "warranty_type_id": self.warranty_type.id,
        }
        for forged in (
            {"state": "active"},
            {"extension_months": 120},
            {"dealer_id": self.other_customer.id},
        ):
            with self.subTest(vals=forged), self.assertRaises(UserError):
                Warranty.create({**vals, **forged})
        warranty = Warranty.create(vals)
        warranty.write({"date_start": "2026-01-01"})  # a draft is still edited
        warranty.action_activate()
        self.assertEqual(warranty.state, "active")

    def test_f17_technician_cannot_run_warranty_actions(self):
        warranty = self.other_warranty.with_user(self.user_technician_a2)
        with self.assertRaises(AccessError):
            warranty.action_extend(6)
        with self.assertRaises(AccessError):
            warranty.action_void("Not theirs")


# ----------------------------------------------------------------------
# F18: portal users read internal order fields
# ----------------------------------------------------------------------

INTERNAL_FIELDS = [
    "assignment_log",
    "assignment_explanation",
    "assignment_rule_id",
    "approval_code",
    "sla_policy_id",
    "sla_deadline",
    "sla_status",
    "sla_accept_deadline",
    "user_id",
    "needs_dispatch",
    "rejected_center_ids",
    "reject_reason",
    "customer_rejected",
    "date_work_resumed",
    "first_time_fix",
    "approval_outcome",
    "service_duration",
    "customer_phone_e164",
    "latitude",
]


@tagged("post_install", "-at_install")
class TestPortalInternalFields(SecWritesCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_portal = cls._create_portal_user("sec_cust", cls.customer)
        cls.dealer, _clerk, cls.user_dealer = cls._create_dealer(
            "sec_dealer", "Sec Dealer", "Dealer Desk"
        )
        cls.order = cls._order_in_state("accepted", dealer_id=cls.dealer.id)

    def test_f18_portal_users_read_no_internal_field(self):
        for user in (self.user_portal, self.user_dealer):
            order = self.order.with_user(user)
            visible = order.read(["name", "state", "center_id", "scheduled_date"])
            self.assertEqual(visible[0]["name"], self.order.name)
            for fname in INTERNAL_FIELDS:
                with (
                    self.subTest(user=user.login, field=fname),
                    self.assertRaises(AccessError),
                ):
                    order.read([fname])
            self.assertFalse(set(INTERNAL_FIELDS) & set(order.fields_get()))

    def test_f18_internal_users_still_read_them(self):
        values = self.order.with_user(self.user_technician).read(INTERNAL_FIELDS)
        self.assertEqual(values[0]["assignment_log"]["mode"], "manual")


# ----------------------------------------------------------------------
# F19: the address book and the units
# ----------------------------------------------------------------------


@tagged("post_install", "-at_install")
class TestAddressBook(SecWritesCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.order = cls._order_in_state("accepted")
        cls.token = cls.other_lot._aftersales_ensure_qr_token()[cls.other_lot.id]

    def _partners(self, user, partners):
        return (
            self.env["res.partner"].with_user(user).search([("id", "in", partners.ids)])
        )

    def test_f19_technician_reads_own_customers_only(self):
        partners = self.customer | self.other_customer
        self.assertEqual(self._partners(self.user_technician, partners), self.customer)
        with self.assertRaises(AccessError):
            self.other_customer.with_user(self.user_technician).read(["phone"])
        self.assertEqual(
            self._partners(self.user_technician_a2, partners), self.other_customer
        )

    def test_f19_center_staff_read_their_centers_customers(self):
        partners = self.customer | self.other_customer
        self.assertEqual(self._partners(self.user_center, partners), self.customer)
        self.assertEqual(
            self._partners(self.user_center_a2, partners), self.other_customer
        )

    def test_f19_colleagues_companies_and_centers_stay_readable(self):
        needed = (
            self.user_dispatcher.partner_id
            | self.user_technician_a2.partner_id
            | self.company.partner_id
            | self.center_a1.partner_id
        )
        self.assertEqual(self._partners(self.user_technician, needed), needed)

    def test_f19_groups_that_need_the_address_book_see_it(self):
        partners = self.customer | self.other_customer
        self.assertEqual(self._partners(self.user_dispatcher, partners), partners)
        for group in (
            "sales_team.group_sale_salesman",
            "stock.group_stock_user",
            "account.group_account_invoice",
        ):
            user = new_test_user(
                self.env,
                f"sec_{group.split('.')[1]}",
                groups=f"aftersales.group_technician,{group}",
                company_id=self.company.id,
            )
            with self.subTest(group=group):
                self.assertEqual(self._partners(user, partners), partners)

    def test_f19_technician_reads_own_units_only(self):
        Lot = self.env["stock.lot"].with_user(self.user_technician)
        lots = self.lot | self.other_lot
        self.assertEqual(Lot.search([("id", "in", lots.ids)]), self.lot)
        with self.assertRaises(AccessError):
            self.other_lot.with_user(self.user_technician).read(["name"])
        spare = self.env["stock.lot"].create(
            {"name": "SPARE-1", "product_id": self.other_product.id}
        )
        self.assertTrue(Lot.search([("id", "=", spare.id)]), "stock, not a unit")

    def test_f19_qr_token_for_dispatchers_only(self):
        with self.assertRaises(AccessError):
            self.other_lot.with_user(self.user_technician_a2).read(
                ["aftersales_qr_token"]
            )
        with self.assertRaises(AccessError):
            self.other_lot.with_user(self.user_center_a2).read(["aftersales_qr_url"])
        values = self.other_lot.with_user(self.user_dispatcher).read(
            ["aftersales_qr_token"]
        )
        self.assertEqual(values[0]["aftersales_qr_token"], self.token)

    def test_f19_sticker_printed_by_dispatchers_only(self):
        Report = self.env["ir.actions.report"]
        with self.assertRaises(AccessError):
            Report.with_user(self.user_technician)._render_qweb_html(
                "aftersales.report_unit_sticker", self.lot.ids
            )
        self.assertFalse(self.lot.aftersales_qr_token, "no token minted")
        html = Report.with_user(self.user_dispatcher)._render_qweb_html(
            "aftersales.report_unit_sticker", self.lot.ids
        )[0]
        self.assertIn(self.lot.aftersales_qr_token, html.decode())
        action = self.env.ref("aftersales.action_report_unit_sticker")
        self.assertEqual(action.group_ids, self.env.ref("aftersales.group_dispatcher"))

    def test_f19_chatter_and_followers_still_load(self):
        order = self.order
        order.message_subscribe(partner_ids=self.other_customer.ids)
        order.message_post(body="From a stranger", author_id=self.other_customer.id)
        as_technician = order.with_user(self.user_technician)
        as_technician.message_post(body="On my way")
        messages = (
            self.env["mail.message"]
            .with_user(self.user_technician)
            ._message_fetch(domain=None, thread=as_technician)["messages"]
        )
        result = Store().add(messages).get_result()
        self.assertIn("From a stranger", str(result))
        store = Store()
        as_technician._thread_to_store(store, [], request_list=["followers"])
        self.assertIn(self.other_customer.name, str(store.get_result()))

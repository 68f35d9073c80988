from datetime import datetime, timedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, freeze_time, tagged

from .common import AssignmentCommon, SlaCommon, SmsCommon

# A Tuesday morning, 08:00 UTC (11:00 in İstanbul).
NOW = datetime(2026, 12, 1, 8, 0)
# The next day, 07:00 UTC: 10:00 in İstanbul, 10:30 in Tehran, 08:00 in Stockholm.
TOMORROW_7_UTC = datetime(2026, 12, 2, 7, 0)


@tagged("post_install", "-at_install")
class TestUxAutoAssign(AssignmentCommon):
    """Orders are assigned as soon as they are created, and those that are
    not say why, center by center."""

    def _order_vals(self, **vals):
        return {
            "partner_id": self.bursa_customer.id,
            "product_id": self.product.id,
            "service_type_id": self.type_maintenance.id,
            **self.customer_position,
            **vals,
        }

    def test_back_office_create_assigns_at_once(self):
        order = (
            self.env["aftersales.order"]
            .with_user(self.user_dispatcher)
            .create(self._order_vals())
        )
        self.assertEqual((order.state, order.center_id), ("assigned", self.center_near))
        self.assertEqual(order.assignment_log["mode"], "engine")
        self.assertIn("Bursa Near", order.assignment_explanation)

        self.company.aftersales_auto_assign = False
        order = (
            self.env["aftersales.order"]
            .with_user(self.user_dispatcher)
            .create(self._order_vals())
        )
        self.assertEqual(order.state, "new", "the company assigns by hand")
        self.assertFalse(order.assignment_log)

    def test_register_requests_assigns_at_once(self):
        form = Form(self.env["aftersales.order.intake"].with_user(self.user_dispatcher))
        form.service_type_id = self.type_maintenance
        form.partner_id = self.bursa_customer
        form.units = self.lot.name
        action = form.save().action_confirm()
        order = self.env["aftersales.order"].search(action["domain"])
        self.assertEqual(len(order), 1)
        self.assertEqual(order.state, "assigned")
        self.assertIn(order.center_id, self.center_near | self.center_far)

    def test_order_without_country_waits_without_failing(self):
        self.bursa_customer.country_id = False
        order = (
            self.env["aftersales.order"]
            .with_user(self.user_dispatcher)
            .create(self._order_vals())
        )
        self.assertEqual(order.state, "new")
        self.assertFalse(order.needs_dispatch, "nothing to escalate yet")
        self.assertEqual(order.assignment_log["mode"], "waiting")
        self.assertIn("no country", order.assignment_explanation)

    def test_center_chosen_at_creation_that_is_full_escalates(self):
        self.center_far.capacity = 1
        self._create_bursa_order(center_id=self.center_far.id)
        order = self._create_bursa_order(center_id=self.center_far.id)
        self.assertEqual(order.state, "new", "the creation did not fail")
        self.assertTrue(order.needs_dispatch)
        self.assertIn("capacity", order.activity_ids.note)

    def test_escalation_reasons_in_the_dispatchers_language(self):
        """The reasons are translated like the sentence around them: lazy
        labels translated inside a generator found no language, stayed in
        English and logged a warning."""
        self.env["res.lang"]._activate_lang("tr_TR")
        self.center_near.service_type_ids = self.type_install
        self.center_far.capacity = 1
        self._create_bursa_order(center_id=self.center_far.id)
        orders = (
            self.env["aftersales.order"]
            .with_user(self.user_dispatcher)
            .with_context(lang="tr_TR")
        )
        with self.assertNoLogs("odoo.tools.translate", level="WARNING"):
            order = orders.create(self._order_vals())
        self.assertTrue(order.needs_dispatch)
        note = order.activity_ids.note
        self.assertIn("Bu iş emrini hiçbir servis merkezi alamıyor", note)
        self.assertIn("kapasitesi dolu", note)
        self.assertNotIn("is at its capacity", note)

    def test_escalation_says_why_per_center(self):
        self.center_near.service_type_ids = self.type_install
        self.center_far.capacity = 1
        self._create_bursa_order(center_id=self.center_far.id)
        archived = self._create_bursa_center("Bursa Archived")
        archived.active = False
        order = self._create_bursa_order()
        self.assertEqual(order.state, "new")
        self.assertTrue(order.needs_dispatch)
        reasons = {
            row["name"]: row["reason"] for row in order.assignment_log["excluded"]
        }
        self.assertEqual(
            reasons,
            {
                "Bursa Near": "service_type",
                "Bursa Far": "capacity",
                "Bursa Archived": "inactive",
                "Center A1": "area",
                "Center A2": "area",
            },
        )
        self.assertNotIn("Center B", reasons, "other companies' centers stay hidden")
        self.assertEqual(
            [row["name"] for row in order.assignment_log["excluded"][:2]],
            ["Bursa Far", "Bursa Near"],
            "what matters for this order comes first",
        )
        html = order.assignment_explanation
        self.assertIn("does not cover the address", html)
        self.assertIn("does not do this service type", html)
        self.assertIn("is at its capacity", html)
        note = order.activity_ids.note
        self.assertIn("Bursa Near does not do this service type", note)

    def test_turkish_capital_i_in_city_matches(self):
        # The review's stranded İzmir request: Python's "İzmir".lower() is
        # "i̇zmir" (i + combining dot), PostgreSQL's is "izmir".
        izmir = self.env.ref("base.state_tr_35")
        customer = self.env["res.partner"].create(
            {
                "name": "İzmir Customer",
                "city": "İzmir",
                "zip": "35040",
                "state_id": izmir.id,
                "country_id": self.country_tr.id,
            }
        )
        bornova = self._create_bursa_center(
            "Bornova",
            area_ids=[
                Command.create({"country_id": self.country_tr.id, "city": "İzmir"})
            ],
        )
        for city in ("İzmir", "IZMIR", "izmir"):
            customer.city = city
            order = self._create_order(partner_id=customer.id, lot_id=False)
            self.assertEqual(order.center_id, bornova, city)

    def _wizard(self, order):
        action = order.with_user(self.user_dispatcher).action_open_assign_wizard()
        return Form(
            self.env[action["res_model"]]
            .with_user(self.user_dispatcher)
            .with_context(**action["context"])
        )

    def test_wizard_and_tab_agree_on_score_and_distance(self):
        nowhere = self._create_bursa_center("Bursa Unknown Position")
        # Small capacities: the order's own slot would weigh in the load.
        (self.center_near | self.center_far | nowhere).capacity = 4
        order = self._create_bursa_order()
        self.assertEqual(order.state, "assigned")
        logged = {row["name"]: row for row in order.assignment_log["candidates"]}
        wizard = self._wizard(order).save()
        for line in wizard.line_ids.filtered(lambda line: not line.reason):
            name = line.center_id.name
            self.assertEqual(line.score, logged[name]["score"], name)
            self.assertEqual(
                line.distance_text,
                order._format_distance(logged[name]["distance_km"]),
                name,
            )
        unknown = wizard.line_ids.filtered(lambda line: line.center_id == nowhere)
        self.assertEqual(unknown.distance_text, "-", "never 0.0 km")
        self.assertIn("<td>-</td>", order.assignment_explanation)
        best_other = wizard.line_ids.filtered(
            lambda line: not line.reason and line.center_id != order.center_id
        )[:1]
        self.assertEqual(
            wizard.center_id, best_other.center_id, "the best other center is suggested"
        )

    def test_wizard_without_center_is_a_field_hint(self):
        self.company.aftersales_auto_assign = False
        order = self._create_bursa_order()
        form = self._wizard(order)
        form.center_id = self.env["aftersales.center"]
        with self.assertRaisesRegex(AssertionError, "center_id"):
            form.save()
        self.assertEqual(order.state, "new")

    def test_manual_assignment_keeps_the_ranking(self):
        self.company.aftersales_auto_assign = False
        order = self._create_bursa_order()
        form = self._wizard(order)
        form.center_id = self.center_far
        form.save().action_confirm()
        self.assertEqual(order.center_id, self.center_far)
        self.assertEqual(order.assignment_log["mode"], "manual")
        html = order.assignment_explanation
        self.assertIn("Assigned by hand", html)
        self.assertIn("Bursa Near", html, "how the choice compared")

    def test_bulk_assign_action(self):
        self.company.aftersales_auto_assign = False
        self.center_near.capacity = 2
        self.center_far.service_type_ids = self.type_install
        orders = self._create_bursa_order() | self._create_bursa_order()
        stuck = self._create_bursa_order()
        action = self.env.ref("aftersales.aftersales_order_action_assign_selected")
        context = {
            "active_model": "aftersales.order",
            "active_ids": (orders | stuck).ids,
        }
        with self.assertRaises(AccessError):
            action.with_user(self.user_center).with_context(**context).run()
        self.assertEqual(set((orders | stuck).mapped("state")), {"new"})

        result = action.with_user(self.user_dispatcher).with_context(**context).run()
        self.assertEqual(set(orders.mapped("state")), {"assigned"})
        self.assertEqual(stuck.state, "new")
        params = result["params"]
        self.assertEqual(params["type"], "warning")
        self.assertIn("2 assigned, 1 left to a dispatcher", params["message"])
        self.assertIn(f"{stuck.name}: No service center", params["message"])
        self.assertIn("Bursa Near is at its capacity", params["message"])


@tagged("post_install", "-at_install")
class TestUxMessageTimes(SmsCommon):
    """SMS say the time as their reader reads it, never a past appointment,
    and a technician booked twice is warned about."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for code in ("tr_TR", "fa_IR", "sv_SE"):
            cls.env["res.lang"]._activate_lang(code)
        cls.center_a1.resource_calendar_id.tz = "Europe/Istanbul"
        cls.user_technician.write({"tz": "Europe/Istanbul", "lang": "tr_TR"})
        cls.customer.write({"tz": "Asia/Tehran", "lang": "fa_IR"})

    def _bodies(self, order, number):
        return [sms.body for sms in self._order_sms(order) if sms.number == number]

    def _accepted_order(self, when):
        order = self._order_in_state(
            "accepted",
            center=self.center_a1,
            technician=self.env["aftersales.technician"],
        )
        order.scheduled_date = when
        order.with_user(self.user_center).technician_id = self.technician_a1
        return order

    @freeze_time(NOW)
    def test_technician_and_customer_read_their_own_time(self):
        order = self._accepted_order(TOMORROW_7_UTC)
        [technician_sms] = self._bodies(order, self.TECHNICIAN_MOBILE)
        self.assertIn("02.12.2026 10:00", technician_sms, "Turkish date, İstanbul")
        self.assertNotIn("GMT", technician_sms, "their own zone, the center's too")
        self.assertNotIn("AM", technician_sms)
        self.assertIn(f"/my/technician/job/{order.id}", technician_sms)
        self.assertNotIn("/mail/view", technician_sms)
        [customer_sms] = self._bodies(order, self.CUSTOMER_PHONE)
        self.assertIn(
            "2026/12/02 10:30 (GMT+3:30)", customer_sms, "Persian format, Tehran"
        )

    @freeze_time(NOW)
    def test_stockholm_technician(self):
        self.user_technician.write({"tz": "Europe/Stockholm", "lang": "sv_SE"})
        order = self._accepted_order(TOMORROW_7_UTC)
        [technician_sms] = self._bodies(order, self.TECHNICIAN_MOBILE)
        self.assertIn("2026-12-02 08:00 (CET)", technician_sms)

    @freeze_time(NOW)
    def test_technician_without_zone_reads_the_centers_named(self):
        self.user_technician.write({"tz": False, "lang": "tr_TR"})
        order = self._accepted_order(TOMORROW_7_UTC)
        [technician_sms] = self._bodies(order, self.TECHNICIAN_MOBILE)
        self.assertIn("02.12.2026 10:00 (GMT+3)", technician_sms)

    @freeze_time(NOW)
    def test_customer_is_never_told_a_past_appointment(self):
        order = self._accepted_order(NOW - timedelta(hours=2))
        [customer_sms] = self._bodies(order, self.CUSTOMER_PHONE)
        self.assertNotIn("2026/12/01", customer_sms)
        # In the customer's language (their partner's), as the SMS is.
        lang = order.partner_id.lang
        self.assertIn(
            order.with_context(lang=lang).env._(
                "the center will confirm the time with you"
            ),
            customer_sms,
        )
        [technician_sms] = self._bodies(order, self.TECHNICIAN_MOBILE)
        self.assertIn("01.12.2026 09:00", technician_sms, "the technician knows")

    @freeze_time(NOW)
    def test_sla_texts_follow_the_reader(self):
        order = self._accepted_order(TOMORROW_7_UTC)
        self.assertEqual(
            order._format_datetime_for(self.user_technician, TOMORROW_7_UTC),
            "02.12.2026 10:00",
        )
        self.assertEqual(
            order._format_datetime_for(None, TOMORROW_7_UTC),
            "12/02/2026 10:00 AM (GMT+3)",
            "no reader: the center's zone, named",
        )

    @freeze_time(NOW)
    def test_booking_a_busy_technician_warns(self):
        first = self._accepted_order(TOMORROW_7_UTC)
        second = self._order_in_state(
            "accepted",
            center=self.center_a1,
            technician=self.env["aftersales.technician"],
        )
        # The first job lasts half an hour (the maintenance's default).
        second.scheduled_date = TOMORROW_7_UTC + timedelta(minutes=15)
        form = Form(second.with_user(self.user_center))
        self.assertFalse(form.technician_clash_order_ids)
        form.technician_id = self.technician_a1
        self.assertEqual(len(form.technician_clash_order_ids), 1)
        form.save()
        self.assertEqual(second.technician_id, self.technician_a1, "a warning only")
        self.assertEqual(second.technician_clash_order_ids, first)
        self.assertTrue(
            any(
                f"Tech A1 already has {first.name}" in (message.body or "")
                for message in second.message_ids
            ),
            "a note on the chatter",
        )
        self.assertFalse(first.technician_clash_order_ids - second)
        second.scheduled_date = TOMORROW_7_UTC + timedelta(hours=3)
        self.assertFalse(second.technician_clash_order_ids, "no overlap any more")


@tagged("post_install", "-at_install")
class TestUxSlaTimes(SlaCommon):
    """The SLA warning tells each reader the deadline in their own time."""

    def test_warning_activity_in_each_readers_zone(self):
        self.env["res.lang"]._activate_lang("tr_TR")
        self.user_dispatcher.write({"tz": "Europe/Istanbul", "lang": "tr_TR"})
        self.user_center.write({"tz": "Europe/Stockholm", "lang": "en_US"})
        with freeze_time("2026-11-30 13:00:00"):  # Monday 16:00 in İstanbul
            order = self._order_in_state("accepted")
        self.assertEqual(order.sla_arrival_deadline, datetime(2026, 12, 1, 13, 0))
        with freeze_time("2026-12-01 12:00:00"):
            self._check_sla()
        summaries = {
            activity.user_id: activity.summary
            for activity in order.activity_ids.filtered(
                lambda a: (
                    a.activity_type_id
                    == self.env.ref("aftersales.mail_activity_type_sla_warning")
                )
            )
        }
        self.assertIn("01.12.2026 16:00", summaries[self.user_dispatcher])
        self.assertNotIn("GMT", summaries[self.user_dispatcher])
        self.assertIn("12/01/2026 02:00 PM (CET)", summaries[self.user_center])

"""Issue 19: the customer's side of the workshop flow outside the quotation
page: the texts (estimate, reminder, ready for pickup), the customer's SMS
replies, the approval link of an estimate, the portal page of the order, and
the cron of unanswered estimates."""

import re
import uuid
from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import Form, HttpCase, tagged

from .common import SmsCommon, WorkshopCommon

T0 = datetime(2026, 12, 1, 9, 0)


class ChannelsCommon(WorkshopCommon, SmsCommon):
    """The workshop desk with the SMS events on and an SMS gateway."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "aftersales_sms_estimate_sent": True,
                "aftersales_sms_estimate_reminder": True,
                "aftersales_sms_ready_for_pickup": True,
                "aftersales_estimate_reminder_days": 2,
                "aftersales_estimate_expiry_days": 7,
                "aftersales_approval_link_hours": 72,
            }
        )
        cls.center_a1.partner_id.write({"street": "Bağdat Caddesi 10"})
        cls.center_a1.resource_calendar_id = cls.env["resource.calendar"].create(
            {
                "name": "Desk hours",
                "company_id": cls.company.id,
                "attendance_ids": [Command.clear()]
                + [
                    Command.create(
                        {
                            "name": f"Day {day}",
                            "dayofweek": str(day),
                            "hour_from": 9.0,
                            "hour_to": 18.5,
                            "day_period": "morning",
                        }
                    )
                    for day in range(5)
                ]
                + [
                    Command.create(
                        {
                            "name": "Saturday",
                            "dayofweek": "5",
                            "hour_from": 10.0,
                            "hour_to": 14.0,
                            "day_period": "morning",
                        }
                    )
                ],
            }
        )

    def _customer_sms(self, order):
        return [
            sms.body
            for sms in self._order_sms(order)
            if sms.number == self.CUSTOMER_PHONE
        ]

    def _estimated_order(self):
        """A received unit (a serial of its own) whose estimate (a belt)
        the technician sent."""
        lot = self.env["stock.lot"].create(
            {"name": f"TWM-{uuid.uuid4().hex[:8]}", "product_id": self.product.id}
        )
        order = self._received_order(lot_id=lot.id)
        self._add_part(order, self.part_belt, user=self.user_technician)
        order.with_user(self.user_technician).action_send_estimate()
        self.assertEqual(order.workshop_state, "estimate_sent")
        return order

    def _inbound(self, text, sender=None):
        """A reply the gateway forwarded, then the inbound cron's work."""
        Inbound = self.env["aftersales.sms.inbound"]
        inbound = Inbound.browse(
            Inbound._receive(
                self.gateway,
                uuid.uuid4().hex,
                uuid.uuid4().hex,
                sender or "0530 111 22 33",
                text,
            )
        )
        Inbound._process_pending()
        return inbound


@tagged("post_install", "-at_install")
class TestWorkshopSms(ChannelsCommon):
    """What the customer of a desk reads on their phone."""

    def test_estimate_text_gives_total_link_and_reply_codes(self):
        order = self._estimated_order()
        [body] = self._customer_sms(order)
        total = order._get_approval_page_total()
        self.assertTrue(total)
        self.assertIn(f"estimated at {total}", body)
        self.assertIn(order.approval_url, body, "the approval flow's own link")
        self.assertIn(f"/aftersales/approval/{order.id}?", body)
        self.assertIn(f"YES {order.approval_code} to accept", body)
        self.assertIn(f"NO {order.approval_code} to decline", body)
        # The copy on the chatter, which desk staff read, has no token.
        message = self._order_sms(order).mail_message_id
        self.assertNotIn("access_token", message.body)
        self.assertIn("[link sent to the customer]", message.body)

    def test_estimate_text_off_for_the_company(self):
        self.company.aftersales_sms_estimate_sent = False
        order = self._estimated_order()
        self.assertFalse(self._customer_sms(order))

    def test_settings_switch_the_ready_text_off(self):
        settings = Form(self.env["res.config.settings"])
        self.assertTrue(settings.aftersales_sms_ready_for_pickup)
        settings.aftersales_sms_ready_for_pickup = False
        settings.save().execute()
        self.assertFalse(self.company.aftersales_sms_ready_for_pickup)
        self.assertTrue(self.company.aftersales_sms_estimate_sent)
        order = self._estimated_order()
        order.with_user(self.user_dispatcher).action_reject_estimate("Too dear")
        order.with_user(self.user_center).action_close_unrepaired()
        self.assertEqual(order.workshop_state, "ready")
        bodies = self._customer_sms(order)
        self.assertEqual(len(bodies), 1, "the estimate's text only")
        self.assertIn("estimated at", bodies[0])

    def test_blacklisted_customer_gets_no_estimate_text(self):
        self.env["phone.blacklist"].sudo().add(self.CUSTOMER_PHONE)
        order = self._estimated_order()
        self.assertFalse(self._customer_sms(order))
        self.assertEqual(order.workshop_state, "estimate_sent", "the flow goes on")

    def test_ready_text_gives_pickup_code_and_desk_then_rating_after_pickup(self):
        order = self._estimated_order()
        order.with_user(self.user_dispatcher).action_accept_estimate()
        if order.workshop_state == "waiting_parts":
            order.with_user(self.user_technician).action_check_parts()
        order.with_user(self.user_technician).action_finish_repair()
        self._qc_check(order, "pass")
        self.assertEqual(order.workshop_state, "ready")
        bodies = self._customer_sms(order)
        self.assertEqual(len(bodies), 2, bodies)
        ready = bodies[-1]
        self.assertIn(f"Pickup code: {order.pickup_code}", ready)
        self.assertIn("ready for pickup at Center A1, Bağdat Caddesi 10", ready)
        self.assertIn("open Mon–Fri 09:00–18:30; Sat 10:00–14:00", ready)
        self.assertNotIn("How was the service", ready, "no rating before pickup")
        # The chatter's copy, which technicians read, does not give the code.
        copy = self._order_sms(order)[-1].mail_message_id.body
        self.assertIn("[code sent to the customer]", copy)
        self.assertNotIn(order.pickup_code, copy)

        order.with_user(self.user_center).action_hand_back(order.pickup_code)
        self.assertIn("How was the service", self._customer_sms(order)[-1])

    def test_persian_customer_reads_the_desk_isolated(self):
        self.env["res.lang"]._activate_lang("fa_IR")
        self.customer.lang = "fa_IR"
        order = self._estimated_order()
        order = order.with_context(lang="fa_IR")
        self.assertTrue(order.sms_estimate_total.startswith("\u2068"))
        self.assertTrue(order.sms_estimate_total.endswith("\u2069"))
        self.customer.lang = "en_US"
        self.assertNotIn("\u2068", order.with_context(lang="en_US").sms_desk_text)


@tagged("post_install", "-at_install")
class TestWorkshopSmsReplies(ChannelsCommon, HttpCase):
    """The customer answers the estimate by text, through the gateway's
    signed webhook and the inbound cron."""

    def _post_and_apply(self, text):
        body, headers = self._signed(
            {"from": "0530 111 22 33", "text": text, "id": uuid.uuid4().hex}
        )
        response = self.url_open(
            f"/aftersales/sms/inbound/{self.gateway.inbound_token}",
            data=body,
            headers=headers,
        )
        self.assertEqual(response.status_code, 202, response.text)
        inbound = self.env["aftersales.sms.inbound"].browse(response.json()["id"])
        self.env["aftersales.sms.inbound"]._process_pending()
        return inbound

    def test_yes_accepts_the_estimate_once(self):
        order = self._estimated_order()
        inbound = self._post_and_apply(f"YES {order.approval_code}")
        self.assertEqual((inbound.outcome, inbound.order_id), ("approved", order))
        self.assertEqual(order.state, "in_progress")
        self.assertIn(order.workshop_state, ("repair", "waiting_parts"))
        approval = order.approval_ids
        self.assertEqual(
            (approval.decision, approval.channel, approval.phone),
            ("approved", "sms", self.CUSTOMER_PHONE),
        )
        # A second answer after the decision changes nothing.
        state = order.workshop_state
        again = self._post_and_apply(f"NO {order.approval_code} too dear")
        self.assertEqual(again.outcome, "not_waiting")
        self.assertEqual(order.workshop_state, state)
        self.assertEqual(len(order.approval_ids), 1)

    def test_no_declines_the_estimate_with_the_reason(self):
        order = self._estimated_order()
        inbound = self._post_and_apply(f"no {order.approval_code} too expensive")
        self.assertEqual(inbound.outcome, "rejected")
        self.assertEqual(order.workshop_state, "cost_rejected")
        self.assertEqual(order.workshop_outcome, "unrepaired")
        self.assertEqual(order.approval_ids.feedback, "too expensive")
        self.assertFalse(order.customer_rejected, "an estimate, not rejected work")

    def test_persian_reply_with_persian_digits(self):
        order = self._estimated_order()
        code = order.approval_code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
        inbound = self._post_and_apply(f"بله {code}")
        self.assertEqual(inbound.outcome, "approved")
        self.assertIn(order.workshop_state, ("repair", "waiting_parts"))

    def test_two_estimates_waiting_the_code_chooses(self):
        first = self._estimated_order()
        second = self._estimated_order()
        self.assertNotEqual(first.approval_code, second.approval_code)
        ambiguous = self._post_and_apply("YES")
        self.assertEqual(ambiguous.outcome, "ambiguous")
        self.assertEqual(
            (first.workshop_state, second.workshop_state),
            ("estimate_sent", "estimate_sent"),
        )
        self._post_and_apply(f"YES {second.approval_code}")
        self.assertEqual(first.workshop_state, "estimate_sent")
        self.assertIn(second.workshop_state, ("repair", "waiting_parts"))


@tagged("post_install", "-at_install")
class TestWorkshopApprovalLink(ChannelsCommon, HttpCase):
    """The estimate's link: a cost to accept, not finished work."""

    def _csrf(self, url):
        page = self.url_open(url)
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def _decide(self, order, token, csrf, **form):
        return self.url_open(
            f"/aftersales/approval/{order.id}/decide",
            data={"csrf_token": csrf, "access_token": token, **form},
            allow_redirects=False,
        )

    def test_page_says_estimate_and_accepting_moves_the_flow(self):
        order = self._estimated_order()
        page = self.url_open(order.get_portal_url())
        self.assertEqual(page.status_code, 200)
        self.assertIn("Cost estimate for the repair", page.text)
        self.assertIn("Accept the estimate", page.text)
        self.assertIn("Decline the estimate", page.text)
        self.assertNotIn("Approve the work", page.text)
        self.assertNotIn("Work done", page.text)
        self.assertIn(order._get_approval_page_total(), page.text)

        token = order.access_token
        csrf = self._csrf(order.get_portal_url())
        response = self._decide(order, token, csrf, decision="approve")
        self.assertEqual(response.status_code, 200)
        self.assertIn("You accepted the estimate on", response.text)
        self.assertIn(order.workshop_state, ("repair", "waiting_parts"))
        self.assertEqual(order.approval_ids.channel, "link")

        # The same link again: spent, nothing changes.
        state = order.workshop_state
        again = self._decide(order, token, csrf, decision="reject", feedback="No")
        self.assertEqual(again.status_code, 404)
        self.assertEqual(order.workshop_state, state)
        self.assertEqual(len(order.approval_ids), 1)

    def test_declining_needs_a_reason(self):
        order = self._estimated_order()
        csrf = self._csrf(order.get_portal_url())
        response = self._decide(order, order.access_token, csrf, decision="reject")
        self.assertEqual(response.status_code, 400)
        self.assertIn("why you decline the estimate", response.text)
        self.assertEqual(order.workshop_state, "estimate_sent")
        response = self._decide(
            order, order.access_token, csrf, decision="reject", feedback="Too dear"
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(order.workshop_state, "cost_rejected")

    def test_expired_link_is_refused(self):
        order = self._estimated_order()
        csrf = self._csrf(order.get_portal_url())
        order.sudo().approval_link_expiry = fields.Datetime.now() - timedelta(minutes=1)
        self.assertEqual(self.url_open(order.get_portal_url()).status_code, 410)
        response = self._decide(order, order.access_token, csrf, decision="approve")
        self.assertEqual(response.status_code, 410)
        self.assertEqual(order.workshop_state, "estimate_sent")
        self.assertFalse(order.approval_ids)

    def test_field_work_keeps_its_wording(self):
        order = self._awaiting_order()
        page = self.url_open(order.get_portal_url())
        self.assertIn("Approve the work", page.text)
        self.assertNotIn("Cost estimate", page.text)


@tagged("post_install", "-at_install")
class TestWorkshopPortalPage(ChannelsCommon, HttpCase):
    """The customer's page of their order at the desk."""

    def _ready_order(self):
        order = self._estimated_order()
        order.with_user(self.user_dispatcher).action_accept_estimate()
        if order.workshop_state == "waiting_parts":
            order.with_user(self.user_technician).action_check_parts()
        order.with_user(self.user_technician).action_finish_repair()
        self._qc_check(order, "pass")
        self.assertEqual(order.workshop_state, "ready")
        return order

    def test_customer_sees_status_and_pickup_code(self):
        order = self._ready_order()
        order.stage_id.portal_label = "Come and get it"
        self.authenticate(self.user_customer.login, self.user_customer.login)
        page = self.url_open(f"/my/service-orders/{order.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Your unit is ready for pickup", page.text)
        self.assertIn("Come and get it", page.text, "the stage's customer label")
        self.assertIn("Ready for Pickup", page.text, "the workshop status")
        self.assertIn("Ready since", page.text)
        self.assertIn("Received", page.text)
        self.assertIn(order.sudo().pickup_code, page.text)
        self.assertNotIn("Not scheduled yet", page.text, "no visit to schedule")
        listing = self.url_open("/my/service-orders")
        self.assertIn("Come and get it", listing.text)

    def test_no_pickup_code_without_the_customers_login(self):
        order = self._ready_order()
        code = order.sudo().pickup_code
        # No token opens the order outside an approval request: a shared
        # link of a ready order is refused.
        token = order.sudo()._portal_ensure_token()
        page = self.url_open(f"/my/service-orders/{order.id}?access_token={token}")
        self.assertEqual(page.status_code, 404)
        self.assertNotIn(code, page.text)
        # Whoever reads the order without being its customer gets no code.
        public = self.env.ref("base.public_user")
        info = order.sudo()._get_portal_workshop_info(public)
        self.assertTrue(info["ready"])
        self.assertFalse(info["pickup_code"])
        info = order.sudo()._get_portal_workshop_info(self.user_dispatcher)
        self.assertFalse(info["pickup_code"])
        self.assertEqual(
            order.sudo()._get_portal_workshop_info(self.user_customer)["pickup_code"],
            code,
        )

    def test_link_holder_of_an_estimate_sees_the_estimate_not_a_code(self):
        order = self._estimated_order()
        page = self.url_open(
            f"/my/service-orders/{order.id}?access_token={order.access_token}"
        )
        self.assertEqual(page.status_code, 200)
        self.assertIn("Do you accept the cost estimate?", page.text)
        self.assertIn("Estimate Sent", page.text)
        self.assertNotIn(order.sudo().pickup_code, page.text)
        self.assertNotIn("ready for pickup", page.text)

    def test_customer_accepts_on_the_portal(self):
        order = self._estimated_order()
        self.authenticate(self.user_customer.login, self.user_customer.login)
        page = self.url_open(f"/my/service-orders/{order.id}")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        response = self.url_open(
            f"/aftersales/approval/{order.id}/decide",
            data={"csrf_token": csrf, "decision": "approve", "redirect": "portal"},
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 303)
        self.assertEqual(order.approval_ids.channel, "portal")
        self.assertIn(order.workshop_state, ("repair", "waiting_parts"))


@tagged("post_install", "-at_install")
class TestWorkshopEstimateCron(ChannelsCommon):
    """Unanswered estimates: one reminder, then "no cost declared" with a
    to-do for the desk; the customer can still answer."""

    def _cron(self, batch_size=200, after_batch=None):
        calls = []

        def record(processed, remaining=None):
            calls.append((processed, remaining))
            return after_batch(processed, remaining) if after_batch else True

        self.env["aftersales.order"]._cron_estimate_followup(
            batch_size=batch_size, after_batch=record
        )
        return calls

    def _reminders(self, order):
        return [body for body in self._customer_sms(order) if "reminder" in body]

    def test_reminder_once_then_no_cost_declared_then_still_accepted(self):
        with freeze_time(T0):
            order = self._estimated_order()
        with freeze_time(T0 + timedelta(days=1)):
            self._cron()
            self.assertFalse(order.estimate_reminded)
            self.assertFalse(self._reminders(order))
        with freeze_time(T0 + timedelta(days=2, hours=1)):
            self._cron()
            self.assertTrue(order.estimate_reminded)
            [reminder] = self._reminders(order)
            self.assertIn(f"YES {order.approval_code}", reminder)
            self.assertIn(order.approval_url, reminder)
            self._cron()
            self.assertEqual(len(self._reminders(order)), 1, "reminded once")
        with freeze_time(T0 + timedelta(days=5)):
            # Past the request's 72 hours, the reminded estimate still answers.
            order.invalidate_recordset()
            self.assertFalse(order.approval_link_expired)
            self._cron()
            self.assertEqual(order.workshop_state, "estimate_sent")
        with freeze_time(T0 + timedelta(days=7, hours=1)):
            self._cron()
            self.assertEqual(order.workshop_state, "no_cost_declared")
            self.assertEqual(order.state, "awaiting_approval")
            activity = order.activity_ids.filtered(
                lambda a: (
                    a.activity_type_id
                    == self.env.ref("aftersales.mail_activity_type_estimate_unanswered")
                )
            )
            self.assertEqual(len(activity), 1)
            self.assertEqual(activity.user_id, self.user_center, "the desk calls")
            self._cron()
            self.assertEqual(len(order.activity_ids), 1, "declared once")
            self.assertEqual(len(self._reminders(order)), 1)
        with freeze_time(T0 + timedelta(days=8)):
            # The desk called: the customer answers by text.
            inbound = self._inbound(f"YES {order.approval_code}")
            self.assertEqual(inbound.outcome, "approved")
            self.assertIn(order.workshop_state, ("repair", "waiting_parts"))

    def test_no_cost_declared_then_accepted_at_the_desk(self):
        with freeze_time(T0):
            order = self._estimated_order()
        with freeze_time(T0 + timedelta(days=8)):
            self._cron()
            self.assertEqual(order.workshop_state, "no_cost_declared")
            self.assertFalse(
                self._reminders(order), "past both deadlines: declared, not reminded"
            )
            # Desk staff may not record the decision; a dispatcher does.
            with self.assertRaises(UserError):
                order.with_user(self.user_center).action_accept_estimate()
            self.assertEqual(order.workshop_state, "no_cost_declared")
            order.with_user(self.user_dispatcher).action_accept_estimate()
            self.assertIn(order.workshop_state, ("repair", "waiting_parts"))

    def test_answered_estimates_are_left_alone(self):
        with freeze_time(T0):
            order = self._estimated_order()
            order.with_user(self.user_dispatcher).action_reject_estimate("Too dear")
        with freeze_time(T0 + timedelta(days=10)):
            self._cron()
            self.assertEqual(order.workshop_state, "cost_rejected")
            self.assertFalse(self._reminders(order))

    def test_batches_until_none_left_and_a_stop_holds(self):
        with freeze_time(T0):
            orders = self._estimated_order()
            for _i in range(4):
                orders |= self._estimated_order()
        with freeze_time(T0 + timedelta(days=2, hours=1)):
            # The run stops when the progress says so (time is up).
            calls = self._cron(batch_size=2, after_batch=lambda p, r: False)
            self.assertEqual(calls, [(2, 3)])
            self.assertEqual(len(orders.filtered("estimate_reminded")), 2)
            # The next run goes on from there, batch after batch.
            calls = self._cron(batch_size=2)
            self.assertEqual(calls, [(2, 1), (1, 0)])
            self.assertTrue(all(orders.mapped("estimate_reminded")))
            self.assertEqual([len(self._reminders(order)) for order in orders], [1] * 5)

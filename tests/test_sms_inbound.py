import time

from odoo.tests import HttpCase, tagged

from .common import SmsCommon


@tagged("post_install", "-at_install")
class TestSmsInboundRoute(SmsCommon, HttpCase):
    """The gateway's webhook: authentication, replay, matching, through HTTP."""

    def _post(self, payload, gateway=None, **sign):
        gateway = gateway or self.gateway
        body, headers = self._signed(payload, gateway=gateway, **sign)
        return self.url_open(
            f"/aftersales/sms/inbound/{gateway.inbound_token}",
            data=body,
            headers=headers,
        )

    def _inbound(self):
        return self.env["aftersales.sms.inbound"].search([], order="id desc", limit=1)

    def _post_and_apply(self, payload, **kwargs):
        """Post as the gateway, then run what the woken cron runs; return the
        reply's record."""
        response = self._post(payload, **kwargs)
        self.assertEqual(response.status_code, 202, response.text)
        inbound = self.env["aftersales.sms.inbound"].browse(response.json()["id"])
        self.assertFalse(inbound.outcome, "applied after the answer, not during")
        self.env["aftersales.sms.inbound"]._process_pending()
        return inbound

    def test_signed_approval_completes_the_order(self):
        order = self._awaiting_order()
        cron = self.env.ref("aftersales.ir_cron_process_inbound_sms")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        inbound = self._post_and_apply(
            {
                "from": "0530 111 22 33",
                "text": f"evet {order.approval_code}",
                "id": "m1",
            }
        )
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
            triggers,
            "the cron is woken at once",
        )
        self.assertEqual(inbound.outcome, "approved")
        self.assertEqual(order.state, "done")
        approval = order.approval_ids
        self.assertEqual(
            (approval.decision, approval.channel, approval.phone),
            ("approved", "sms", self.CUSTOMER_PHONE),
        )
        self.assertFalse(approval.user_id)
        self.assertEqual(approval.partner_id, self.customer)
        inbound = self._inbound()
        self.assertEqual(
            (inbound.order_id, inbound.outcome, inbound.provider_ref),
            (order, "approved", "m1"),
        )
        self.assertIn(
            f"evet {order.approval_code}",
            order.message_ids.filtered(lambda m: m.message_type == "sms").mapped(
                "body"
            )[0],
            "the customer's SMS is on the chatter",
        )

    def test_bad_signature_old_timestamp_and_unknown_gateway_are_refused(self):
        order = self._awaiting_order()
        payload = {"from": self.CUSTOMER_PHONE, "text": "YES"}
        response = self._post(payload, secret="not-the-secret")
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json()["error"], "bad_signature")
        response = self._post(payload, timestamp=int(time.time()) - 301)
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json()["error"], "stale_or_missing_timestamp")
        body, headers = self._signed(payload)
        response = self.url_open(
            "/aftersales/sms/inbound/not-a-gateway", data=body, headers=headers
        )
        self.assertEqual(response.status_code, 404)
        response = self.url_open(
            f"/aftersales/sms/inbound/{self.gateway.inbound_token}",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 403, "no signature at all")
        self.assertEqual(order.state, "awaiting_approval")
        self.assertFalse(self.env["aftersales.sms.inbound"].search([]))

    def test_another_gateways_secret_does_not_open_this_one(self):
        other = self.gateway.copy({"name": "Other", "inbound_secret": "other"})
        self._awaiting_order()
        body, headers = self._signed(
            {"from": self.CUSTOMER_PHONE, "text": "YES"}, gateway=other
        )
        response = self.url_open(
            f"/aftersales/sms/inbound/{self.gateway.inbound_token}",
            data=body,
            headers=headers,
        )
        self.assertEqual(response.status_code, 403)

    def test_replay_is_refused(self):
        order = self._awaiting_order()
        body, headers = self._signed(
            {"from": self.CUSTOMER_PHONE, "text": "NO it still leaks", "id": "p-1"}
        )
        url = f"/aftersales/sms/inbound/{self.gateway.inbound_token}"
        self.assertEqual(
            self.url_open(url, data=body, headers=headers).status_code, 202
        )
        self.env["aftersales.sms.inbound"]._process_pending()
        self.assertEqual(order.state, "in_progress")
        self.assertTrue(order.customer_rejected)
        order._action_request_approval()
        response = self.url_open(url, data=body, headers=headers)
        self.assertEqual(response.status_code, 409)
        self.assertEqual(response.json()["error"], "replayed")
        # The provider retries the same message, signed again a second later.
        response = self._post(
            {"from": self.CUSTOMER_PHONE, "text": "NO it still leaks", "id": "p-1"},
            timestamp=int(time.time()) + 1,
        )
        self.assertEqual(response.status_code, 409)
        self.env["aftersales.sms.inbound"]._process_pending()
        self.assertEqual(order.state, "awaiting_approval", "the replay changed nothing")
        self.assertEqual(len(order.approval_ids), 1)
        # Authentic replays do not count against the provider's address.
        for _attempt in range(35):
            self.url_open(url, data=body, headers=headers)
        response = self._post(
            {"from": self.CUSTOMER_PHONE, "text": "Thanks", "id": "p-2"}
        )
        self.assertEqual(response.status_code, 202)

    def test_unknown_sender_and_order_not_waiting_change_nothing(self):
        inbound = self._post_and_apply({"from": "+905559998877", "text": "YES"})
        self.assertEqual(inbound.outcome, "unknown_sender")
        self.assertFalse(inbound.order_id)

        order = self._order_in_state("in_progress")
        messages_before = len(order.message_ids)
        inbound = self._post_and_apply({"from": self.CUSTOMER_PHONE, "text": "YES"})
        self.assertEqual(inbound.outcome, "not_waiting")
        self.assertEqual(order.state, "in_progress")
        self.assertFalse(order.approval_ids)
        self.assertEqual(inbound.order_id, order)
        self.assertEqual(len(order.message_ids), messages_before + 1, "still posted")

    def test_two_orders_waiting_need_the_code(self):
        first = self._awaiting_order()
        second = self._awaiting_order()
        self.assertNotEqual(first.approval_code, second.approval_code)
        inbound = self._post_and_apply({"from": self.CUSTOMER_PHONE, "text": "YES"})
        self.assertEqual(inbound.outcome, "ambiguous")
        self.assertEqual((first + second).mapped("state"), ["awaiting_approval"] * 2)

        inbound = self._post_and_apply(
            {"from": self.CUSTOMER_PHONE, "text": f"YES {second.approval_code}"}
        )
        self.assertEqual(inbound.outcome, "approved")
        self.assertEqual(first.state, "awaiting_approval")
        self.assertEqual(second.state, "done")

    def test_bad_payload_is_refused(self):
        response = self._post({"text": "YES"})
        self.assertEqual(response.status_code, 400)

    def test_repeated_failures_from_an_address_are_limited(self):
        order = self._awaiting_order()
        for _attempt in range(30):
            self._post({"from": self.CUSTOMER_PHONE, "text": "YES"}, secret="guess")
        response = self._post({"from": self.CUSTOMER_PHONE, "text": "YES"}, secret="x")
        self.assertEqual(response.status_code, 429)
        self.assertEqual(order.state, "awaiting_approval")
        # The signature comes first: the provider itself is not locked out.
        response = self._post({"from": self.CUSTOMER_PHONE, "text": "YES"})
        self.assertEqual(response.status_code, 202)


@tagged("post_install", "-at_install")
class TestSmsReplies(SmsCommon):
    """What each reply means, in each language."""

    def _receive(self, text, sender=None):
        inbound = (
            self.env["aftersales.sms.inbound"]
            .sudo()
            .create(
                {
                    "gateway_id": self.gateway.id,
                    "company_id": self.gateway.company_id.id,
                    "sender": sender or self.CUSTOMER_PHONE,
                    "body": text,
                }
            )
        )
        inbound._process()
        return inbound

    def test_each_keyword_in_each_language(self):
        for text, decision in (
            ("YES", "approved"),
            ("ok, thanks", "approved"),
            ("No - the door squeaks", "rejected"),
            ("EVET", "approved"),
            ("evet teşekkürler", "approved"),
            ("HAYIR", "rejected"),
            ("hayır kapı gıcırdıyor", "rejected"),
            ("Hayir", "rejected"),
            ("JA", "approved"),
            ("Nej, det läcker", "rejected"),
            ("بله", "approved"),
            ("آره ممنون", "approved"),
            ("خیر", "rejected"),
            ("نه هنوز خراب است", "rejected"),
        ):
            with self.subTest(text=text):
                order = self._awaiting_order()
                inbound = self._receive(text)
                self.assertEqual(inbound.outcome, decision)
                self.assertEqual(order.approval_ids.decision, decision)
                self.assertEqual(order.approval_ids.channel, "sms")
                expected_state = "done" if decision == "approved" else "in_progress"
                self.assertEqual(order.state, expected_state)
                order.invalidate_recordset()
                if order.state == "in_progress":
                    order._action_cancel("end of subtest")

    def test_rejection_feedback_and_follow_up(self):
        order = self._awaiting_order()
        self._receive(f"HAYIR {order.approval_code} kapı gıcırdıyor")
        self.assertEqual(order.state, "in_progress")
        self.assertTrue(order.customer_rejected)
        self.assertEqual(order.approval_ids.feedback, "kapı gıcırdıyor")
        activity = order.activity_ids.filtered(
            lambda a: (
                a.activity_type_id
                == self.env.ref("aftersales.mail_activity_type_customer_rejection")
            )
        )
        self.assertEqual(activity.user_id, order._get_dispatcher())
        notified = order.message_ids.filtered(
            lambda m: "rejected the work on" in (m.body or "")
        )
        self.assertIn(self.center_a1.partner_id, notified.partner_ids)
        self.assertIn(self.user_technician.partner_id, notified.partner_ids)

    def test_digits_rate_the_last_done_order(self):
        for text, value in (("5", 5), ("1 too slow", 1), ("۴", 4), ("٣", 3)):
            with self.subTest(text=text):
                order = self._order_in_state("done")
                inbound = self._receive(text)
                self.assertEqual(inbound.outcome, "rated")
                self.assertEqual(inbound.order_id, order)
                self.assertEqual(order.rating_ids.filtered("consumed").rating, value)
        self.assertEqual(
            order.rating_ids.filtered("consumed").feedback or "", "", "no comment"
        )

    def test_other_text_is_feedback_on_the_waiting_order(self):
        order = self._awaiting_order()
        inbound = self._receive("Can the technician come back tomorrow?")
        self.assertEqual((inbound.outcome, inbound.order_id), ("feedback", order))
        self.assertEqual(order.state, "awaiting_approval")
        self.assertIn("come back tomorrow", order.message_ids.mapped("body")[0])

    def test_senders_are_matched_in_their_company_only(self):
        self._awaiting_order()
        gateway_b = self.gateway.copy(
            {"name": "Gateway B", "company_id": self.company_b.id}
        )
        inbound = (
            self.env["aftersales.sms.inbound"]
            .sudo()
            .create(
                {
                    "gateway_id": gateway_b.id,
                    "company_id": self.company_b.id,
                    "sender": self.CUSTOMER_PHONE,
                    "body": "YES",
                }
            )
        )
        self.assertEqual(inbound._process(), "unknown_sender")

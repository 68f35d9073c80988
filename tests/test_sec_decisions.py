"""Only the customer's own act is a customer decision (security review
2026-12-01: F1, F10, F13, F7.1 and F7.5).

Each test replays the review's attack as the attacker's own user, through the
ORM (what an RPC call does) or over HTTP, and checks that it changes nothing.
"""

import re
from datetime import timedelta

from odoo import Command, fields, http
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from .common import PIXEL_PNG, SmsCommon


class DecisionCommon(SmsCommon):
    """The customer with a portal login, a dealer following the customer's
    orders, an order awaiting approval at Center A1 and a completed one."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_customer = cls._create_portal_user("sec_customer", cls.customer)
        cls.dealer, _clerk, cls.user_dealer = cls._create_dealer(
            "sec_dealer", "Sec Dealer", "Sec Dealer Clerk"
        )
        cls.awaiting = cls._awaiting_order(dealer_id=cls.dealer.id)
        cls.done = cls._order_in_state("done", dealer_id=cls.dealer.id)

    def _forged_vals(self, order, **vals):
        """The evidence the review forged on approval 5 (F1 a)."""
        return {
            "order_id": order.id,
            "decision": "approved",
            "channel": "sms",
            "phone": self.CUSTOMER_PHONE,
            "user_id": False,
            "ip_address": "203.0.113.7",
            "user_agent": "Mozilla/5.0 (iPhone)",
            "feedback": "Everything fine",
            "date_decided": "2026-01-01 10:00:00",
            "rating": "5",
            **vals,
        }


@tagged("post_install", "-at_install")
class TestDecisionRecording(DecisionCommon):
    """F1 (a): nobody but the customer's own channel records a customer's
    decision, and every decision says who recorded it and how."""

    def test_technician_cannot_forge_an_sms_decision(self):
        Approval = self.env["aftersales.approval"].with_user(self.user_technician)
        with self.assertRaises(AccessError):
            Approval.create(self._forged_vals(self.awaiting))
        self.assertEqual(self.awaiting.state, "awaiting_approval")
        self.assertFalse(self.awaiting.approval_ids)

    def test_center_user_cannot_forge_a_rated_link_decision(self):
        Approval = self.env["aftersales.approval"].with_user(self.user_center)
        with self.assertRaises(AccessError):
            Approval.create(
                self._forged_vals(
                    self.awaiting,
                    channel="link",
                    phone=False,
                    ip_address="88.230.1.2",
                    feedback="Great job!",
                )
            )
        self.assertEqual(self.awaiting.state, "awaiting_approval")
        self.assertFalse(self.awaiting.rating_ids.filtered("consumed"))

    def test_nobody_but_our_code_writes_through_the_one2many(self):
        order = self.awaiting.with_user(self.user_center)
        with self.assertRaises(AccessError):
            order.write(
                {"approval_ids": [Command.create(self._forged_vals(self.awaiting))]}
            )
        self.assertFalse(self.awaiting.approval_ids)

    def test_dispatcher_records_a_back_office_decision_only(self):
        """Dispatchers may record what the customer said on the phone; the
        evidence fields they send are ignored, the record says it is theirs."""
        approval = (
            self.env["aftersales.approval"]
            .with_user(self.user_dispatcher)
            .create(self._forged_vals(self.awaiting))
        )
        self.assertEqual(
            (approval.channel, approval.user_id, approval.phone),
            ("backend", self.user_dispatcher, False),
        )
        self.assertFalse(approval.ip_address or approval.user_agent or approval.rating)
        self.assertAlmostEqual(
            approval.date_decided,
            fields.Datetime.now(),
            delta=timedelta(minutes=5),
        )
        self.assertFalse(self.awaiting.rating_ids.filtered("consumed"))
        message = self.awaiting.message_ids.filtered(
            lambda m: "approved the work" in (m.body or "")
        )[:1]
        self.assertEqual(message.author_id, self.user_dispatcher.partner_id)
        self.assertIn("recorded", message.body)
        self.assertNotIn("(SMS)", message.body)

    def test_one_method_records_every_channel(self):
        order = self.awaiting.with_user(self.user_technician)
        for channel in ("sms", "link", "portal", "backend"):
            with self.subTest(channel=channel), self.assertRaises(AccessError):
                order._record_customer_decision(
                    "approved", channel, phone=self.CUSTOMER_PHONE
                )
        approval = order._record_customer_decision(
            "approved",
            "onsite",
            feedback="Fine",
            rating=5,
            signed_by="Ayse Demir",
            signature=PIXEL_PNG,
            phone="+905559999999",
            ip_address="203.0.113.7",
        )
        self.assertEqual(
            (approval.channel, approval.user_id, approval.signed_by),
            ("onsite", self.user_technician, "Ayse Demir"),
        )
        self.assertFalse(approval.phone or approval.ip_address or approval.rating)
        self.assertEqual(self.awaiting.state, "done")
        message = self.awaiting.message_ids.filtered(
            lambda m: "approved the work" in (m.body or "")
        )[:1]
        self.assertEqual(message.author_id, self.user_technician.partner_id)
        self.assertIn(self.user_technician.name, message.body)

    def test_another_technician_cannot_record_on_site(self):
        with self.assertRaises(AccessError):
            self.awaiting.with_user(self.user_technician_a2)._record_customer_decision(
                "approved", "onsite"
            )
        self.assertEqual(self.awaiting.state, "awaiting_approval")

    def test_customer_channels_only_from_our_checked_code(self):
        approval = self.awaiting.sudo()._record_customer_decision(
            "approved", "sms", rating=4, phone=self.CUSTOMER_PHONE, user_agent="x"
        )
        self.assertEqual(
            (approval.channel, approval.phone, approval.rating, approval.user_id.id),
            ("sms", self.CUSTOMER_PHONE, "4", False),
        )
        self.assertFalse(approval.user_agent)
        message = self.awaiting.message_ids.filtered(
            lambda m: "approved the work (SMS)" in (m.body or "")
        )
        self.assertEqual(message.author_id, self.customer)


@tagged("post_install", "-at_install")
class TestLinkSecrecy(DecisionCommon):
    """F1 (b): the link is the customer's credential; staff do not read it."""

    def test_technician_and_center_user_cannot_read_the_link(self):
        for user in (self.user_technician, self.user_center, self.user_dealer):
            order = self.awaiting.with_user(user)
            for fname in ("access_token", "approval_url"):
                with self.subTest(user=user.login, field=fname):
                    order.invalidate_recordset()
                    with self.assertRaises(AccessError):
                        order.read([fname])
        dispatcher_view = self.awaiting.with_user(self.user_dispatcher)
        self.assertIn(
            self.awaiting.access_token,
            dispatcher_view.read(["approval_url"])[0]["approval_url"],
        )

    def test_chatter_shows_the_approval_sms_without_its_link(self):
        token = self.awaiting.access_token
        sms = self._order_sms(self.awaiting)
        self.assertTrue(sms)
        self.assertIn(token, sms[-1].body, "the customer's SMS is unchanged")
        self.assertIn(self.awaiting.approval_code, sms[-1].body)
        bodies = self.awaiting.with_user(self.user_technician).message_ids.mapped(
            "body"
        )
        self.assertTrue(any("reply YES" in body for body in bodies))
        self.assertFalse([body for body in bodies if token in body])


@tagged("post_install", "-at_install")
class TestLinkLifetime(DecisionCommon):
    """F13: the link's token stops working once its purpose is served."""

    def test_decision_voids_the_token(self):
        token = self.awaiting.access_token
        self.awaiting.sudo()._record_decision_from_link("approve")
        self.assertNotEqual(self.awaiting.access_token or False, token)

    def test_sms_reply_after_expiry_is_refused(self):
        self.awaiting.sudo().approval_link_expiry = fields.Datetime.now() - timedelta(
            hours=1
        )
        inbound = (
            self.env["aftersales.sms.inbound"]
            .sudo()
            .create(
                {
                    "gateway_id": self.gateway.id,
                    "company_id": self.company.id,
                    "sender": self.CUSTOMER_PHONE,
                    "body": f"EVET {self.awaiting.approval_code}",
                }
            )
        )
        inbound._process()
        self.assertEqual(inbound.outcome, "expired")
        self.assertEqual(inbound.order_id, self.awaiting)
        self.assertEqual(self.awaiting.state, "awaiting_approval")
        self.assertFalse(self.awaiting.approval_ids)


@tagged("post_install", "-at_install")
class TestRatingRules(DecisionCommon):
    """F10: ratings of work orders follow the order's rules; only our code
    writes them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rated = cls._order_in_state("done")
        cls.rated._apply_customer_rating(5, "Kadıköy was great")
        cls.rating = cls.rated.rating_ids.filtered("consumed")
        cls.other_rated = cls._order_in_state(
            "done", center=cls.center_a2, technician=cls.technician_a2
        )
        cls.other_rated._apply_customer_rating(4, "Fine")

    def test_technician_cannot_rewrite_another_centers_rating(self):
        Rating = self.env["rating.rating"].with_user(self.user_technician_a2)
        self.assertNotIn(self.rating, Rating.search([]))
        with self.assertRaises(AccessError):
            self.rating.with_user(self.user_technician_a2).write(
                {"rating": 1, "feedback": "terrible"}
            )
        self.assertEqual(self.rated.rating_last_value, 5)

    def test_own_orders_ratings_are_read_only(self):
        for user in (self.user_technician, self.user_center):
            rating = self.rating.with_user(user)
            with self.subTest(user=user.login):
                self.assertEqual(rating.read(["rating"])[0]["rating"], 5)
                with self.assertRaises(AccessError):
                    rating.write({"rating": 1})
                with self.assertRaises(AccessError):
                    rating.read(["access_token"])
        self.assertEqual(self.rated.rating_last_value, 5)
        self.assertNotIn(
            self.other_rated.rating_ids,
            self.env["rating.rating"].with_user(self.user_center).search([]),
        )

    def test_no_rating_through_the_chatter_or_the_mixin(self):
        order = self.done.with_user(self.user_technician)
        with self.assertRaises(AccessError):
            order.message_post(body="terrible", rating_value=1)
        with self.assertRaises(AccessError):
            order.rating_apply(1, token=self.done.sudo()._rating_get_access_token())
        self.assertFalse(self.done.rating_ids.filtered("consumed"))

    def test_dispatcher_reads_all_ratings(self):
        Rating = self.env["rating.rating"].with_user(self.user_dispatcher)
        self.assertIn(self.rating, Rating.search([]))
        self.assertIn(self.other_rated.rating_ids, Rating.search([]))


@tagged("post_install", "-at_install")
class TestDecisionRoutes(DecisionCommon, HttpCase):
    """F1 (b), F13, F7.1, F7.5 and F10 over HTTP."""

    def _csrf_of(self, url):
        page = self.url_open(url)
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def _post(self, url, **data):
        data.setdefault("csrf_token", http.Request.csrf_token(self))
        return self.url_open(url, data=data, allow_redirects=False)

    def _decide_url(self, order=None):
        return f"/aftersales/approval/{(order or self.awaiting).id}/decide"

    def test_logged_in_technician_needs_the_token(self):
        self.authenticate("as_tech_a1", "as_tech_a1")
        response = self._post(self._decide_url(), decision="approve")
        self.assertEqual(response.status_code, 404)
        page = self.url_open(f"/aftersales/approval/{self.awaiting.id}")
        self.assertEqual(page.status_code, 404)
        self.assertEqual(self.awaiting.state, "awaiting_approval")
        self.assertFalse(self.awaiting.approval_ids)

    def test_dealer_follows_read_only(self):
        self.authenticate("sec_dealer", "sec_dealer")
        page = self.url_open(f"/my/service-orders/{self.awaiting.id}")
        self.assertEqual(page.status_code, 200)
        self.assertNotIn("/decide", page.text)
        self.assertNotIn(self.awaiting.access_token, page.text)
        response = self._post(self._decide_url(), decision="approve")
        self.assertIn(response.status_code, (403, 404))
        self.assertEqual(self.awaiting.state, "awaiting_approval")

        done_page = self.url_open(f"/my/service-orders/{self.done.id}")
        self.assertEqual(done_page.status_code, 200)
        self.assertNotIn("/rate", done_page.text)
        response = self._post(f"/my/service-orders/{self.done.id}/rate", rating="1")
        self.assertIn(response.status_code, (403, 404))
        self.assertFalse(self.done.rating_ids.filtered("consumed"))

    def test_customer_decides_without_the_token(self):
        """The logged-in customer's Approve button does not use the link, so
        nobody holding the link can use up the customer's attempts (F7.1)."""
        token = self.awaiting.access_token
        for _attempt in range(31):
            response = self.url_open(
                f"/aftersales/approval/{self.awaiting.id}?access_token={token}"
            )
            self.assertEqual(response.status_code, 200)
        self.authenticate("sec_customer", "sec_customer")
        page = self.url_open(f"/my/service-orders/{self.awaiting.id}")
        self.assertIn(self._decide_url(), page.text)
        self.assertNotIn(token, page.text)
        response = self._post(self._decide_url(), decision="approve", redirect="portal")
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self.awaiting.state, "done")
        approval = self.awaiting.approval_ids
        self.assertEqual(
            (approval.channel, approval.user_id), ("portal", self.user_customer)
        )

    def test_customer_rates_and_dealer_does_not(self):
        self.authenticate("sec_customer", "sec_customer")
        page = self.url_open(f"/my/service-orders/{self.done.id}")
        self.assertIn(f"/my/service-orders/{self.done.id}/rate", page.text)
        response = self._post(f"/my/service-orders/{self.done.id}/rate", rating="4")
        self.assertIn("message=rated", response.headers["Location"])
        self.assertEqual(self.done.rating_last_value, 4)

    def test_token_stops_opening_the_order_after_the_decision(self):
        token = self.awaiting.access_token
        csrf = self._csrf_of(
            f"/aftersales/approval/{self.awaiting.id}?access_token={token}"
        )
        response = self.url_open(
            self._decide_url(),
            data={"csrf_token": csrf, "access_token": token, "decision": "approve"},
            allow_redirects=False,
        )
        self.assertIn(response.status_code, (200, 303))
        self.assertEqual(self.awaiting.state, "done")
        for url in (
            f"/aftersales/approval/{self.awaiting.id}?access_token={token}",
            f"/my/service-orders/{self.awaiting.id}?access_token={token}",
            f"/my/service-orders/{self.awaiting.id}?access_token={token}"
            "&report_type=html",
        ):
            with self.subTest(url=url):
                self.assertEqual(self.url_open(url).status_code, 404)

    def test_a_token_minted_after_the_decision_opens_nothing(self):
        """Odoo's portal mints a new token whenever it notifies the customer;
        outside an approval request no token opens the order (review of the
        merged fixes: the decided order got a permanent link again)."""
        self.awaiting._record_decision_from_link("approve")
        self.assertFalse(self.awaiting.access_token)
        self.awaiting.message_post(
            body="Your appliance is ready.",
            partner_ids=self.awaiting.partner_id.ids,
            subtype_xmlid="mail.mt_comment",
        )
        self.awaiting._portal_ensure_token()
        token = self.awaiting.access_token
        self.assertTrue(token)
        for url in (
            f"/aftersales/approval/{self.awaiting.id}?access_token={token}",
            f"/my/service-orders/{self.awaiting.id}?access_token={token}",
        ):
            with self.subTest(url=url):
                self.assertEqual(self.url_open(url).status_code, 404)

    def test_token_stops_opening_the_order_after_expiry(self):
        token = self.awaiting.access_token
        self.awaiting.sudo().approval_link_expiry = fields.Datetime.now() - timedelta(
            hours=1
        )
        for url in (
            f"/my/service-orders/{self.awaiting.id}?access_token={token}",
            f"/my/service-orders/{self.awaiting.id}?access_token={token}"
            "&report_type=html",
        ):
            with self.subTest(url=url):
                self.assertEqual(self.url_open(url).status_code, 404)
        page = self.url_open(
            f"/aftersales/approval/{self.awaiting.id}?access_token={token}"
        )
        self.assertEqual(page.status_code, 410)
        self.assertNotIn(self.awaiting.address_text, page.text)
        self.assertNotIn(self.lot.name, page.text)

    def test_portal_page_counts_wrong_tokens(self):
        """F7.5: wrong tokens on the order page count like the approval
        page's, against the same address."""
        for _attempt in range(20):
            response = self.url_open(
                f"/my/service-orders/{self.awaiting.id}?access_token=guess"
            )
            self.assertEqual(response.status_code, 404)
        response = self.url_open(
            f"/my/service-orders/{self.awaiting.id}?access_token=guess"
        )
        self.assertEqual(response.status_code, 429)

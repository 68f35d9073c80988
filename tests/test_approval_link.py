import base64
import re
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

from .common import SmsCommon

# A 1x1 PNG, for the photos on the page.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


@tagged("post_install", "-at_install")
class TestApprovalLink(SmsCommon, HttpCase):
    """The approval page, as the public user who opens the SMS link."""

    def setUp(self):
        super().setUp()
        self.order = self._awaiting_order()
        self.url = self.order.get_portal_url()

    def _open(self, url=None):
        return self.url_open(url or self.url)

    def _csrf(self, order=None):
        page = self._open((order or self.order).get_portal_url())
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def _decide(self, order=None, token=None, csrf=None, **form):
        order = order or self.order
        data = {
            "csrf_token": csrf or self._csrf(order),
            "access_token": token or order.access_token,
            **form,
        }
        return self.url_open(
            f"/aftersales/approval/{order.id}/decide",
            data=data,
            allow_redirects=False,
            headers={"User-Agent": "TestPhone/1.0"},
        )

    def test_page_shows_the_work_without_login(self):
        Media = self.env["aftersales.order.media"]
        photo = Media.create(
            {
                "order_id": self.order.id,
                "kind": "after",
                "file": base64.b64encode(PIXEL),
            }
        )
        hidden = Media.create(
            {
                "order_id": self.order.id,
                "kind": "fault",
                "file": base64.b64encode(PIXEL),
                "visible_to_customer": False,
            }
        )
        response = self._open()
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.order.name, response.text)
        self.assertIn("Test Washing Machine", response.text)
        self.assertIn("TWM-0001", response.text)
        self.assertIn("Approve the work", response.text)
        self.assertIn('name="viewport"', response.text, "made for phones")
        shown = re.findall(
            r'src="(/aftersales/approval/\d+/photo/(\d+)\?size=thumb&amp;access_token=[^"]+)"',
            response.text,
        )
        self.assertEqual([int(media_id) for _url, media_id in shown], [photo.id])
        thumb = self.url_open(shown[0][0].replace("&amp;", "&"))
        self.assertEqual(thumb.status_code, 200)
        self.assertEqual(thumb.headers["Content-Type"], "image/png")

        base = f"/aftersales/approval/{self.order.id}/photo"
        token = self.order.access_token
        self.assertEqual(
            self.url_open(f"{base}/{hidden.id}?access_token={token}").status_code,
            404,
            "a photo the center keeps to itself is not served",
        )
        self.assertEqual(
            self.url_open(f"{base}/{photo.id}?access_token=wrong").status_code, 404
        )
        other = self._awaiting_order()
        self.assertEqual(
            self.url_open(
                f"/aftersales/approval/{other.id}/photo/{photo.id}"
                f"?access_token={other.access_token}"
            ).status_code,
            404,
            "another order's link does not open this order's photos",
        )

        self.company.aftersales_approval_show_photos = False
        self.assertNotIn("/photo/", self._open().text)
        self.assertEqual(
            self.url_open(f"{base}/{photo.id}?access_token={token}").status_code, 404
        )

    def test_approve_records_the_decision_once(self):
        csrf = self._csrf()
        token = self.order.access_token
        response = self._decide(
            csrf=csrf, decision="approve", rating="4", feedback="Great"
        )
        # The page itself, not a redirect: the link's token is void now.
        self.assertEqual(response.status_code, 200)
        self.assertIn("Thank you", response.text)
        self.assertEqual(self.order.state, "done")
        approval = self.order.approval_ids
        self.assertEqual(
            (approval.decision, approval.channel, approval.rating, approval.feedback),
            ("approved", "link", "4", "Great"),
        )
        self.assertEqual(approval.ip_address, "127.0.0.1")
        self.assertEqual(approval.user_agent, "TestPhone/1.0")
        self.assertFalse(approval.user_id, "an anonymous customer, not a user")
        self.assertEqual(self.order.rating_ids.filtered("consumed").rating, 4)

        # Submitted again (double tap, back button, replay): the link is
        # spent, nothing changes.
        response = self._decide(
            csrf=csrf, token=token, decision="reject", feedback="Changed my mind"
        )
        self.assertEqual(response.status_code, 404)
        self.assertIn("stops working once the work is approved", response.text)
        self.assertEqual(len(self.order.approval_ids), 1)
        self.assertEqual(self.order.state, "done")

    def test_logged_in_customer_decides_through_the_portal_channel(self):
        portal_user = new_test_user(
            self.env,
            "as_portal_customer",
            groups="base.group_portal",
            partner_id=self.customer.id,
        )
        self.authenticate(portal_user.login, portal_user.login)
        response = self._decide(decision="approve")
        self.assertEqual(response.status_code, 303)
        approval = self.order.approval_ids
        self.assertEqual((approval.channel, approval.user_id), ("portal", portal_user))

    def test_reject_needs_a_reason_then_halts_the_order(self):
        response = self._decide(decision="reject")
        self.assertEqual(response.status_code, 400)
        self.assertIn("tell us why", response.text)
        self.assertFalse(self.order.approval_ids)

        response = self._decide(decision="reject", feedback="Still leaking")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.order.state, "in_progress")
        self.assertTrue(self.order.customer_rejected)
        self.assertEqual(self.order.approval_ids.feedback, "Still leaking")
        self.assertTrue(
            self.order.activity_ids.filtered(
                lambda a: a.activity_type_id.name == "Customer Rejected the Work"
            )
        )

    def test_bad_input_is_refused(self):
        for form in ({"decision": "maybe"}, {"decision": "approve", "rating": "9"}):
            with self.subTest(form=form):
                self.assertEqual(self._decide(**form).status_code, 400)
        self.assertEqual(self.order.state, "awaiting_approval")

    def test_expired_link(self):
        csrf = self._csrf()
        self.order.sudo().approval_link_expiry = fields.Datetime.now() - timedelta(
            minutes=1
        )
        response = self._open()
        self.assertEqual(response.status_code, 410)
        self.assertIn("link has expired", response.text)
        self.assertEqual(self._decide(csrf=csrf, decision="approve").status_code, 410)
        self.assertEqual(self.order.state, "awaiting_approval")

    def test_link_validity_follows_the_company_setting(self):
        self.company.aftersales_approval_link_hours = 24
        order = self._awaiting_order()
        delay = order.approval_link_expiry - order.date_approval_requested
        self.assertEqual(delay, timedelta(hours=24))

    def test_tampered_or_foreign_token_opens_nothing(self):
        other = self._awaiting_order()
        token = self.order.access_token
        tampered = token[:-1] + ("1" if token[-1] == "0" else "0")
        for url in (
            f"/aftersales/approval/{self.order.id}?access_token={tampered}",
            f"/aftersales/approval/{self.order.id}",
            f"/aftersales/approval/{other.id}?access_token={self.order.access_token}",
            f"/aftersales/approval/999999?access_token={self.order.access_token}",
        ):
            with self.subTest(url=url):
                self.assertEqual(self._open(url).status_code, 404)
        response = self._decide(
            order=other, token=self.order.access_token, decision="approve"
        )
        self.assertEqual(response.status_code, 404)
        self.assertEqual(other.state, "awaiting_approval")

    def test_new_request_voids_the_previous_link(self):
        old_url = self.url
        self._decide(decision="reject", feedback="Scratch on the door")
        self.order._action_request_approval()
        self.assertEqual(self._open(old_url).status_code, 404)
        self.assertEqual(self._open(self.order.get_portal_url()).status_code, 200)

    def test_page_is_get_only_and_decisions_post_only(self):
        response = self.url_open(
            f"/aftersales/approval/{self.order.id}/decide?access_token="
            f"{self.order.access_token}&decision=approve"
        )
        self.assertEqual(response.status_code, 405)
        self.assertEqual(self.order.state, "awaiting_approval")

    def test_attempts_are_bounded_per_address_and_per_token(self):
        for _attempt in range(20):
            self._open(f"/aftersales/approval/{self.order.id}?access_token=guess")
        guess = self._open(f"/aftersales/approval/{self.order.id}?access_token=guess")
        self.assertEqual(guess.status_code, 429, "wrong tokens are refused for now")
        # ... but not the holder of the right link on the same address.
        self.assertEqual(self._open().status_code, 200)

    def test_valid_link_views_are_not_limited(self):
        # Views of a valid link use up nothing: whoever else holds the link
        # cannot lock the customer out (review 2026-12-01, F7.1).
        for _attempt in range(31):
            self.assertEqual(self._open().status_code, 200)

    def test_approval_page_in_the_browser(self):
        self.start_tour(self.url, "aftersales_approval_tour")
        self.assertEqual(self.order.state, "done")
        approval = self.order.approval_ids
        self.assertEqual((approval.rating, approval.feedback), ("5", "Very tidy work"))

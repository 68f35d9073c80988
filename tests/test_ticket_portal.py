"""The customer's request pages: /my/requests (list, filters), a request
with its stage, work orders and thread, the logged-in form; another
customer's requests never show, not even through a token."""

import json

from odoo import http
from odoo.tests import tagged

from .test_ticket_web import CSRF, TicketFormCommon


@tagged("post_install", "-at_install")
class TestTicketPortal(TicketFormCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mine = cls._create_ticket("email", subject="My own leak")
        cls.mine_solved = cls._create_ticket("email", subject="My solved one")
        cls.mine_solved.action_solve()
        cls.other_site = cls.env["res.partner"].create(
            {"name": "Other Site", "type": "other", "parent_id": cls.other_customer.id}
        )
        cls.theirs = cls._create_ticket(
            "email", subject="Their secret", partner_id=cls.other_customer.id
        )
        cls.env["aftersales.ticket.stage"].browse(
            cls.mine.stage_id.id
        ).portal_label = "We received it"

    def setUp(self):
        super().setUp()
        self.authenticate("as_ticket_portal", "as_ticket_portal")

    def test_list_shows_mine_only_and_filters(self):
        page = self.url_open("/my/requests").text
        self.assertIn(self.mine.name, page)
        self.assertIn(self.mine_solved.name, page)
        self.assertNotIn(self.theirs.name, page)
        self.assertIn("We received it", page)
        page = self.url_open("/my/requests?filterby=closed").text
        self.assertIn(self.mine_solved.name, page)
        self.assertNotIn(f">{self.mine.name}<", page)
        page = self.url_open("/my/requests?filterby=open&sortby=name").text
        self.assertIn(self.mine.name, page)
        self.assertNotIn(self.mine_solved.name, page)

    def test_pager(self):
        for n in range(19):
            self._create_ticket("email", subject=f"Filler {n}")
        # 21 of mine, newest first: the oldest is alone on page 2.
        first = self.url_open("/my/requests").text
        self.assertNotIn(f">{self.mine.name}<", first)
        self.assertIn("/my/requests/page/2", first)
        second = self.url_open("/my/requests/page/2").text
        self.assertIn(f">{self.mine.name}<", second)
        self.assertNotIn(self.theirs.name, second)

    def test_home_counter(self):
        response = self.url_open(
            "/my/counters",
            data=json.dumps({"params": {"counters": ["ticket_count"]}}),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.json()["result"]["ticket_count"], 2)

    def test_detail_and_others_refused(self):
        response = self.url_open(f"/my/requests/{self.mine.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn("My own leak", response.text)
        self.assertIn("We received it", response.text)
        response = self.url_open(f"/my/requests/{self.theirs.id}")
        self.assertEqual(response.status_code, 404)
        self.assertNotIn("Their secret", response.text)
        # My request's token does not open theirs.
        token = self.mine._portal_ensure_token()
        response = self.url_open(f"/my/requests/{self.theirs.id}?access_token={token}")
        self.assertEqual(response.status_code, 404)
        self.assertNotIn("Their secret", response.text)

    def test_public_with_token_only(self):
        self.logout()
        token = self.mine._portal_ensure_token()
        self.assertEqual(self.url_open(f"/my/requests/{self.mine.id}").status_code, 404)
        response = self.url_open(f"/my/requests/{self.mine.id}?access_token={token}")
        self.assertEqual(response.status_code, 200)
        self.assertIn("My own leak", response.text)
        response = self.url_open(f"/my/requests/{self.theirs.id}?access_token={token}")
        self.assertEqual(response.status_code, 404)

    def test_work_orders_the_customer_may_read(self):
        order = self._create_order()
        other_order = self._create_order(partner_id=self.other_customer.id)
        (order | other_order).sudo().ticket_id = self.mine
        page = self.url_open(f"/my/requests/{self.mine.id}").text
        self.assertIn(f"/my/service-orders/{order.id}", page)
        self.assertNotIn(f"/my/service-orders/{other_order.id}", page)

    def test_portal_message_posts_in_thread(self):
        page = self.url_open(f"/my/requests/{self.mine.id}").text
        self.assertIn("portal_chatter", page.lower().replace("-", "_"))
        response = self.url_open(
            "/mail/message/post",
            data=json.dumps(
                {
                    "params": {
                        "thread_model": "aftersales.ticket",
                        "thread_id": self.mine.id,
                        "post_data": {
                            "body": "Still leaking",
                            "message_type": "comment",
                        },
                        "token": self.mine.access_token,
                    }
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertNotIn("error", response.json(), response.text[:500])
        message = self.mine.message_ids.filtered(lambda m: "Still leaking" in m.body)
        self.assertEqual(message.author_id, self.customer)
        # Not on theirs, not with my token.
        response = self.url_open(
            "/mail/message/post",
            data=json.dumps(
                {
                    "params": {
                        "thread_model": "aftersales.ticket",
                        "thread_id": self.theirs.id,
                        "post_data": {"body": "Sneaky", "message_type": "comment"},
                        "token": self.mine.access_token,
                    }
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertIn("error", response.json())
        self.assertFalse(self.theirs.message_ids.filtered(lambda m: "Sneaky" in m.body))

    def _new(self, files=None, **data):
        page = self.url_open("/my/requests/new")
        self.assertEqual(page.status_code, 200)
        values = {
            "csrf_token": CSRF.search(page.text).group(1),
            "category_id": str(self.category_question.id),
            "subject": "Portal question",
            "description": "How do I descale it?",
            **data,
        }
        return self.url_open(
            "/my/requests/new", data=values, files=files, allow_redirects=False
        )

    def test_new_request_for_my_site(self):
        page = self.url_open("/my/requests/new").text
        self.assertIn("Moda Site", page)
        self.assertNotIn("Other Site", page)
        self.assertIn('data-channel="portal"', page)
        response = self._new(site_id=str(self.site.id))
        self.assertEqual(response.status_code, 303, response.text[:300])
        ticket = self.env["aftersales.ticket"].search([], order="id desc", limit=1)
        self.assertEqual(ticket.channel, "portal")
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertEqual(ticket.site_id, self.site)
        self.assertIn(f"/my/requests/{ticket.id}", response.headers["Location"])

    def test_portal_form_tour(self):
        self.start_tour(
            "/my/requests", "ticket_portal_form_tour", login="as_ticket_portal"
        )
        ticket = self.env["aftersales.ticket"].search(
            [("subject", "=", "Tour: portal question")]
        )
        self.assertEqual(ticket.channel, "portal")
        self.assertEqual(ticket.partner_id, self.customer)

    def test_new_request_refusals(self):
        before = self._counts()
        for data, status, error in [
            ({"site_id": str(self.other_site.id)}, 400, "Choose one of your sites"),
            ({"subject": ""}, 400, "subject and a description"),
            ({"category_id": "0"}, 400, "Choose what"),
        ]:
            with self.subTest(error=error):
                response = self._new(**data)
                self.assertRefused(response, status, error, "How do I descale it?")
                self.assertEqual(self._counts(), before)
        self.company.aftersales_ticket_upload_mb = 0.001
        response = self._new(files={"attachments": ("a.pdf", b"%PDF" + b"0" * 4096)})
        self.assertRefused(response, 413, "larger than")
        self.assertEqual(self._counts(), before)

    def test_new_request_needs_csrf(self):
        before = self._counts()
        response = self.url_open(
            "/my/requests/new",
            data={
                "csrf_token": http.Request.csrf_token(self) + "x",
                "category_id": str(self.category_question.id),
                "subject": "x",
                "description": "y",
            },
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self._counts(), before)

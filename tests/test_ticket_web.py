"""The public web form /service/request over real HTTP: a request without
login, and every refusal (bad input, rate limit, honeypot, time challenge,
upload size, switched off) storing nothing."""

import base64
import re
import time
from urllib.parse import urlencode

from odoo.tests import HttpCase, tagged

from .common import PIXEL_PNG, TicketCommon

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CHALLENGE = re.compile(r'name="challenge" value="([^"]+)"')


class TicketFormCommon(HttpCase, TicketCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "aftersales_ticket_public_form": True,
                "aftersales_ticket_form_limit": 50,
                "aftersales_ticket_upload_mb": 1.0,
            }
        )
        cls.env["ir.config_parameter"].sudo().set_param(
            "aftersales.ticket_form_min_seconds", "3"
        )
        cls.category_report.description = "Tell us what was done and when."
        cls.category_question.public = False

    def _get_form(self, url="/service/request"):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, response.text[:500])
        return response

    def _old_challenge(self, form="web", age=10):
        Ticket = self.env["aftersales.ticket"]
        return Ticket._portal_sign_challenge(form, time.time() - age)

    def _post(self, url="/service/request", data=None, files=None, form="web"):
        """Post the form as a browser does: the CSRF token of the page, an
        empty honeypot, a challenge issued 10 s ago."""
        page = self._get_form(url)
        values = {
            "csrf_token": CSRF.search(page.text).group(1),
            "challenge": self._old_challenge(form),
            "website_url": "",
            **(data or {}),
        }
        return self.url_open(url, data=values, files=files, allow_redirects=False)

    def _counts(self):
        env = self.env
        return (
            env["res.partner"].with_context(active_test=False).search_count([]),
            env["aftersales.ticket"].search_count([]),
            env["ir.attachment"].search_count(
                [("res_model", "=", "aftersales.ticket")]
            ),
        )

    def _valid(self, **values):
        return {
            "name": "Deniz Visitor",
            "email": "deniz.visitor@example.com",
            "phone": "",
            "category_id": str(self.category_report.id),
            "subject": "Boiler report",
            "description": "The boiler was serviced on Monday.",
            **values,
        }

    def assertRefused(self, response, status, *texts):
        self.assertEqual(response.status_code, status, response.text[:300])
        for text in texts:
            self.assertIn(text, response.text)


@tagged("post_install", "-at_install")
class TestPublicForm(TicketFormCommon):
    def test_form_offers_published_categories_and_hint(self):
        page = self._get_form().text
        self.assertIn(self.category_report.name, page)
        self.assertIn("Tell us what was done and when.", page)
        self.assertNotIn(f'value="{self.category_question.id}"', page)
        self.assertIn('class="o_aftersales_article_suggest" data-channel="web"', page)
        self.assertIn('name="website_url"', page)

    def test_post_creates_request_and_new_contact(self):
        before = self._counts()
        response = self._post(data=self._valid())
        self.assertEqual(response.status_code, 303, response.text[:300])
        ticket = self.env["aftersales.ticket"].search([], order="id desc", limit=1)
        self.assertIn(
            "/service/request/thanks?" + urlencode({"ref": ticket.name}),
            response.headers["Location"],
        )
        self.assertEqual(ticket.channel, "web")
        self.assertEqual(ticket.subject, "Boiler report")
        self.assertEqual(ticket.category_id, self.category_report)
        self.assertEqual(ticket.partner_id.email, "deniz.visitor@example.com")
        self.assertEqual(ticket.partner_id.name, "Deniz Visitor")
        self.assertEqual(self._counts()[:2], (before[0] + 1, before[1] + 1))
        # The session that sent it sees the reference; another one does not.
        thanks = self.url_open(response.headers["Location"])
        self.assertIn(ticket.name, thanks.text)
        self.opener.cookies.clear()
        thanks = self.url_open(response.headers["Location"])
        self.assertEqual(thanks.status_code, 200)
        self.assertNotIn(ticket.name, thanks.text)

    def test_description_stored_as_text(self):
        text = "Hot <script>alert(1)</script> water"
        response = self._post(data=self._valid(description=text))
        self.assertEqual(response.status_code, 303, response.text[:300])
        ticket = self.env["aftersales.ticket"].search([], order="id desc", limit=1)
        self.assertNotIn("<script", ticket.description)
        self.assertIn("alert(1)", ticket.description)

    def test_post_finds_existing_customer_and_files_photo(self):
        before = self._counts()
        photo = base64.b64decode(PIXEL_PNG)
        response = self._post(
            data=self._valid(email="", phone="+90 530 111 22 33", serial="SN-1"),
            files={"attachments": ("leak.png", photo, "image/png")},
        )
        self.assertEqual(response.status_code, 303, response.text[:300])
        ticket = self.env["aftersales.ticket"].search([], order="id desc", limit=1)
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertEqual(ticket.channel, "web")
        self.assertIn("SN-1", ticket.description)
        attachments = self.env["ir.attachment"].search(
            [("res_model", "=", "aftersales.ticket"), ("res_id", "=", ticket.id)]
        )
        self.assertEqual(attachments.mapped("mimetype"), ["image/png"])
        self.assertEqual(self._counts()[0], before[0])

    def _assert_nothing_stored(self, before):
        self.assertEqual(self._counts(), before)

    def test_bad_input_keeps_text_and_stores_nothing(self):
        cases = [
            (
                self._valid(email="", phone=""),
                "Give an e-mail address or a phone number",
            ),
            (self._valid(email="not-an-address"), "is not an e-mail address"),
            (self._valid(email="", phone="12"), "is not a phone number"),
            (self._valid(subject=""), "subject and a description"),
            (self._valid(description=""), "subject and a description"),
            (self._valid(category_id=str(self.category_question.id)), "Choose what"),
            (self._valid(category_id="999999"), "Choose what"),
        ]
        before = self._counts()
        for data, error in cases:
            with self.subTest(error=error, data=data):
                response = self._post(
                    data={**data, "description": data["description"] or ""}
                )
                self.assertRefused(response, 400, error)
                if data["subject"]:
                    self.assertIn("Boiler report", response.text)
                if data["description"]:
                    self.assertIn("The boiler was serviced on Monday.", response.text)
                self._assert_nothing_stored(before)

    def test_other_company_category_refused(self):
        category_b = self.env["aftersales.ticket.category"].create(
            {"name": "Company B only", "company_id": self.company_b.id, "public": True}
        )
        self.assertNotIn("Company B only", self._get_form().text)
        before = self._counts()
        response = self._post(data=self._valid(category_id=str(category_b.id)))
        self.assertRefused(response, 400, "Choose what")
        self.assertEqual(self._counts(), before)

    def test_rate_limit_answers_429(self):
        self.company.aftersales_ticket_form_limit = 2
        for _index in range(2):
            self.assertEqual(self._post(data=self._valid()).status_code, 303)
        before = self._counts()
        response = self._post(data=self._valid(subject="Third one"))
        self.assertRefused(response, 429, "Too many requests", "Third one")
        self._assert_nothing_stored(before)

    def test_honeypot_refused(self):
        before = self._counts()
        response = self._post(data=self._valid(website_url="http://spam.example.com"))
        self.assertRefused(response, 400, "could not be sent", "Boiler report")
        self._assert_nothing_stored(before)

    def test_challenge_too_fast_expired_forged(self):
        Ticket = self.env["aftersales.ticket"]
        fresh = Ticket._portal_sign_challenge("web")
        stamp, signature = self._old_challenge(age=3 * 3600).split(".")
        cases = {
            "That was fast": fresh,
            "has expired": f"{stamp}.{signature}",
            "not valid": f"{int(time.time()) - 60}.{signature}",
            "not valid ": "garbage",
            "not valid  ": self._old_challenge(form="qr:other"),
        }
        before = self._counts()
        for error, challenge in cases.items():
            with self.subTest(error=error):
                response = self._post(data=self._valid(challenge=challenge))
                self.assertRefused(response, 400, error.strip(), "Boiler report")
                self._assert_nothing_stored(before)

    def test_upload_limits(self):
        self.company.aftersales_ticket_upload_mb = 0.001
        before = self._counts()
        response = self._post(
            data=self._valid(),
            files={"attachments": ("big.png", b"\x89PNG" + b"0" * 4096, "image/png")},
        )
        self.assertRefused(response, 413, "larger than", "Boiler report")
        self._assert_nothing_stored(before)
        self.company.aftersales_ticket_upload_mb = 1.0
        response = self._post(
            data=self._valid(),
            files={
                "attachments": ("photo.png", b"<html><script>x</script>", "image/png")
            },
        )
        self.assertRefused(response, 400, "is not a photo")
        self._assert_nothing_stored(before)
        photo = base64.b64decode(PIXEL_PNG)
        files = [("attachments", (f"p{n}.png", photo, "image/png")) for n in range(6)]
        response = self._post(data=self._valid(), files=files)
        self.assertRefused(response, 400, "at most 5 files")
        self._assert_nothing_stored(before)

    def test_switched_off_is_404(self):
        # A form opened before the company switched it off.
        csrf_token = CSRF.search(self._get_form().text).group(1)
        self.company.aftersales_ticket_public_form = False
        self.assertEqual(self.url_open("/service/request").status_code, 404)
        before = self._counts()
        data = {
            **self._valid(),
            "csrf_token": csrf_token,
            "challenge": self._old_challenge(),
        }
        response = self.url_open("/service/request", data=data, allow_redirects=False)
        self.assertEqual(response.status_code, 404)
        self._assert_nothing_stored(before)

    def test_csrf_required(self):
        before = self._counts()
        data = {**self._valid(), "challenge": self._old_challenge()}
        response = self.url_open("/service/request", data=data, allow_redirects=False)
        self.assertEqual(response.status_code, 400)
        self._assert_nothing_stored(before)

    def test_rtl_persian_renders(self):
        self.env["res.lang"]._activate_lang("fa_IR")
        response = self._get_form("/fa/service/request")
        self.assertIn('dir="rtl"', response.text)
        self.assertIn('name="subject"', response.text)

    def test_public_form_tour(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "aftersales.ticket_form_min_seconds", "0"
        )
        self.start_tour("/service/request", "ticket_public_form_tour")
        ticket = self.env["aftersales.ticket"].search(
            [("subject", "=", "Tour: the heater is cold")]
        )
        self.assertEqual(ticket.channel, "web")
        self.assertEqual(ticket.partner_id.email, "tour.visitor@example.com")

"""The site QR code: the token and label the desk prints for a customer's
address, and the page it opens (prefilled with the site and contact person
only) that reports a deviation (channel qr)."""

from urllib.parse import urlencode

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .test_ticket_web import TicketFormCommon


@tagged("post_install", "-at_install")
class TestSiteQr(TicketFormCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.site.aftersales_site_contact_id = cls.contact_person
        cls.token = cls.site.with_user(cls.user_agent)._aftersales_ensure_site_token()[
            cls.site.id
        ]
        cls.url = f"/service/site/{cls.token}"

    def _report(self, **values):
        return {
            "description": "The fire door does not close.",
            "name": "Kemal Reporter",
            "phone": "+90 530 444 55 66",
            "email": "",
            **values,
        }

    def test_token_is_the_desk_s(self):
        site = self.site.with_user(self.user_agent)
        self.assertEqual(site._aftersales_ensure_site_token()[self.site.id], self.token)
        plain_user = new_test_user(
            self.env,
            "as_site_plain",
            groups="base.group_user",
            company_id=self.company.id,
        )
        with self.assertRaises(AccessError):
            self.site.with_user(plain_user)._aftersales_ensure_site_token()
        with self.assertRaises(AccessError):
            self.site.with_user(self.portal_user)._aftersales_ensure_site_token()

    def test_contact_form_offers_the_label_to_the_desk(self):
        action = self.env.ref("aftersales.action_report_site_qr")
        arch = (
            self.env["res.partner"]
            .with_user(self.user_agent)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        self.assertIn(f'name="{action.id}"', arch)
        self.assertIn("action_aftersales_renew_site_token", arch)
        plain_user = new_test_user(
            self.env,
            "as_site_view",
            groups="base.group_user",
            company_id=self.company.id,
        )
        arch = (
            self.env["res.partner"]
            .with_user(plain_user)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        self.assertNotIn(f'name="{action.id}"', arch)
        self.assertNotIn("aftersales_site_token", arch)

    def test_label_shows_site_contact_and_link(self):
        html = (
            self.env["ir.actions.report"]
            .with_user(self.user_agent)
            ._render_qweb_html("aftersales.action_report_site_qr", self.site.ids)[0]
            .decode()
        )
        self.assertIn("Moda Site", html)
        self.assertIn("Moda Caddesi 99", html)
        self.assertIn("Ayşe Contact", html)
        self.assertIn(f"%2Fservice%2Fsite%2F{self.token}", html)

    def test_page_prefilled_without_other_data(self):
        page = self._get_form(self.url).text
        for shown in ("Moda Site", "Moda Caddesi 99", "Ayşe Contact"):
            self.assertIn(shown, page)
        self.assertIn('data-channel="qr"', page)
        for hidden in (
            "moda.customer@example.com",
            "ayse@example.com",
            "+905301112233",
            "+905301112299",
            self.customer.name,
        ):
            self.assertNotIn(hidden, page)

    def test_post_creates_deviation_for_site(self):
        before = self._counts()
        response = self._post(self.url, self._report(), form=f"qr:{self.token}")
        self.assertEqual(response.status_code, 303, response.text[:300])
        ticket = self.env["aftersales.ticket"].search([], order="id desc", limit=1)
        self.assertIn(urlencode({"ref": ticket.name}), response.headers["Location"])
        self.assertEqual(ticket.channel, "qr")
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertEqual(ticket.site_id, self.site)
        self.assertEqual(ticket.contact_id, self.contact_person)
        self.assertEqual(ticket.category_id, self.category_deviation)
        self.assertEqual(ticket.partner_phone, "+905304445566")
        self.assertIn("Kemal Reporter", ticket.description)
        self.assertIn("fire door", ticket.description)
        # The reporter is no new contact: the site's customer is.
        self.assertEqual(self._counts()[0], before[0])

    def test_refusals_store_nothing(self):
        before = self._counts()
        form = f"qr:{self.token}"
        cases = [
            (self._report(description=""), 400, "Describe the deviation"),
            (self._report(email="nope"), 400, "is not an e-mail address"),
            (
                self._report(website_url="http://x.example.com"),
                400,
                "could not be sent",
            ),
            (self._report(challenge=self._old_challenge("web")), 400, "not valid"),
        ]
        for data, status, error in cases:
            with self.subTest(error=error):
                response = self._post(self.url, data, form=form)
                self.assertRefused(response, status, error, "Moda Site")
                self.assertEqual(self._counts(), before)

    def test_rate_limit_answers_429(self):
        self.company.aftersales_ticket_form_limit = 1
        form = f"qr:{self.token}"
        self.assertEqual(
            self._post(self.url, self._report(), form=form).status_code, 303
        )
        before = self._counts()
        response = self._post(self.url, self._report(description="Again"), form=form)
        self.assertRefused(response, 429, "Too many requests", "Again")
        self.assertEqual(self._counts(), before)

    def test_bad_token_404_then_429(self):
        for token in ("nope", "x" * 80, self.token[:-1]):
            self.assertEqual(self.url_open(f"/service/site/{token}").status_code, 404)
        statuses = {
            self.url_open("/service/site/wrong").status_code for _n in range(20)
        }
        self.assertEqual(statuses, {404, 429})
        # The known token still opens (failures never lock out the label).
        self.assertEqual(self.url_open(self.url).status_code, 200)

    def test_renewed_token_voids_the_old_label(self):
        self.site.with_user(self.user_agent).action_aftersales_renew_site_token()
        self.assertEqual(self.url_open(self.url).status_code, 404)
        new_url = f"/service/site/{self.site.sudo().aftersales_site_token}"
        self.assertEqual(self.url_open(new_url).status_code, 200)

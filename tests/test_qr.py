import re

from odoo.tests import tagged

from .test_portal import PortalCommon


@tagged("post_install", "-at_install")
class TestQrCodes(PortalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.phone = "+905301112233"
        cls.token = cls.my_lot._aftersales_ensure_qr_token()[cls.my_lot.id]

    def setUp(self):
        super().setUp()
        # An anonymous session, for its CSRF token.
        self.authenticate(None, None)

    def _sent_code(self, phone):
        sms = self.env["sms.sms"].search(
            [("number", "=", phone)], order="id desc", limit=1
        )
        return re.search(r"\b(\d{6})\b", sms.body).group(1)

    def _start(self, phone="+90 530 111 22 33"):
        response = self._post(f"/aftersales/qr/{self.token}/code", {"phone": phone})
        self.assertEqual(response.status_code, 200, response.text[:500])
        return re.search(r'name="key" value="([^"]+)"', response.text).group(1)

    def _request(self, key, code, **data):
        return self._post(
            f"/aftersales/qr/{self.token}/request",
            {
                "key": key,
                "code": code,
                "service_type_id": str(self.type_repair.id),
                "description": "Noisy drum.",
                **data,
            },
        )

    def test_token_is_stable_and_secret(self):
        self.assertEqual(
            self.my_lot._aftersales_ensure_qr_token()[self.my_lot.id], self.token
        )
        self.assertGreaterEqual(len(self.token), 24)
        self.assertNotIn(self.my_lot.name, self.token)

    def test_unknown_token_is_not_found(self):
        self.assertEqual(self.url_open("/aftersales/qr/nope").status_code, 404)
        self.assertEqual(
            self._post(
                "/aftersales/qr/nope/code", {"phone": "+905301112233"}
            ).status_code,
            404,
        )

    def test_logged_in_customers_get_the_prefilled_form(self):
        self.authenticate("portal_customer", "portal_customer")
        response = self.url_open(f"/aftersales/qr/{self.token}", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertIn("serial=TPW-0001", response.headers["Location"])
        form = self.url_open(response.headers["Location"])
        self.assertIn('value="TPW-0001"', form.text)
        self.assertIn('name="qr"', form.text)

    def test_logged_in_scanner_requests_for_the_scanned_unit(self):
        """The sticker proves the unit is at hand: a logged-in user who is not
        its owner (a relative, a second-hand buyer) may still ask for it from
        the scan, while typing its serial alone is refused (review F20)."""
        self.authenticate("portal_other", "portal_other")
        response = self.url_open(f"/aftersales/qr/{self.token}", allow_redirects=False)
        location = response.headers["Location"]
        self.assertIn(f"qr={self.token}", location)
        self.assertIn(f'name="qr" value="{self.token}"', self.url_open(location).text)
        data = {
            "serial": "TPW-0001",
            "service_type_id": str(self.type_repair.id),
            "description": "Noisy drum.",
        }
        typed = self._post("/my/service-orders/new", data)
        self.assertEqual(typed.status_code, 400)
        forged = self._post("/my/service-orders/new", dict(data, qr="not-a-token"))
        self.assertEqual(forged.status_code, 400)
        self.assertIn("This QR code is not valid", forged.text)
        scanned = self._post("/my/service-orders/new", dict(data, qr=self.token))
        self.assertEqual(scanned.status_code, 303, scanned.text[:300])
        order = self._orders_of(self.other_customer).filtered(
            lambda o: o.lot_id == self.my_lot
        )
        self.assertEqual(len(order), 1)
        self.assertEqual(order.channel, "qr")

    def test_public_request_with_a_verified_phone(self):
        page = self.url_open(f"/aftersales/qr/{self.token}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("TPW-0001", page.text)
        key = self._start()
        code = self._sent_code("+905301112233")
        response = self._request(key, code)
        self.assertEqual(response.status_code, 200, response.text[:500])
        order = self.env["aftersales.order"].search(
            [("channel", "=", "qr")], order="id desc", limit=1
        )
        self.assertIn(order.name, response.text)
        # The number is the owner's: the request is theirs.
        self.assertEqual(order.partner_id, self.customer)
        self.assertEqual(order.lot_id, self.my_lot)
        # A code serves once.
        again = self._request(key, code)
        self.assertEqual(again.status_code, 400)
        self.assertIn("already used", again.text)

    def test_unknown_number_becomes_a_new_customer(self):
        key = self._start("+90 532 999 88 77")
        code = self._sent_code("+905329998877")
        missing_name = self._request(key, code)
        self.assertEqual(missing_name.status_code, 400)
        response = self._request(key, code, name="Walk-in Customer")
        self.assertEqual(response.status_code, 200)
        order = self.env["aftersales.order"].search(
            [("channel", "=", "qr")], order="id desc", limit=1
        )
        self.assertEqual(order.partner_id.name, "Walk-in Customer")
        self.assertEqual(order.partner_id.phone, "+905329998877")

    def test_wrong_codes_are_bounded(self):
        before = self.env["aftersales.order"].search_count([])
        key = self._start()
        code = self._sent_code("+905301112233")
        wrong = "000000" if code != "000000" else "111111"
        for _attempt in range(5):
            response = self._request(key, wrong)
            self.assertEqual(response.status_code, 400)
            self.assertIn("not right", response.text)
        verification = self.env["aftersales.qr.verification"].search(
            [("key", "=", key)]
        )
        self.assertEqual(verification.attempts, 5)
        # Locked now, even with the right code.
        locked = self._request(key, code)
        self.assertEqual(locked.status_code, 400)
        self.assertIn("Too many wrong codes", locked.text)
        self.assertEqual(self.env["aftersales.order"].search_count([]), before)

    def test_bad_phone_and_code_flood(self):
        response = self._post(f"/aftersales/qr/{self.token}/code", {"phone": "hello"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("valid mobile number", response.text)
        # An invalid number spends nothing of the unit's; three codes to one
        # number, then that number is limited for the unit.
        for _attempt in range(3):
            self._start()
        limited = self._post(
            f"/aftersales/qr/{self.token}/code", {"phone": "+905301112233"}
        )
        self.assertEqual(limited.status_code, 429)

    def test_key_of_another_unit_is_refused(self):
        key = self._start()
        other_token = self.other_lot._aftersales_ensure_qr_token()[self.other_lot.id]
        response = self._post(
            f"/aftersales/qr/{other_token}/request",
            {"key": key, "code": self._sent_code("+905301112233")},
        )
        self.assertEqual(response.status_code, 404)

    def test_sticker_and_warranty_card_carry_the_qr(self):
        Report = self.env["ir.actions.report"]
        html, _type = Report._render_qweb_html(
            "aftersales.report_unit_sticker", self.my_lot.ids
        )
        self.assertIn("barcode_type=QR", html.decode())
        self.assertIn(self.token, html.decode())
        warranty = self.my_lot.aftersales_warranty_ids[:1]
        html, _type = Report._render_qweb_html(
            "aftersales.report_warranty_card", warranty.ids
        )
        self.assertIn(self.token, html.decode())
        self.assertIn(warranty.card_number, html.decode())

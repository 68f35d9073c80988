import io
from datetime import datetime, timedelta

import lxml.html
from PyPDF2 import PdfFileReader

from odoo import fields, http
from odoo.tests import tagged

from .test_portal import PortalCommon


def _by_class(tree, css_class, path=""):
    return tree.xpath(f"//*[contains(concat(' ', @class, ' '), ' {css_class} ')]{path}")


def _lines_of(html):
    """The decision summary's lines of a page, as (item, quantity, price)."""
    rows = _by_class(
        lxml.html.fromstring(html), "o_aftersales_decision_lines", "/tbody/tr"
    )
    return [tuple(cell.text_content().strip() for cell in row) for row in rows]


def _total_of(html):
    total = _by_class(lxml.html.fromstring(html), "o_aftersales_decision_total", "/td")
    return total[-1].text_content().strip() if total else None


def _appointment_box(html):
    return _by_class(lxml.html.fromstring(html), "o_aftersales_appointment")[0]


@tagged("post_install", "-at_install")
class TestUxPortal(PortalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Product = cls.env["product.product"]
        cls.labour = Product.create(
            {"name": "UX Labour", "type": "service", "lst_price": 600.0}
        )
        cls.travel = Product.create(
            {"name": "UX Travel Fee", "type": "service", "lst_price": 150.0}
        )
        cls.type_repair.write(
            {"labour_product_id": cls.labour.id, "labour_price": 600.0}
        )
        cls.company.aftersales_travel_product_id = cls.travel
        # Outside the warranty: the customer pays, the page shows the price.
        cls.priced = cls._order_in_state(
            "awaiting_approval",
            service_type_id=cls.type_repair.id,
            product_id=cls.portal_product.id,
            lot_id=False,
        )
        cls.priced.name = "WO/2026/00016"
        cls.dealer, _contact, cls.user_dealer = cls._create_dealer(
            "ux_dealer", "UX Dealer"
        )

    # Tests get Odoo's HTML fallback for PDFs unless the session forces them.
    force_pdf = False

    def authenticate(self, user, password, **kwargs):
        session = super().authenticate(user, password, **kwargs)
        if self.force_pdf and user:
            session.context["force_report_rendering"] = True
            http.root.session_store.save(session)
        return session

    # ------------------------------------------------------------
    # Service form (PDF)
    # ------------------------------------------------------------

    def test_customer_downloads_the_service_form(self):
        self.force_pdf = True
        self.authenticate("portal_customer", "portal_customer")
        url = f"/my/service-orders/{self.done.id}?report_type=pdf&download=true"
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, response.text[:500])
        self.assertEqual(response.headers["Content-Type"], "application/pdf")
        self.assertTrue(response.content.startswith(b"%PDF"))
        self.assertIn("attachment", response.headers["Content-Disposition"])
        self.assertIn("Service_Form_WO_", response.headers["Content-Disposition"])
        reader = PdfFileReader(io.BytesIO(response.content))
        self.assertEqual(reader.getNumPages(), 1)
        # wkhtmltopdf embeds the web font without a text map: its words are
        # read on the same report rendered as HTML.
        html = self.url_open(url.replace("report_type=pdf", "report_type=html"))
        self.assertEqual(html.status_code, 200)
        self.assertIn("Service form", html.text)
        self.assertIn(self.done.name, html.text)
        self.assertIn(self.center_a1.name, html.text)

    def test_others_get_no_service_form(self):
        self.force_pdf = True
        url = f"/my/service-orders/{self.done.id}?report_type=pdf&download=true"
        for login in ("portal_other", "ux_dealer"):
            with self.subTest(login=login):
                self.authenticate(login, login)
                response = self.url_open(url)
                self.assertIn(response.status_code, (403, 404))
                self.assertFalse(response.content.startswith(b"%PDF"))
        self.authenticate(None, None)
        response = self.url_open(url, allow_redirects=False)
        self.assertIn(response.status_code, (403, 404))
        self.assertFalse(response.content.startswith(b"%PDF"))

    def test_customer_pdf_tour(self):
        self.force_pdf = True
        self.start_tour(
            f"/my/service-orders/{self.done.id}",
            "portal_service_form_pdf_tour",
            login="portal_customer",
        )

    # ------------------------------------------------------------
    # One decision, one screen
    # ------------------------------------------------------------

    def test_portal_decision_shows_what_the_link_shows(self):
        token = self.priced._portal_ensure_token()
        public = self.url_open(
            f"/aftersales/approval/{self.priced.id}?access_token={token}"
        )
        self.assertEqual(public.status_code, 200)
        public_lines = _lines_of(public.text)
        self.assertTrue(public_lines, "the link lists the items")
        self.assertIn("UX Travel Fee", [line[0] for line in public_lines])
        self.assertTrue(any("600" in line[2] for line in public_lines), public_lines)
        self.assertIn("750", _total_of(public.text))

        self.authenticate("portal_customer", "portal_customer")
        portal = self.url_open(f"/my/service-orders/{self.priced.id}")
        self.assertEqual(portal.status_code, 200)
        self.assertEqual(_lines_of(portal.text), public_lines)
        self.assertEqual(_total_of(portal.text), _total_of(public.text))
        tree = lxml.html.fromstring(portal.text)
        form = _by_class(tree, "o_aftersales_portal_decision", "//form")[0]
        self.assertEqual(
            sorted(form.xpath(".//input[@name='rating']/@value")),
            ["1", "2", "3", "4", "5"],
        )

    def test_portal_decision_records_the_rating(self):
        self.authenticate("portal_customer", "portal_customer")
        response = self._post(
            f"/aftersales/approval/{self.priced.id}/decide",
            {"decision": "approve", "rating": "4", "redirect": "portal"},
        )
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self.priced.state, "done")
        self.assertEqual(self.priced.rating_last_value, 4)

    # ------------------------------------------------------------
    # Languages and direction
    # ------------------------------------------------------------

    def _install_lang(self, code):
        self.env["res.lang"]._activate_lang(code)
        self.env["ir.module.module"]._load_module_terms(
            ["aftersales"], [code], overwrite=True
        )

    def test_persian_customer_gets_the_link_in_persian_right_to_left(self):
        self._install_lang("fa_IR")
        self.customer.lang = "fa_IR"
        token = self.priced._portal_ensure_token()
        # No Accept-Language: the customer's own language decides.
        page = self.url_open(
            f"/aftersales/approval/{self.priced.id}?access_token={token}",
            headers={"Accept-Language": ""},
        )
        self.assertEqual(page.status_code, 200)
        html = lxml.html.fromstring(page.text)
        self.assertEqual(html.get("dir"), "rtl")
        self.assertEqual(html.get("lang"), "fa-IR")
        self.assertIn("تأیید کار", page.text)  # "Approve the work"
        # The prefix of the URL wins over the customer's language.
        english = self.url_open(
            f"/en/aftersales/approval/{self.priced.id}?access_token={token}"
        )
        self.assertEqual(english.status_code, 200)
        self.assertEqual(lxml.html.fromstring(english.text).get("dir"), "ltr")
        self.assertIn("Approve the work", english.text)

    def test_persian_link_lays_out_right_to_left_tour(self):
        self._install_lang("fa_IR")
        self.customer.lang = "fa_IR"
        token = self.priced._portal_ensure_token()
        self.start_tour(
            f"/aftersales/approval/{self.priced.id}?access_token={token}",
            "portal_rtl_tour",
        )

    def test_persian_portal_user_reads_right_to_left(self):
        self._install_lang("fa_IR")
        self.user_portal.lang = "fa_IR"
        self.authenticate("portal_customer", "portal_customer")
        page = self.url_open(f"/my/service-orders/{self.priced.id}")
        self.assertEqual(page.status_code, 200)
        html = lxml.html.fromstring(page.text)
        self.assertEqual(html.get("dir"), "rtl")
        self.assertEqual(html.get("lang"), "fa-IR")
        self.assertIn("رد کردن", page.text)  # "Reject"
        # The order's reference keeps its own direction inside Persian text.
        self.assertTrue(
            html.xpath("//bdi[@dir='ltr'][normalize-space()='WO/2026/00016']")
        )

    def test_service_form_in_the_customers_language_and_direction(self):
        self._install_lang("fa_IR")
        self.customer.lang = "fa_IR"
        self.authenticate("portal_customer", "portal_customer")
        # The form is laid out in the customer's language and direction.
        report = self.url_open(f"/my/service-orders/{self.done.id}?report_type=html")
        self.assertEqual(report.status_code, 200)
        page = _by_class(lxml.html.fromstring(report.text), "page")[0]
        self.assertEqual(page.get("dir"), "rtl")
        self.assertTrue(
            page.xpath(f".//bdi[@dir='ltr'][normalize-space()='{self.done.name}']")
        )

    def test_turkish_portal_user_gets_turkish_without_prefix(self):
        self._install_lang("tr_TR")
        self.user_portal.lang = "tr_TR"
        self.authenticate("portal_customer", "portal_customer")
        # The browser kept the language of pages seen before logging in.
        self.opener.cookies.set("frontend_lang", "en_US")
        page = self.url_open("/my/service-orders")
        self.assertEqual(page.status_code, 200)
        html = lxml.html.fromstring(page.text)
        self.assertEqual(html.get("lang"), "tr-TR")
        self.assertIn("Ürün", page.text)  # "Product"
        # Switching through the footer (a URL prefix) holds for the session.
        self.url_open("/en/my/service-orders")
        again = self.url_open("/my/service-orders")
        self.assertEqual(lxml.html.fromstring(again.text).get("lang"), "en-US")

    # ------------------------------------------------------------
    # Times
    # ------------------------------------------------------------

    def test_appointment_in_the_customers_zone_without_seconds(self):
        self.user_portal.tz = "Europe/Istanbul"
        later = fields.Datetime.now().replace(microsecond=0) + timedelta(days=3)
        later = later.replace(hour=7, minute=0, second=0)
        self.awaiting.sudo().write({"scheduled_date": later, "state": "accepted"})
        self.authenticate("portal_customer", "portal_customer")
        page = self.url_open(f"/my/service-orders/{self.awaiting.id}")
        box = _appointment_box(page.text)
        text = box.text_content().strip()
        self.assertIn("10:00", text)  # 07:00 UTC is 10:00 in İstanbul
        self.assertNotIn("10:00:00", text)
        self.assertIn("Europe/Istanbul", page.text)
        self.assertIn("o_aftersales_appointment_upcoming", box.get("class"))

    def test_past_appointment_is_not_told_as_to_come(self):
        past = datetime.now().replace(microsecond=0) - timedelta(hours=5)
        self.awaiting.sudo().write({"scheduled_date": past, "state": "accepted"})
        self.authenticate("portal_customer", "portal_customer")
        page = self.url_open(f"/my/service-orders/{self.awaiting.id}")
        box = _appointment_box(page.text)
        self.assertIn("o_aftersales_appointment_past", box.get("class"))
        self.assertIn("did not take place yet", box.text_content())

    def test_preferred_time_is_repeated_until_scheduled(self):
        self.user_portal.tz = "Europe/Istanbul"
        self.authenticate("portal_customer", "portal_customer")
        response = self._post(
            "/my/service-orders/new",
            {
                "lot_id": str(self.my_lot.id),
                "service_type_id": str(self.type_repair.id),
                "description": "It leaks.",
                "preferred_date": "2030-12-03T10:00",
            },
        )
        self.assertEqual(response.status_code, 303)
        page = self.url_open(response.headers["Location"])
        box = _appointment_box(page.text)
        self.assertIn("o_aftersales_appointment_requested", box.get("class"))
        self.assertIn("10:00", box.text_content())
        self.assertIn("you asked for", box.text_content())

    # ------------------------------------------------------------
    # Request form and labels
    # ------------------------------------------------------------

    def test_request_at_one_of_my_addresses_with_my_phone(self):
        home = self.env["res.partner"].create(
            {
                "name": "Summer house",
                "type": "delivery",
                "parent_id": self.customer.id,
                "street": "Sahil Yolu 5",
                "city": "Bodrum",
                "phone": "+90 532 000 00 05",
            }
        )
        stranger = self.env["res.partner"].create(
            {"name": "Not mine", "street": "Elsewhere 1", "city": "Ankara"}
        )
        self.authenticate("portal_customer", "portal_customer")
        form = self.url_open("/my/service-orders/new")
        self.assertIn("Sahil Yolu 5", form.text)
        self.assertNotIn("Elsewhere 1", form.text)
        self.assertIn("+90 532 000 00 05", form.text)
        self.assertIn("o_aftersales_unit_other", form.text)
        before = self._orders_of(self.customer)
        values = {
            "lot_id": str(self.my_lot.id),
            "service_type_id": str(self.type_repair.id),
            "description": "It leaks.",
        }
        self._post(
            "/my/service-orders/new",
            dict(values, address_id=str(home.id), phone="+90 532 111 22 33"),
        )
        order = self._orders_of(self.customer) - before
        self.assertEqual(order.address_id, home)
        self.assertEqual(order.phone, "+90 532 111 22 33")
        # Someone else's address is not taken: the default one is.
        self._post("/my/service-orders/new", dict(values, address_id=str(stranger.id)))
        other = self._orders_of(self.customer) - before - order
        self.assertEqual(len(other), 1)
        self.assertNotEqual(other.address_id, stranger)

    def test_my_products_labels_and_home_cards(self):
        unwarranted = self.env["stock.lot"].create(
            {"name": "TPW-0003", "product_id": self.portal_product.id}
        )
        self._order_in_state(
            "done", product_id=self.portal_product.id, lot_id=unwarranted.id
        )
        self.authenticate("portal_customer", "portal_customer")
        page = self.url_open("/my/service-products")
        self.assertIn("No warranty", page.text)
        self.assertIn("My Products", page.text)
        unit = self.url_open(f"/my/service-products/{self.my_lot.id}")
        crumbs = lxml.html.fromstring(unit.text).xpath(
            "//ol[contains(@class, 'breadcrumb')]"
        )
        self.assertIn("My Products", crumbs[0].text_content())
        home = self.url_open("/my/home")
        self.assertNotIn("/aftersales/static/description/icon.png", home.text)
        for name in ("portal_service_orders", "portal_products"):
            self.assertIn(f"/aftersales/static/src/img/{name}.svg", home.text)
            svg = self.url_open(f"/aftersales/static/src/img/{name}.svg")
            self.assertEqual(svg.status_code, 200)
            self.assertIn('width="64"', svg.text)

    def test_request_form_hides_the_serial_for_my_products_tour(self):
        self.start_tour(
            "/my/service-orders/new",
            "portal_request_form_tour",
            login="portal_customer",
        )

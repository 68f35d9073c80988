import base64

from odoo import Command, http
from odoo.exceptions import UserError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import PIXEL_PNG, AftersalesCommon


class PortalCommon(HttpCase, AftersalesCommon):
    """Two customers with portal logins; the first owns a serial under
    warranty, an order awaiting approval and a completed one."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.email = "customer@example.com"
        cls.user_portal = new_test_user(
            cls.env,
            "portal_customer",
            groups="base.group_portal",
            partner_id=cls.customer.id,
        )
        cls.other_customer = cls.env["res.partner"].create(
            {"name": "Other Customer", "email": "other@example.com"}
        )
        cls.user_other = new_test_user(
            cls.env,
            "portal_other",
            groups="base.group_portal",
            partner_id=cls.other_customer.id,
        )
        cls.type_repair = cls.env["aftersales.service.type"].create(
            {"name": "Tour Portal Repair", "code": "TPR", "approval_required": True}
        )
        cls.center_a1.service_type_ids = [Command.link(cls.type_repair.id)]
        cls.portal_product = cls.env["product.product"].create(
            {
                "name": "Tour Portal Washer",
                "type": "consu",
                "tracking": "serial",
                "default_code": "TPW",
            }
        )
        cls.my_lot = cls.env["stock.lot"].create(
            {"name": "TPW-0001", "product_id": cls.portal_product.id}
        )
        cls.other_lot = cls.env["stock.lot"].create(
            {"name": "TPW-0002", "product_id": cls.portal_product.id}
        )
        warranty_type = cls.env["aftersales.warranty.type"].create(
            {"name": "Tour Warranty", "duration": 24}
        )
        Warranty = cls.env["aftersales.warranty"]
        for lot, partner in (
            (cls.my_lot, cls.customer),
            (cls.other_lot, cls.other_customer),
        ):
            warranty = Warranty.create(
                {
                    "lot_id": lot.id,
                    "partner_id": partner.id,
                    "warranty_type_id": warranty_type.id,
                }
            )
            warranty.action_activate()
        cls.awaiting = cls._order_in_state(
            "awaiting_approval",
            service_type_id=cls.type_repair.id,
            product_id=cls.portal_product.id,
            lot_id=cls.my_lot.id,
        )
        cls.awaiting.name = "TOUR-AWAITING"
        cls.done = cls._order_in_state("done")
        cls.others = cls._order_in_state(
            "in_progress",
            partner_id=cls.other_customer.id,
            product_id=cls.portal_product.id,
            lot_id=cls.other_lot.id,
        )
        cls.others.name = "OTHER-ORDER"

    def _post(self, url, data, files=None):
        return self.url_open(
            url,
            data={"csrf_token": http.Request.csrf_token(self), **data},
            files=files,
            allow_redirects=False,
        )

    def _orders_of(self, partner):
        return self.env["aftersales.order"].search([("partner_id", "=", partner.id)])


@tagged("post_install", "-at_install")
class TestCustomerPortal(PortalCommon):
    def test_my_service_orders_lists_only_mine(self):
        self.authenticate("portal_customer", "portal_customer")
        page = self.url_open("/my/service-orders")
        self.assertEqual(page.status_code, 200)
        self.assertIn("TOUR-AWAITING", page.text)
        self.assertIn(self.done.name, page.text)
        self.assertNotIn("OTHER-ORDER", page.text)
        searched = self.url_open("/my/service-orders?search=TPW-0001&filterby=approval")
        self.assertIn("TOUR-AWAITING", searched.text)
        self.assertNotIn(self.done.name, searched.text)
        home = self.url_open("/my/home")
        self.assertIn("My Service Orders", home.text)

    def test_order_page_shows_the_timeline_and_contacts(self):
        self.authenticate("portal_customer", "portal_customer")
        page = self.url_open(f"/my/service-orders/{self.awaiting.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Work started", page.text)
        self.assertIn(self.center_a1.name, page.text)
        self.assertIn("Is the work done to your satisfaction?", page.text)
        html = self.url_open(f"/my/service-orders/{self.awaiting.id}?report_type=html")
        self.assertEqual(html.status_code, 200)
        self.assertIn("Service form", html.text)

    def test_another_customers_order_is_not_found(self):
        self.authenticate("portal_customer", "portal_customer")
        by_id = self.url_open(f"/my/service-orders/{self.others.id}")
        self.assertEqual(by_id.status_code, 404)
        by_token = self.url_open(
            f"/my/service-orders/{self.others.id}?access_token=wrong-token"
        )
        self.assertEqual(by_token.status_code, 404)
        pdf = self.url_open(f"/my/service-orders/{self.others.id}?report_type=pdf")
        self.assertEqual(pdf.status_code, 404)
        # The token of another order does not open this one.
        token = self.awaiting._portal_ensure_token()
        self.assertEqual(
            self.url_open(
                f"/my/service-orders/{self.others.id}?access_token={token}"
            ).status_code,
            404,
        )

    def test_the_order_token_opens_it_without_login(self):
        # The token serves the approval request (security review F13): it
        # opens the order while the customer's decision is awaited, and
        # nothing outside a request, though Odoo's portal mints one.
        token = self.others._portal_ensure_token()
        url = f"/my/service-orders/{self.others.id}?access_token={token}"
        self.assertEqual(self.url_open(url).status_code, 404)
        self.others.sudo().state = "awaiting_approval"
        page = self.url_open(url)
        self.assertEqual(page.status_code, 200)
        self.assertIn("OTHER-ORDER", page.text)

    def test_portal_users_read_only_their_records(self):
        Order = self.env["aftersales.order"].with_user(self.user_portal)
        self.assertEqual(Order.search([]), self.awaiting | self.done)
        Warranty = self.env["aftersales.warranty"].with_user(self.user_portal)
        self.assertEqual(Warranty.search([]).lot_id, self.my_lot)

    def test_my_products_with_warranty_and_history(self):
        self.authenticate("portal_customer", "portal_customer")
        page = self.url_open("/my/service-products")
        self.assertIn("TPW-0001", page.text)
        self.assertNotIn("TPW-0002", page.text)
        unit = self.url_open(f"/my/service-products/{self.my_lot.id}")
        self.assertIn("Tour Warranty", unit.text)
        self.assertIn("TOUR-AWAITING", unit.text)
        other = self.url_open(
            f"/my/service-products/{self.other_lot.id}", allow_redirects=False
        )
        self.assertEqual(other.status_code, 404)


@tagged("post_install", "-at_install")
class TestServiceRequest(PortalCommon):
    def _request(self, files=None, **data):
        values = {
            "lot_id": str(self.my_lot.id),
            "service_type_id": str(self.type_repair.id),
            "description": "It leaks.",
            **data,
        }
        return self._post("/my/service-orders/new", values, files=files)

    def test_request_with_photo(self):
        self.authenticate("portal_customer", "portal_customer")
        before = self._orders_of(self.customer)
        response = self._request(
            files={"photos": ("leak.png", base64.b64decode(PIXEL_PNG), "image/png")},
            preferred_date="2030-01-15T10:30",
        )
        self.assertEqual(response.status_code, 303)
        order = self._orders_of(self.customer) - before
        self.assertEqual(len(order), 1)
        self.assertIn(f"/my/service-orders/{order.id}", response.headers["Location"])
        self.assertEqual(order.channel, "portal")
        self.assertEqual(order.lot_id, self.my_lot)
        self.assertEqual(order.state, "new")
        self.assertEqual(len(order.media_ids), 1)
        self.assertTrue(order.media_ids.visible_to_customer)
        # The customer's time zone is UTC here.
        self.assertEqual(str(order.date_requested), "2030-01-15 10:30:00")

    def test_request_by_serial_or_product_code(self):
        self.authenticate("portal_customer", "portal_customer")
        before = self._orders_of(self.customer)
        self.assertEqual(self._request(lot_id="", serial="TWM-0001").status_code, 303)
        self.assertEqual(self._request(lot_id="", product_code="tpw").status_code, 303)
        new = self._orders_of(self.customer) - before
        self.assertEqual(new.mapped("lot_id"), self.lot)
        self.assertEqual(len(new), 2)

    def test_bad_requests_create_nothing(self):
        self.authenticate("portal_customer", "portal_customer")
        before = self.env["aftersales.order"].search_count([])
        cases = [
            ({"lot_id": str(self.other_lot.id)}, "not one of yours"),
            ({"lot_id": "abc"}, "not one of yours"),
            ({"lot_id": "", "serial": "NO-SUCH"}, "No product with serial"),
            ({"description": "  "}, "Describe the problem"),
            ({"service_type_id": "999999"}, "Choose the kind of service"),
            ({"preferred_date": "2001-01-01T10:00"}, "in the past"),
            ({"preferred_date": "tomorrow"}, "not valid"),
        ]
        for data, message in cases:
            with self.subTest(data=data):
                response = self._request(**data)
                self.assertEqual(response.status_code, 400)
                self.assertIn(message, response.text)
        # A file that is not an image: the whole request is refused.
        response = self._request(
            files={"photos": ("leak.png", b"#!/bin/sh\necho hi\n", "image/png")}
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.env["aftersales.order"].search_count([]), before)

    def test_a_refused_photo_leaves_no_order_in_the_model(self):
        """The model keeps the request whole on its own: no caller needs a
        savepoint so that a refused photo does not leave the order behind."""
        Order = self.env["aftersales.order"].with_user(self.user_portal)
        before = self.env["aftersales.order"].search_count([])
        # Not assertRaises: Odoo's rolls back to a savepoint of its own.
        refused = None
        try:
            Order._portal_create_request(
                self.customer,
                {
                    "lot_id": self.my_lot.id,
                    "service_type_id": self.type_repair.id,
                    "description": "It leaks.",
                },
                [("leak.png", b"#!/bin/sh\necho hi\n")],
            )
        except (UserError, ValidationError) as error:
            refused = error
        self.assertTrue(refused)
        self.assertEqual(self.env["aftersales.order"].search_count([]), before)

    def test_writes_need_the_csrf_token(self):
        self.authenticate("portal_customer", "portal_customer")
        response = self.url_open(
            "/my/service-orders/new",
            data={"lot_id": str(self.my_lot.id), "description": "x"},
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            self.url_open("/my/service-orders/new", allow_redirects=False).status_code,
            200,
        )

    def test_public_users_are_sent_to_login(self):
        response = self.url_open("/my/service-orders/new", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertIn("/web/login", response.headers["Location"])

    def test_rating_from_the_portal(self):
        self.authenticate("portal_customer", "portal_customer")
        url = f"/my/service-orders/{self.done.id}/rate"
        self.assertIn(
            "error=rating", self._post(url, {"rating": "9"}).headers["Location"]
        )
        response = self._post(url, {"rating": "4", "feedback": "Good"})
        self.assertIn("message=rated", response.headers["Location"])
        self.assertEqual(self.done.rating_last_value, 4)
        again = self._post(url, {"rating": "1"})
        self.assertIn("already_rated", again.headers["Location"])
        self.assertEqual(self.done.rating_last_value, 4)
        others = self._post(
            f"/my/service-orders/{self.others.id}/rate", {"rating": "1"}
        )
        self.assertEqual(others.status_code, 404)

    def test_approval_from_the_portal(self):
        self.authenticate("portal_customer", "portal_customer")
        response = self._post(
            f"/aftersales/approval/{self.awaiting.id}/decide",
            {
                "access_token": self.awaiting._portal_ensure_token(),
                "decision": "approve",
                "redirect": "portal",
            },
        )
        self.assertEqual(response.status_code, 303)
        self.assertIn(
            f"/my/service-orders/{self.awaiting.id}?message=thanks",
            response.headers["Location"],
        )
        self.assertEqual(self.awaiting.state, "done")
        self.assertEqual(self.awaiting.approval_ids.channel, "portal")

    def test_customer_tour(self):
        self.start_tour(
            "/my/service-orders?debug=tests",
            "aftersales_portal_customer_tour",
            login="portal_customer",
        )
        request = self._orders_of(self.customer).filtered(
            lambda o: o.channel == "portal"
        )
        self.assertEqual(len(request), 1)
        self.assertEqual(request.lot_id, self.my_lot)
        self.assertEqual(len(request.media_ids), 1)
        self.assertEqual(self.awaiting.state, "done")
        self.assertEqual(self.awaiting.rating_last_value, 5)

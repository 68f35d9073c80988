import io

import xlsxwriter

from odoo.tests import new_test_user, tagged

from .test_portal import PortalCommon


@tagged("post_install", "-at_install")
class TestDealerPortal(PortalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dealer = cls.env["res.partner"].create(
            {
                "name": "Bursa Appliance Store",
                "is_company": True,
                "aftersales_is_dealer": True,
            }
        )
        cls.dealer_contact = cls.env["res.partner"].create(
            {"name": "Store Clerk", "parent_id": cls.dealer.id}
        )
        cls.user_dealer = new_test_user(
            cls.env,
            "portal_dealer",
            groups="base.group_portal",
            partner_id=cls.dealer_contact.id,
        )
        cls.type_dealer_repair = cls.env["aftersales.service.type"].create(
            {"name": "Tour Dealer Repair", "code": "TDR"}
        )
        cls.dealer_type = cls.env["aftersales.warranty.type"].create(
            {"name": "Dealer Warranty", "duration": 2}
        )
        cls.portal_product.product_tmpl_id.aftersales_warranty_type_id = cls.dealer_type
        Order = cls.env["aftersales.order"]
        cls.warranty_1 = Order._dealer_register_sale(
            cls.dealer,
            {
                "customer_name": "Dealer Customer One",
                "phone": "+905551000001",
                "product_code": "TPW",
                "serial": "DLR-0001",
            },
        )
        cls.warranty_2 = Order._dealer_register_sale(
            cls.dealer,
            {
                "customer_name": "Dealer Customer Two",
                "email": "two@example.com",
                "product_code": "TPW",
                "serial": "DLR-0002",
            },
        )
        cls.warranty_3 = Order._dealer_register_sale(
            cls.dealer,
            {
                "customer_name": "Dealer Customer Two",
                "email": "two@example.com",
                "product_code": "TPW",
                "serial": "DLR-0003",
            },
        )
        cls.desk = cls._create_center(
            "Store Desk",
            cls.company,
            receives_units=True,
            branch_partner_id=cls.dealer.id,
        )

    def test_register_sale_starts_a_warranty(self):
        self.authenticate("portal_dealer", "portal_dealer")
        response = self._post(
            "/my/dealer/sales",
            {
                "customer_name": "New Buyer",
                "phone": "+905551000009",
                "city": "Bursa",
                "product_code": "tpw",
                "serial": "DLR-0099",
                "sale_date": "2026-11-01",
            },
        )
        self.assertEqual(response.status_code, 303)
        warranty = self.env["aftersales.warranty"].search(
            [("lot_id.name", "=", "DLR-0099")]
        )
        self.assertEqual(warranty.state, "active")
        self.assertEqual(str(warranty.date_start), "2026-11-01")
        self.assertEqual(warranty.dealer_id, self.dealer)
        self.assertEqual(warranty.partner_id.aftersales_dealer_id, self.dealer)
        self.assertIn(warranty.card_number, response.headers["Location"])
        # The same serial twice, a future date, an unknown product: refused.
        for data, message in (
            ({"serial": "DLR-0099"}, "already registered"),
            ({"serial": "DLR-0100", "sale_date": "2099-01-01"}, "in the future"),
            ({"serial": "DLR-0101", "product_code": "NOPE"}, "No product"),
            ({"serial": "DLR-0102", "sale_date": "yesterday"}, "not valid"),
        ):
            with self.subTest(data=data):
                again = self._post(
                    "/my/dealer/sales",
                    {"customer_name": "New Buyer", "product_code": "TPW", **data},
                )
                self.assertEqual(again.status_code, 400)
                self.assertIn(message, again.text)

    def test_bulk_requests_valid_rows_and_reasons(self):
        self.authenticate("portal_dealer", "portal_dealer")
        before = self.env["aftersales.order"].search_count([])
        response = self._post(
            "/my/dealer/requests",
            {
                "rows": "DLR-0001;TDR;Does not drain\n"
                f"{self.warranty_2.card_number};Tour Dealer Repair;Noisy\n"
                "TPW-0001;TDR;Not the dealer's customer\n"
                "DLR-0001;TDR;Twice\n"
                "DLR-0003;XXX;Unknown type",
                "desk_id": str(self.desk.id),
            },
        )
        self.assertEqual(response.status_code, 200)
        orders = self.env["aftersales.order"].search(
            [("dealer_id", "=", self.dealer.id)]
        )
        self.assertEqual(len(orders), 2)
        self.assertEqual(self.env["aftersales.order"].search_count([]), before + 2)
        self.assertEqual(set(orders.mapped("channel")), {"dealer"})
        self.assertEqual(orders.center_id, self.desk)
        self.assertEqual(
            orders.partner_id, self.warranty_1.partner_id | self.warranty_2.partner_id
        )
        for reason in (
            "Not a unit registered by you",
            "Listed twice",
            "Unknown service type",
        ):
            self.assertIn(reason, response.text)

    def test_bulk_requests_from_a_spreadsheet(self):
        self.authenticate("portal_dealer", "portal_dealer")
        buffer = io.BytesIO()
        workbook = xlsxwriter.Workbook(buffer)
        sheet = workbook.add_worksheet()
        sheet.write_row(0, 0, ["Serial", "Service", "Problem"])
        sheet.write_row(1, 0, ["DLR-0001", "TDR", "Leaks"])
        sheet.write_row(2, 0, ["DLR-0002", "TDR", ""])
        workbook.close()
        response = self._post(
            "/my/dealer/requests",
            {"rows": ""},
            files={
                "file": ("units.xlsx", buffer.getvalue(), "application/octet-stream")
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("No problem described", response.text)
        orders = self.env["aftersales.order"].search(
            [("dealer_id", "=", self.dealer.id)]
        )
        self.assertEqual(orders.lot_id.mapped("name"), ["DLR-0001"])

    def test_nothing_valid_is_a_400(self):
        self.authenticate("portal_dealer", "portal_dealer")
        response = self._post("/my/dealer/requests", {"rows": "NOPE;TDR;x"})
        self.assertEqual(response.status_code, 400)
        empty = self._post("/my/dealer/requests", {"rows": "   "})
        self.assertEqual(empty.status_code, 400)
        self.assertIn("The list is empty", empty.text)

    def test_dealers_see_only_their_customers(self):
        order = (
            self.env["aftersales.order"]
            .sudo()
            ._dealer_create_requests(
                self.dealer,
                self.env["aftersales.order"]._dealer_validate_rows(
                    self.dealer, [(1, ["DLR-0001", "TDR", "Leaks"])]
                ),
            )
        )
        Order = self.env["aftersales.order"].with_user(self.user_dealer)
        self.assertEqual(Order.search([]), order)
        Warranty = self.env["aftersales.warranty"].with_user(self.user_dealer)
        self.assertEqual(
            Warranty.search([]), self.warranty_1 | self.warranty_2 | self.warranty_3
        )
        # Found by e-mail: the second sale to the same customer.
        self.assertEqual(self.warranty_3.partner_id, self.warranty_2.partner_id)
        self.authenticate("portal_dealer", "portal_dealer")
        listing = self.url_open("/my/service-orders")
        self.assertIn(order.name, listing.text)
        self.assertNotIn("TOUR-AWAITING", listing.text)
        products = self.url_open("/my/service-products")
        self.assertIn("DLR-0001", products.text)
        self.assertNotIn("TPW-0001", products.text)
        self.assertEqual(
            self.url_open(f"/my/service-orders/{self.awaiting.id}").status_code, 404
        )

    def test_customers_have_no_dealer_desk(self):
        self.authenticate("portal_customer", "portal_customer")
        self.assertEqual(self.url_open("/my/dealer").status_code, 404)
        response = self._post("/my/dealer/requests", {"rows": "DLR-0001;TDR;x"})
        self.assertEqual(response.status_code, 404)
        self.assertFalse(
            self.env["aftersales.order"].search([("lot_id.name", "=", "DLR-0001")])
        )

    def test_dealer_bulk_tour(self):
        self.start_tour(
            "/my/dealer?debug=tests",
            "aftersales_dealer_bulk_tour",
            login="portal_dealer",
        )
        orders = self.env["aftersales.order"].search(
            [("dealer_id", "=", self.dealer.id)]
        )
        self.assertEqual(sorted(orders.lot_id.mapped("name")), ["DLR-0001", "DLR-0002"])

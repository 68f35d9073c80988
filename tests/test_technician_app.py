from odoo.tests import HttpCase, new_test_user, tagged

from .common import AftersalesCommon


@tagged("post_install", "-at_install")
class TestTechnicianApp(HttpCase, AftersalesCommon):
    browser_size = "390x844"
    touch_enabled = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product.name = "Tour Offline Washer"
        cls.order = cls._order_in_state("accepted")
        cls.other = cls._order_in_state(
            "accepted", center=cls.center_a2, technician=cls.technician_a2
        )

    def test_job_list_is_the_technicians(self):
        self.authenticate("as_tech_a1", "as_tech_a1")
        data = self.url_open("/my/technician/orders.json").json()
        self.assertEqual([o["id"] for o in data["orders"]], [self.order.id])
        self.assertEqual(data["orders"][0]["steps"], ["start_travel", "start"])
        page = self.url_open("/my/technician")
        self.assertEqual(page.status_code, 200)
        self.assertIn('rel="manifest"', page.text)
        manifest = self.url_open("/my/technician/manifest.webmanifest").json()
        self.assertEqual(manifest["start_url"], "/my/technician")
        worker = self.url_open("/my/technician/sw.js")
        self.assertEqual(worker.headers["Service-Worker-Allowed"], "/my/technician")

    def test_not_for_customers(self):
        self.authenticate(None, None)
        anonymous = self.url_open("/my/technician/orders.json", allow_redirects=False)
        self.assertEqual(anonymous.status_code, 303)
        self.assertIn("/web/login", anonymous.headers["Location"])
        customer = self.env["res.partner"].create({"name": "Portal Customer"})
        new_test_user(
            self.env,
            "tech_app_portal",
            groups="base.group_portal",
            partner_id=customer.id,
        )
        self.authenticate("tech_app_portal", "tech_app_portal")
        self.assertEqual(self.url_open("/my/technician/orders.json").status_code, 404)
        self.assertEqual(self.url_open("/my/technician").status_code, 404)

    def test_offline_tour(self):
        self.start_tour(
            "/my/technician?debug=tests",
            "aftersales_technician_app_tour",
            login="as_tech_a1",
        )
        self.assertEqual(self.order.state, "done")
        self.assertEqual(len(self.order.media_ids), 1)
        self.assertIn(
            "Replaced the drain pump", self.order.visit_ids.mapped("work_done")
        )
        actions = self.env["aftersales.sync.action"].search(
            [("order_id", "=", self.order.id)]
        )
        # Exactly once each: on the way, start, note, photo, complete.
        self.assertEqual(
            sorted(actions.mapped("kind")),
            sorted(["start_travel", "start", "worklog", "photo", "done"]),
        )
        self.assertEqual(set(actions.mapped("state")), {"applied"})
        self.assertEqual(self.other.state, "accepted")

    def test_customer_approves_on_the_phone(self):
        labour = self.env["product.product"].create(
            {"name": "Tour Labour", "type": "service", "lst_price": 40.0}
        )
        repair_type = self.env["aftersales.service.type"].create(
            {
                "name": "App Repair",
                "code": "APR",
                "approval_required": True,
                "labour_product_id": labour.id,
            }
        )
        self.center_a1.service_type_ids = [(4, repair_type.id)]
        self.order.action_cancel("Replaced by the job below")
        order = self._order_in_state(
            "awaiting_approval", service_type_id=repair_type.id
        )
        self.start_tour(
            "/my/technician?debug=tests",
            "aftersales_technician_app_approval_tour",
            login="as_tech_a1",
        )
        self.assertEqual(order.state, "done")
        self.assertEqual(order.approval_ids.signed_by, "Ayse Demir")
        self.assertIn("Tour Labour", order._get_approval_page_lines()[0][0])
        self.assertTrue(order.approval_ids.signature)

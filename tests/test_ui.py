from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestUi(HttpCase):
    """The dispatcher's main flow in a real browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dispatcher = new_test_user(
            cls.env, "as_tour_dispatcher", groups="aftersales.group_dispatcher"
        )
        cls.env["res.partner"].create({"name": "Tour Customer", "city": "İstanbul"})
        cls.env["product.product"].create({"name": "Tour Fridge", "type": "consu"})
        service_type = cls.env["aftersales.service.type"].create(
            {"name": "Tour Repair", "code": "TOUR-REP"}
        )
        cls.center = cls.env["aftersales.center"].create(
            {
                "name": "Tour Center",
                "partner_id": cls.env["res.partner"]
                .create({"name": "Tour Center", "is_company": True})
                .id,
                "service_type_ids": [Command.link(service_type.id)],
            }
        )

    def test_dispatcher_registers_assigns_and_cancels(self):
        self.start_tour(
            "/odoo", "aftersales_dispatcher_order_tour", login="as_tour_dispatcher"
        )
        order = self.env["aftersales.order"].search(
            [("partner_id.name", "=", "Tour Customer")]
        )
        self.assertEqual(len(order), 1)
        self.assertEqual(order.center_id, self.center)
        self.assertEqual(order.state, "cancelled")
        self.assertEqual(order.cancel_reason, "The customer bought a new fridge")
        self.assertEqual(order.create_uid, self.dispatcher)
        self.assertTrue(order.date_assigned)

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged

from .common import SMS_EVENTS_OFF


@tagged("post_install", "-at_install")
class TestTechnicianUi(HttpCase):
    """The technician's day on a phone, in the backend."""

    browser_size = "390x844"
    touch_enabled = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.write({"aftersales_auto_assign": False, **SMS_EVENTS_OFF})
        user = new_test_user(
            cls.env, "as_tour_technician", groups="aftersales.group_technician"
        )
        service_type = cls.env["aftersales.service.type"].create(
            {"name": "Tour Repair", "code": "TOUR-TECH"}
        )
        center = cls.env["aftersales.center"].create(
            {
                "name": "Tour Center",
                "partner_id": cls.env["res.partner"]
                .create({"name": "Tour Center", "is_company": True})
                .id,
                "service_type_ids": [Command.link(service_type.id)],
            }
        )
        cls.technician = cls.env["aftersales.technician"].create(
            {"name": "Tour Technician", "center_id": center.id, "user_id": user.id}
        )
        cls.technician.action_create_van_location()
        cls.belt = cls.env["product.product"].create(
            {"name": "Tour Belt", "type": "consu", "is_storable": True}
        )
        cls.env["stock.quant"]._update_available_quantity(
            cls.belt, cls.technician.van_location_id, 4
        )
        cls.order = cls.env["aftersales.order"].create(
            {
                "partner_id": cls.env["res.partner"]
                .create({"name": "Tour Customer"})
                .id,
                "product_id": cls.env["product.product"]
                .create({"name": "Tour Washer", "type": "consu"})
                .id,
                "service_type_id": service_type.id,
                "center_id": center.id,
                "technician_id": cls.technician.id,
                "scheduled_date": fields.Datetime.now(),
            }
        )
        cls.order.action_assign()
        cls.order.action_accept()
        cls.order.action_start_travel()

    def test_technician_works_an_order_on_a_phone(self):
        self.start_tour(
            "/odoo", "aftersales_technician_order_tour", login="as_tour_technician"
        )
        order = self.order
        self.assertEqual(order.state, "done")
        self.assertEqual(order.media_ids.kind, "after")
        self.assertEqual(order.media_ids.mimetype, "image/png")
        self.assertEqual(order.media_ids.create_uid.login, "as_tour_technician")
        part = order.part_ids
        self.assertEqual((part.product_id, part.state), (self.belt, "done"))
        self.assertEqual(part.move_id.location_id, self.technician.van_location_id)
        self.assertEqual(
            self.env["stock.quant"]._get_available_quantity(
                self.belt, self.technician.van_location_id
            ),
            3,
        )
        self.assertFalse(order.visit_ids.running, "the visit stopped with the job")

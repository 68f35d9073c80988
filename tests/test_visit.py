from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import FieldCommon


@tagged("post_install", "-at_install")
class TestVisit(FieldCommon):
    """The technician's visits: time, fault found, work done, resolution."""

    def test_start_and_finish_time_the_visit(self):
        with freeze_time("2026-11-20 09:00:00"):
            order = self._repair_in_progress()
        visit = order.visit_ids
        self.assertEqual(len(visit), 1, "starting the work starts a visit")
        self.assertTrue(visit.running)
        self.assertEqual(visit.technician_id, self.technician_a1)
        with freeze_time("2026-11-20 10:30:00"):
            order.with_user(self.user_technician).action_done()
        self.assertFalse(visit.running)
        self.assertEqual(visit.duration, 1.5)
        self.assertEqual(order.worked_hours, 1.5)

    def test_several_visits_with_fault_work_and_resolution(self):
        with freeze_time("2026-11-20 09:00:00"):
            order = self._repair_in_progress()
        first = order.visit_ids
        as_tech = order.with_user(self.user_technician)
        with freeze_time("2026-11-20 09:45:00"):
            first.with_user(self.user_technician).write(
                {
                    "fault_found": "Control board burnt",
                    "work_done": "Diagnosed, board ordered",
                    "resolution_code_id": self.env.ref(
                        "aftersales.resolution_code_part_ordered"
                    ).id,
                }
            )
            as_tech.action_stop_visit()
        with freeze_time("2026-11-21 14:00:00"):
            as_tech.action_start_visit()
            as_tech.action_start_visit()  # a second tap starts nothing new
        self.assertEqual(order.visit_count, 2)
        second = order.visit_ids - first
        with freeze_time("2026-11-21 15:00:00"):
            second.with_user(self.user_technician).write(
                {
                    "work_done": "Board replaced",
                    "resolution_code_id": self.env.ref(
                        "aftersales.resolution_code_part_replaced"
                    ).id,
                }
            )
            as_tech.action_done()
        self.assertEqual(order.worked_hours, 1.75)
        self.assertEqual(
            order.resolution_code_id,
            self.env.ref("aftersales.resolution_code_part_replaced"),
            "the latest visit's",
        )

    def test_visit_recorded_afterwards_by_duration(self):
        order = self._repair_in_progress()
        order.visit_ids.unlink()
        visit = (
            self.env["aftersales.order.visit"]
            .with_user(self.user_technician)
            .create(
                {
                    "order_id": order.id,
                    "date_start": "2026-11-19 08:00:00",
                    "duration": 2.0,
                }
            )
        )
        self.assertFalse(visit.running)
        self.assertEqual(order.worked_hours, 2.0)
        with self.assertRaises(ValidationError):
            visit.write({"duration": 30})
        with self.assertRaises(ValidationError):
            visit.write({"date_end": "2026-11-18 08:00:00"})

    def test_visits_of_a_closed_order_are_kept(self):
        order = self._repair_in_progress()
        order.action_done()
        with self.assertRaisesRegex(UserError, "can no longer change"):
            order.visit_ids.with_user(self.user_technician).write({"duration": 5})
        with self.assertRaisesRegex(UserError, "are kept"):
            order.visit_ids.with_user(self.user_center).unlink()

    def test_technician_logs_only_their_own_orders(self):
        other = self._repair_in_progress()
        other.technician_id = self.technician_a1_bis
        with self.assertRaises(AccessError):
            self.env["aftersales.order.visit"].with_user(self.user_technician).create(
                {"order_id": other.id}
            )
        with self.assertRaises(AccessError):
            other.with_user(self.user_technician).action_start_visit()

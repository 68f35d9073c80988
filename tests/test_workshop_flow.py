"""Issue 19: the workshop flow end to end, as the users who run it."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import WorkshopCommon


@tagged("post_install", "-at_install")
class TestWorkshopFlow(WorkshopCommon):
    def test_receive_estimate_repair_check_hand_back(self):
        order = self._workshop_order()
        self.assertEqual(order.stage_id.state, "assigned")
        self.assertIn(order.stage_id.work_place, ("workshop", "both"))
        # The technician may not receive units: the desk does.
        with self.assertRaises(AccessError):
            order.with_user(self.user_technician).action_receive()
        order.with_user(self.user_center).action_receive()
        self.assertEqual(order.state, "accepted")
        self.assertEqual(order.workshop_state, "awaiting_estimate")
        self.assertEqual(len(order.pickup_code), 6)
        self.assertEqual(order.received_by_id, self.user_center)

        order.with_user(self.user_technician).action_send_estimate()
        self.assertEqual(order.state, "awaiting_approval")
        self.assertEqual(order.workshop_state, "estimate_sent")
        # Completing is blocked while the customer has not decided.
        with self.assertRaises(UserError):
            order.with_user(self.user_technician).action_done()

        order.with_user(self.user_dispatcher).action_accept_estimate()
        self.assertEqual(order.state, "in_progress")
        self.assertIn(order.workshop_state, ("repair", "waiting_parts"))
        # Accepted twice: refused, nothing changes.
        with self.assertRaises(UserError):
            order.with_user(self.user_dispatcher).action_accept_estimate()

        if order.workshop_state == "waiting_parts":
            order.with_user(self.user_technician).action_check_parts()
        order.with_user(self.user_technician).action_finish_repair()
        self.assertEqual(order.workshop_state, "awaiting_qc")
        self._qc_check(order, "pass")
        self.assertEqual(order.state, "done")
        self.assertEqual(order.workshop_state, "ready")
        self.assertEqual(order.workshop_outcome, "repaired")

        with self.assertRaisesRegex(UserError, "pickup code"):
            order.with_user(self.user_center).action_hand_back("000000")
        self.assertEqual(order.workshop_state, "ready")
        order.with_user(self.user_center).action_hand_back(
            order.pickup_code, signed_by="Ayşe"
        )
        self.assertEqual(order.workshop_state, "delivered")
        self.assertEqual(order.picked_up_by, "Ayşe")
        self.assertGreaterEqual(order.turnaround_hours, 0.0)

    def test_declined_estimate_goes_back_unrepaired(self):
        order = self._received_order()
        order.with_user(self.user_technician).action_send_estimate()
        order.with_user(self.user_dispatcher).action_reject_estimate("Too dear")
        self.assertEqual(order.workshop_state, "cost_rejected")
        order.with_user(self.user_center).action_close_unrepaired()
        self.assertEqual(order.state, "done")
        self.assertEqual(order.workshop_outcome, "unrepaired")
        self.assertEqual(order.workshop_state, "ready")

    def test_field_order_has_no_workshop_flow(self):
        order = self._order_in_state("assigned")
        self.assertFalse(order.workshop_state)
        with self.assertRaisesRegex(UserError, "not a workshop job"):
            order.with_user(self.user_center).action_receive()

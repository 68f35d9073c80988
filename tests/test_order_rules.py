from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.aftersales.models.aftersales_order.core import TRANSITIONS
from odoo.addons.aftersales.models.aftersales_order.states import ORDER_STATES

from .common import AftersalesCommon

TRANSITION_ARGS = {
    "reject": ("Because",),
    "cancel": ("Because",),
    "return": ("Because",),
}


@tagged("post_install", "-at_install")
class TestOrderRules(AftersalesCommon):
    """What the state machine refuses, and the rules that guard the data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # One order per state, shared by the table-driven tests below.
        cls.orders_by_state = {
            state: cls._order_in_state(state) for state, _label in ORDER_STATES
        }

    def _assert_forbidden(self, transition):
        allowed = TRANSITIONS[transition]["from"]
        forbidden = [state for state, _label in ORDER_STATES if state not in allowed]
        self.assertTrue(forbidden)
        for state in forbidden:
            order = self.orders_by_state[state]
            with self.subTest(transition=transition, state=state):
                before = self._snapshot(order)
                with self.assertRaisesRegex(UserError, "You cannot"):
                    getattr(order, f"action_{transition}")(
                        *TRANSITION_ARGS.get(transition, ())
                    )
                self.assertEqual(self._snapshot(order), before, "nothing changed")

    def test_forbidden_assign(self):
        self._assert_forbidden("assign")

    def test_forbidden_accept(self):
        self._assert_forbidden("accept")

    def test_forbidden_reject(self):
        self._assert_forbidden("reject")

    def test_forbidden_start_travel(self):
        self._assert_forbidden("start_travel")

    def test_forbidden_start(self):
        self._assert_forbidden("start")

    def test_forbidden_request_approval(self):
        self._assert_forbidden("request_approval")

    def test_forbidden_done(self):
        self._assert_forbidden("done")

    def test_forbidden_cancel(self):
        self._assert_forbidden("cancel")

    def test_forbidden_return(self):
        self._assert_forbidden("return")

    def test_can_be_flags_follow_state_and_group(self):
        for state, order in self.orders_by_state.items():
            for transition, rule in TRANSITIONS.items():
                with self.subTest(state=state, transition=transition):
                    self.assertEqual(order[rule["flag"]], state in rule["from"])
        order = self.orders_by_state["new"].with_user(self.user_dispatcher)
        self.assertTrue(order.can_be_assigned)
        self.assertTrue(order.can_be_cancelled)
        order_as_tech = self.orders_by_state["accepted"].with_user(self.user_technician)
        self.assertTrue(order_as_tech.can_be_started)
        self.assertFalse(order_as_tech.can_be_cancelled, "technicians cannot cancel")
        self.assertFalse(order_as_tech.can_be_rejected, "only the center rejects")

    def test_states_past_new_need_a_center(self):
        order = self.orders_by_state["accepted"]
        with self.assertRaisesRegex(ValidationError, "needs a service center"):
            order.center_id = False

    def test_technician_must_work_for_the_center(self):
        order = self._create_order(center_id=self.center_a1.id)
        with self.assertRaisesRegex(ValidationError, "works for Center A2"):
            order.technician_id = self.technician_a2

    def test_serial_must_belong_to_the_product(self):
        other_product = self.env["product.product"].create(
            {"name": "Other", "type": "consu"}
        )
        with self.assertRaisesRegex(ValidationError, "belongs to Test Washing Machine"):
            self._create_order(product_id=other_product.id)

    def test_only_new_or_cancelled_orders_can_be_deleted(self):
        for state in ("assigned", "in_progress", "done", "returned"):
            with (
                self.subTest(state=state),
                self.assertRaisesRegex(UserError, "can be deleted"),
            ):
                self.orders_by_state[state].unlink()
        self.orders_by_state["new"].unlink()
        self.orders_by_state["cancelled"].unlink()
        self.assertFalse(self.orders_by_state["new"].exists())

    def test_decision_only_on_finished_work(self):
        for state in (
            "new",
            "assigned",
            "accepted",
            "on_the_way",
            "done",
            "cancelled",
            "returned",
        ):
            with (
                self.subTest(state=state),
                self.assertRaisesRegex(UserError, "once the work is finished"),
            ):
                self.env["aftersales.approval"].create(
                    {"order_id": self.orders_by_state[state].id, "decision": "approved"}
                )

    def test_decision_is_evidence(self):
        order = self.orders_by_state["awaiting_approval"]
        approval = self.env["aftersales.approval"].create(
            {
                "order_id": order.id,
                "decision": "approved",
                "channel": "backend",
                "feedback": "Fine",
            }
        )
        self.assertEqual(approval.partner_id, self.customer)
        self.assertEqual(approval.user_id, self.env.user)
        self.assertIn("approved the work", order.message_ids[0].body)
        with self.assertRaisesRegex(UserError, "cannot be changed"):
            approval.decision = "rejected"
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            approval.unlink()
        self.assertEqual(approval.decision, "approved")


@tagged("post_install", "-at_install")
class TestDerivedFieldsOverRpc(AftersalesCommon):
    """What the warranty, the visits and the checks decide cannot be typed in
    by a technician through RPC (write() ignores readonly)."""

    def test_derived_fields_are_refused(self):
        order = self._order_in_state("in_progress")
        as_technician = order.with_user(self.user_technician)
        for vals in (
            {"qc_state": "passed"},
            {"parts_covered": True},
            {"labour_covered": True},
            {"under_warranty": True},
            {"worked_hours": 0.1},
            {"visit_count": 9},
        ):
            with self.subTest(vals=vals), self.assertRaises(UserError):
                as_technician.write(vals)
        with self.assertRaises(AccessError):
            as_technician.write({"service_type_id": self.type_install.id})

from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import AftersalesCommon


@tagged("post_install", "-at_install")
class TestOrderFlow(AftersalesCommon):
    """Every allowed transition of the contract, with what it records."""

    def test_create_defaults(self):
        order = self._create_order()
        self.assertEqual(order.state, "new")
        self.assertEqual(order.channel, "backend")
        self.assertRegex(order.name, r"^WO/\d{4}/\d{5}$")
        self.assertNotEqual(order.name, self._create_order().name)
        self.assertEqual(order.address_id, self.customer)
        self.assertEqual(order.phone, "+905301112233")
        self.assertEqual(order.scheduled_duration, 0.5, "from the service type")
        self.assertEqual(order.product_categ_id, self.categ_appliance)

    def test_address_defaults_to_delivery_address(self):
        delivery = self.env["res.partner"].create(
            {
                "name": "Summer house",
                "parent_id": self.customer.id,
                "type": "delivery",
                "city": "Bodrum",
                "phone": "+905309998877",
            }
        )
        order = self._create_order()
        self.assertEqual(order.address_id, delivery)
        self.assertEqual(order.city, "Bodrum")
        self.assertEqual(order.phone, "+905309998877")

    def test_assign(self):
        order = self._create_order(center_id=self.center_a1.id)
        order.action_assign()
        self.assertEqual(order.state, "assigned")
        self.assertTrue(order.date_assigned)

    def test_assign_without_candidate_stays_new_for_a_dispatcher(self):
        self.customer.state_id = self.state_ankara  # no center covers Ankara
        order = self._create_order()
        action = order.action_assign()
        self.assertEqual(action["params"]["title"], "No service center available")
        self.assertEqual(order.state, "new")
        self.assertFalse(order.center_id)
        self.assertTrue(order.needs_dispatch)
        self.assertEqual(
            order.activity_ids.activity_type_id,
            self.env.ref("aftersales.mail_activity_type_dispatch"),
        )

    def test_accept(self):
        order = self._order_in_state("assigned")
        order.action_accept()
        self.assertEqual(order.state, "accepted")
        self.assertTrue(order.date_accepted)

    def test_reject_from_assigned_and_accepted(self):
        for state in ("assigned", "accepted"):
            with self.subTest(state=state):
                order = self._order_in_state(state)
                order.action_reject("  No technician free this week  ")
                self.assertEqual(order.state, "new")
                self.assertFalse(order.center_id)
                self.assertFalse(order.technician_id)
                self.assertEqual(order.reject_reason, "No technician free this week")
                self.assertEqual(order.rejected_center_ids, self.center_a1)
                self.assertIn(
                    "No technician free this week",
                    order.message_ids[0].body,
                    "the reason is in the chatter",
                )

    def test_rejected_center_cannot_be_assigned_again(self):
        order = self._order_in_state("assigned")
        order.action_reject("Too far")
        self.assertTrue(
            order.needs_dispatch, "without automatic assignment, a dispatcher decides"
        )
        order.center_id = self.center_a1
        with self.assertRaisesRegex(UserError, "already rejected"):
            order.action_assign()
        order.center_id = self.center_a2
        order.action_assign()
        self.assertEqual(order.state, "assigned")
        self.assertFalse(order.needs_dispatch)
        self.assertFalse(order.activity_ids, "the dispatcher's to-do is done")
        self.assertEqual(order.rejected_center_ids, self.center_a1, "history is kept")

    def test_start_travel_then_start(self):
        order = self._order_in_state("accepted")
        order.action_start_travel()
        self.assertEqual(order.state, "on_the_way")
        order.action_start()
        self.assertEqual(order.state, "in_progress")
        self.assertTrue(order.date_started)

    def test_start_directly_from_accepted(self):
        order = self._order_in_state("accepted")
        order.action_start()
        self.assertEqual(order.state, "in_progress")

    def test_travel_and_start_need_technician(self):
        order = self._order_in_state(
            "accepted", technician=self.env["aftersales.technician"]
        )
        before = self._snapshot(order)
        with self.assertRaisesRegex(UserError, "Choose the technician"):
            order.action_start_travel()
        with self.assertRaisesRegex(UserError, "Choose the technician"):
            order.action_start()
        self.assertEqual(self._snapshot(order), before)

    def test_request_approval(self):
        order = self._order_in_state("in_progress")
        order.action_request_approval()
        self.assertEqual(order.state, "awaiting_approval")

    def test_done_without_approval_required(self):
        order = self._order_in_state("in_progress")
        order.action_done()
        self.assertEqual(order.state, "done")
        self.assertTrue(order.date_done)

    def test_done_refused_until_customer_approves(self):
        order = self._order_in_state(
            "awaiting_approval", service_type_id=self.type_install.id
        )
        before = self._snapshot(order)
        with self.assertRaisesRegex(UserError, "before the customer approves"):
            order.action_done()
        self.assertEqual(self._snapshot(order), before)

        # A rejection halts the order: back in progress, flagged.
        self.env["aftersales.approval"].create(
            {"order_id": order.id, "decision": "rejected", "feedback": "Leaks"}
        )
        self.assertEqual(order.approval_state, "rejected")
        self.assertEqual(order.state, "in_progress")
        self.assertTrue(order.customer_rejected)
        with self.assertRaisesRegex(UserError, "before the customer approves"):
            order.action_done()

        # An approval completes it.
        self.env["aftersales.approval"].create(
            {"order_id": order.id, "decision": "approved", "feedback": "All good"}
        )
        self.assertEqual(order.approval_state, "approved")
        self.assertEqual(order.approval_count, 2)
        self.assertEqual(order.state, "done")
        self.assertFalse(order.customer_rejected)

    def test_cancel_from_every_open_state(self):
        for state in (
            "new",
            "assigned",
            "accepted",
            "on_the_way",
            "in_progress",
            "awaiting_approval",
        ):
            with self.subTest(state=state):
                order = self._order_in_state(state)
                order.action_cancel("Customer bought a new one")
                self.assertEqual(order.state, "cancelled")
                self.assertEqual(order.cancel_reason, "Customer bought a new one")
                self.assertIn("Customer bought a new one", order.message_ids[0].body)

    def test_return_from_every_allowed_state(self):
        for state in (
            "accepted",
            "on_the_way",
            "in_progress",
            "awaiting_approval",
            "done",
        ):
            with self.subTest(state=state):
                order = self._order_in_state(state)
                order.action_return("Spare part out of production")
                self.assertEqual(order.state, "returned")
                self.assertEqual(order.return_reason, "Spare part out of production")
                self.assertIn("Spare part out of production", order.message_ids[0].body)

    def test_reasons_are_required(self):
        for transition, state in (
            ("reject", "assigned"),
            ("cancel", "new"),
            ("return", "accepted"),
        ):
            order = self._order_in_state(state)
            before = self._snapshot(order)
            for reason in (None, "", "   \n "):
                with self.subTest(transition=transition, reason=reason):
                    with self.assertRaisesRegex(UserError, "give a reason"):
                        getattr(order, f"action_{transition}")(reason)
                    self.assertEqual(self._snapshot(order), before)

    def test_transition_on_several_orders_is_all_or_nothing(self):
        ready = self._create_order(center_id=self.center_a1.id)
        already_assigned = self._order_in_state("assigned", center=self.center_a2)
        orders = ready | already_assigned
        with self.assertRaisesRegex(UserError, "must be New"):
            orders.action_assign()
        self.assertEqual(orders.mapped("state"), ["new", "assigned"])
        self.assertEqual(ready.center_id, self.center_a1)
        ready.action_assign()
        self.assertEqual(ready.state, "assigned")

    def test_state_center_and_technician_changes_are_tracked(self):
        order = self._create_order(center_id=self.center_a1.id)
        # Odoo tracks nothing on a record created in the same transaction.
        self.assertEqual(self._tracked_fields(order), [])
        order.action_assign()
        order.technician_id = self.technician_a1
        order.scheduled_date = "2026-12-01 09:00:00"
        tracked = self._tracked_fields(order)
        for fname in ("state", "technician_id", "scheduled_date"):
            self.assertIn(fname, tracked)
        order.action_reject("Closed for inventory")
        self.assertIn("center_id", self._tracked_fields(order))

    def _tracked_fields(self, order):
        # Tracking messages are written when the transaction is about to commit.
        self.env.flush_all()
        self.env.cr.flush()
        return (
            self.env["mail.tracking.value"]
            .search(
                [
                    ("mail_message_id.model", "=", order._name),
                    ("mail_message_id.res_id", "=", order.id),
                ]
            )
            .mapped("field_id.name")
        )

    def test_reason_wizard(self):
        for transition, state, expected in (
            ("reject", "assigned", "new"),
            ("cancel", "assigned", "cancelled"),
            ("return", "in_progress", "returned"),
        ):
            with self.subTest(transition=transition):
                order = self._order_in_state(state)
                action = order.with_context(
                    aftersales_transition=transition
                ).action_open_reason_wizard()
                wizard_form = Form(
                    self.env[action["res_model"]].with_context(**action["context"])
                )
                wizard_form.reason = f"Reason to {transition}"
                if transition == "reject":  # a reject reason code is required
                    wizard_form.reject_reason_id = self.env.ref(
                        "aftersales.reject_reason_other"
                    )
                wizard_form.save().action_confirm()
                self.assertEqual(order.state, expected)
                self.assertEqual(
                    order[f"{transition}_reason"], f"Reason to {transition}"
                )

    def test_reason_wizard_refuses_unknown_transition(self):
        order = self._create_order()
        with self.assertRaisesRegex(UserError, "Unknown"):
            order.with_context(aftersales_transition="done").action_open_reason_wizard()

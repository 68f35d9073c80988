from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import PIXEL_PNG, FieldCommon


@tagged("post_install", "-at_install")
class TestQuality(FieldCommon):
    """Quality control before completion, where the service type asks for it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.type_repair.qc_required = True

    def test_qc_blocks_completion_until_passed(self):
        order = self._repair_in_progress()
        self.assertEqual(order.qc_state, "pending")
        with self.assertRaisesRegex(UserError, "must pass its quality check"):
            order.with_user(self.user_technician).action_done()
        self.assertEqual(order.state, "in_progress")

        check = self._qc_check(order, "pass")
        self.assertEqual(check.user_id, self.user_qc)
        self.assertEqual(
            check.line_ids.mapped("name"), ["Unit runs a full cycle", "Area cleaned"]
        )
        self.assertEqual(order.qc_state, "passed")
        self.assertEqual(order.state, "in_progress", "the technician completes it")
        order.with_user(self.user_technician).action_done()
        self.assertEqual(order.state, "done")

    def test_failed_qc_sends_the_work_back_with_the_reason(self):
        order = self._order_in_state(
            "awaiting_approval", service_type_id=self.type_repair.id
        )
        self._qc_check(order, "fail", reason="Drum still noisy", tick=False)
        self.assertEqual(order.state, "in_progress")
        self.assertTrue(order.qc_returned)
        self.assertEqual(order.qc_state, "failed")
        self.assertIn("Drum still noisy", order.message_ids[0].body)
        activity = order.activity_ids.filtered(
            lambda a: (
                a.activity_type_id
                == self.env.ref("aftersales.mail_activity_type_qc_failed")
            )
        )
        self.assertEqual(activity.user_id, self.user_technician)

        # Redone, checked again: the history keeps both.
        self._qc_check(order, "pass")
        self.assertFalse(order.qc_returned)
        self.assertEqual(order.qc_check_ids.mapped("result"), ["pass", "fail"])
        order.action_done()
        self.assertEqual(order.state, "done")

    def test_customer_approval_waits_for_qc_then_completes(self):
        self.type_repair.approval_required = True
        order = self._order_in_state(
            "awaiting_approval", service_type_id=self.type_repair.id
        )
        self.env["aftersales.approval"].create(
            {"order_id": order.id, "decision": "approved", "channel": "backend"}
        )
        self.assertEqual(order.state, "awaiting_approval", "QC still due")
        self._qc_check(order, "pass")
        self.assertEqual(order.state, "done", "approved and passed: completed")

    def test_check_rules(self):
        order = self._repair_in_progress()
        with self.assertRaises(UserError) as caught:
            self.env["aftersales.qc.check"].with_user(self.user_qc).create(
                {"order_id": order.id, "result": "fail"}
            )
        self.assertIn("Say why", str(caught.exception))
        with self.assertRaises(UserError) as caught:
            self._qc_check(order, "pass", tick=False)
        self.assertIn("Unit runs a full cycle", str(caught.exception))
        self.assertNotIn("Area cleaned", str(caught.exception), "not mandatory")
        self.assertFalse(order.qc_check_ids, "nothing stored")
        # The non-mandatory point may stay unticked.
        form = Form(
            self.env["aftersales.qc.check"]
            .with_user(self.user_qc)
            .with_context(default_order_id=order.id)
        )
        form.result = "pass"
        with form.line_ids.edit(0) as line:
            line.passed = True
        form.save()
        self.assertEqual(order.qc_state, "passed")

    def test_only_inspectors_check_and_history_is_kept(self):
        order = self._repair_in_progress()
        for user in (self.user_technician, self.user_center, self.user_dispatcher):
            with self.assertRaises(AccessError):
                self.env["aftersales.qc.check"].with_user(user).create(
                    {"order_id": order.id, "result": "pass"}
                )
        check = self._qc_check(order, "pass")
        with self.assertRaisesRegex(UserError, "history"):
            check.with_user(self.user_qc).write({"result": "fail"})
        with self.assertRaises(AccessError):
            check.with_user(self.user_qc).unlink()
        # The technician reads the verdict on their order.
        self.assertEqual(
            order.with_user(self.user_technician).qc_check_ids.result, "pass"
        )

    def test_checklist_comes_from_the_service_type(self):
        order = self._repair_in_progress()
        Check = self.env["aftersales.qc.check"].with_user(self.user_qc)
        with self.assertRaises(UserError) as caught:
            Check.create(
                {
                    "order_id": order.id,
                    "result": "pass",
                    "line_ids": [
                        Command.create(
                            {"name": "Unit runs a full cycle", "mandatory": False}
                        )
                    ],
                }
            )
        self.assertIn("Unit runs a full cycle", str(caught.exception))
        with self.assertRaises(UserError):
            Check.create({"order_id": order.id, "result": "pass", "line_ids": []})
        check = Check.create(
            {
                "order_id": order.id,
                "result": "pass",
                "line_ids": [
                    Command.create({"name": "Unit runs a full cycle", "passed": True}),
                    Command.create({"name": "Invented point", "passed": True}),
                ],
            }
        )
        self.assertEqual(
            check.line_ids.mapped("name"), ["Unit runs a full cycle", "Area cleaned"]
        )
        with self.assertRaises(AccessError):
            check.line_ids.with_user(self.user_qc).write({"passed": False})

    def test_inspector_does_not_check_their_own_work(self):
        self.technician_a1.user_id = self.user_qc
        order = self._repair_in_progress()
        with self.assertRaisesRegex(UserError, "another inspector"):
            self._qc_check(order, "pass")

    def test_customer_rejection_voids_the_earlier_check(self):
        self.type_repair.approval_required = True
        order = self._order_in_state(
            "awaiting_approval", service_type_id=self.type_repair.id
        )
        with freeze_time("2026-11-20 10:00:00"):
            self._qc_check(order, "pass")
        with freeze_time("2026-11-20 11:00:00"):
            self.env["aftersales.approval"].create(
                {
                    "order_id": order.id,
                    "decision": "rejected",
                    "channel": "backend",
                    "feedback": "Still leaks",
                }
            )
        self.assertEqual(order.state, "in_progress")
        self.assertEqual(order.qc_state, "pending", "the redone work is checked again")

    def test_inspector_sees_the_work_they_check(self):
        order = self._repair_in_progress()
        self._add_part_and_photo(order)
        as_qc = order.with_user(self.user_qc)
        self.assertEqual(len(as_qc.part_ids), 1)
        self.assertEqual(len(as_qc.media_ids), 1)
        self.assertEqual(len(as_qc.visit_ids), 1)

    def _add_part_and_photo(self, order):
        self._add_part(order, self.part_belt)
        self.env["aftersales.order.media"].create(
            {"order_id": order.id, "file": PIXEL_PNG, "kind": "work"}
        )

    def test_qc_only_on_finished_work(self):
        order = self._order_in_state("accepted", service_type_id=self.type_repair.id)
        with self.assertRaisesRegex(UserError, "in progress or awaiting approval"):
            self._qc_check(order, "pass")

    def test_inspector_sees_only_orders_needing_qc(self):
        checked = self._repair_in_progress()
        other = self._order_in_state("in_progress")
        Order = self.env["aftersales.order"].with_user(self.user_qc)
        visible = Order.search([("id", "in", (checked | other).ids)])
        self.assertEqual(visible, checked)
        with self.assertRaises(AccessError):
            checked.with_user(self.user_qc).write({"priority": "2"})

    def test_service_types_without_qc_complete_directly(self):
        order = self._order_in_state(
            "in_progress", service_type_id=self.type_maintenance.id
        )
        self.assertEqual(order.qc_state, "none")
        order.action_done()
        self.assertEqual(order.state, "done")

    def test_checklist_is_configured_per_service_type(self):
        self.type_repair.qc_item_ids = [Command.create({"name": "Door seal dry"})]
        order = self._repair_in_progress()
        check = self._qc_check(order, "pass")
        self.assertIn("Door seal dry", check.line_ids.mapped("name"))

from odoo.exceptions import AccessError
from odoo.tests import Form, HttpCase, tagged

from .common import AftersalesCommon


@tagged("post_install", "-at_install")
class TestDeskReject(AftersalesCommon):
    """A center rejects a job with a reason code and leaves it cleanly."""

    def _reject_wizard(self, order, user):
        action = (
            order.with_user(user)
            .with_context(aftersales_transition="reject")
            .action_open_reason_wizard()
        )
        self.assertEqual(action["name"], "Reject the job")
        return Form(
            self.env["aftersales.order.reason"]
            .with_user(user)
            .with_context(**action["context"])
        )

    def test_reject_reason_code_required_and_stored(self):
        order = self._order_in_state("assigned")
        reason = self.env.ref("aftersales.reject_reason_outside_area")
        wizard = self._reject_wizard(order, self.user_center)
        # Required in the view: a field hint, never a server error.
        with self.assertRaisesRegex(AssertionError, "reject_reason_id"):
            wizard.save()
        wizard.reject_reason_id = reason
        wizard.reason = "The customer moved to Ankara"
        result = wizard.save().action_confirm()

        self.assertEqual(order.state, "new")
        self.assertEqual(order.reject_reason_id, reason)
        self.assertEqual(order.reject_reason, "The customer moved to Ankara")
        self.assertIn(self.center_a1, order.rejected_center_ids)
        self.assertIn("Outside our area", order.message_ids[:1].body)
        # Reports group rejections by their code.
        groups = self.env["aftersales.order"]._read_group(
            [("reject_reason_id", "!=", False)], ["reject_reason_id"], ["__count"]
        )
        self.assertEqual(groups, [(reason, 1)])
        self.assertEqual(reason.order_count, 1)

        # The center cannot read the order any more: the client leaves it for
        # the list (replacing the breadcrumbs) with a notification.
        self.assertFalse(order.with_user(self.user_center).has_access("read"))
        self.assertEqual(result["tag"], "display_notification")
        self.assertIn(order.name, result["params"]["message"])
        self.assertIn("back to a dispatcher", result["params"]["message"])
        next_action = result["params"]["next"]
        self.assertEqual(next_action["res_model"], "aftersales.order")
        self.assertEqual(next_action["target"], "main")

    def test_reject_goes_to_another_center_message(self):
        self.company.aftersales_auto_assign = True
        order = self._order_in_state("assigned")
        wizard = self._reject_wizard(order, self.user_center)
        wizard.reject_reason_id = self.env.ref("aftersales.reject_reason_no_technician")
        result = wizard.save().action_confirm()
        self.assertEqual(order.center_id, self.center_a2)
        self.assertEqual(order.reject_reason, "No technician available")
        self.assertIn("goes to another center", result["params"]["message"])

    def test_action_reject_keeps_its_text_contract(self):
        order = self._order_in_state("assigned")
        order.with_user(self.user_center).action_reject("Too busy")
        self.assertEqual(order.reject_reason, "Too busy")
        self.assertFalse(order.reject_reason_id)

    def test_dispatcher_still_sees_the_order_and_stays(self):
        order = self._order_in_state("assigned")
        wizard = self._reject_wizard(order, self.user_dispatcher)
        wizard.reject_reason_id = self.env.ref("aftersales.reject_reason_other")
        result = wizard.save().action_confirm()
        self.assertEqual(
            result["params"]["next"], {"type": "ir.actions.act_window_close"}
        )

    def test_cancel_and_return_reasons_are_required_in_the_view(self):
        order = self._order_in_state("accepted")
        for transition in ("cancel", "return"):
            action = order.with_context(
                aftersales_transition=transition
            ).action_open_reason_wizard()
            wizard = Form(
                self.env["aftersales.order.reason"].with_context(**action["context"])
            )
            with self.subTest(transition=transition):
                with self.assertRaisesRegex(AssertionError, "reason"):
                    wizard.save()

    def test_reason_of_another_company_not_offered(self):
        reason_b = self.env["aftersales.reject.reason"].create(
            {"name": "Brand B only", "company_id": self.company_b.id}
        )
        Reason = self.env["aftersales.reject.reason"].with_user(self.user_center)
        self.assertNotIn(reason_b, Reason.search([]))
        with self.assertRaises(AccessError):
            reason_b.with_user(self.user_center).check_access("read")


@tagged("post_install", "-at_install")
class TestDeskRejectTour(HttpCase, AftersalesCommon):
    def test_center_rejects_and_lands_on_the_list(self):
        self.product.name = "Desk Tour Fridge"
        order = self._order_in_state("assigned")
        self.start_tour(
            "/odoo", "desk_center_reject_tour", login=self.user_center.login
        )
        self.assertEqual(order.state, "new")
        self.assertEqual(
            order.reject_reason_id,
            self.env.ref("aftersales.reject_reason_outside_area"),
        )
        self.assertEqual(order.reject_reason, "The customer moved to Ankara")

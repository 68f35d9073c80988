from odoo import fields
from odoo.tests import tagged

from odoo.addons.sms.tests.common import SMSCase

from .common import SmsCommon


@tagged("post_install", "-at_install")
class TestSmsNotifications(SmsCommon, SMSCase):
    """Which SMS goes to whom on which event, through Odoo's queue."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # These tests use Odoo's own provider (IAP, mocked by SMSCase).
        cls.company.aftersales_sms_gateway_id = False

    def _bodies(self, order, number):
        return [sms.body for sms in self._order_sms(order) if sms.number == number]

    def test_technician_gets_the_new_job_then_the_customer_their_technician(self):
        order = self._order_in_state(
            "assigned", technician=self.env["aftersales.technician"]
        )
        order.scheduled_date = fields.Datetime.to_datetime("2026-12-01 09:00:00")
        self.assertFalse(self._order_sms(order), "no technician yet: nobody to text")

        order.with_user(self.user_center).technician_id = self.technician_a1
        bodies = self._bodies(order, self.TECHNICIAN_MOBILE)
        self.assertEqual(len(bodies), 1)
        self.assertIn(f"New job {order.name}", bodies[0])
        self.assertIn("Moda Caddesi 1", bodies[0], "the address")
        self.assertIn(
            f"/my/technician/job/{order.id}", bodies[0], "the link to the phone app"
        )
        self.assertIn("12/01/2026 09:00", bodies[0], "the time")
        self.assertFalse(
            self._bodies(order, self.CUSTOMER_PHONE),
            "the customer hears of the technician once the center accepts",
        )

        order.with_user(self.user_center).action_accept()
        bodies = self._bodies(order, self.CUSTOMER_PHONE)
        self.assertEqual(len(bodies), 1)
        self.assertIn("Center A1 (+902121234567)", bodies[0])
        self.assertIn(f"technician Tech A1 ({self.TECHNICIAN_MOBILE})", bodies[0])
        customer_sms = self._order_sms(order).filtered(
            lambda s: s.number == self.CUSTOMER_PHONE
        )
        self.assertEqual(customer_sms.partner_id, self.customer)

    def test_sms_are_queued_never_sent_in_the_transaction(self):
        order = self._order_in_state("accepted")
        with self.mockSMSGateway():
            order.with_user(self.user_technician).action_start_travel()
            self.assertFalse(self._sms, "nothing reaches the provider inline")
        sms = self._order_sms(order).filtered(lambda s: "on the way" in s.body)
        self.assertEqual(len(sms), 1)
        self.assertEqual(sms.state, "outgoing")
        self.assertIn("is on the way", sms.body)
        self.assertEqual(sms.number, self.CUSTOMER_PHONE)
        # What the SMS cron does, later, in its own transaction.
        with self.mockSMSGateway():
            sms.send()
        self.assertSMSIapSent([self.CUSTOMER_PHONE], content="is on the way")
        notification = self.env["mail.notification"].search(
            [("mail_message_id", "=", sms.mail_message_id.id)]
        )
        self.assertEqual(notification.notification_status, "pending")

    def test_technician_hears_of_changes_and_cancellation(self):
        order = self._order_in_state("accepted")
        order.with_user(self.user_center).scheduled_date = fields.Datetime.now()
        self.assertIn(
            f"Job {order.name} changed", self._bodies(order, self.TECHNICIAN_MOBILE)[-1]
        )
        order.action_cancel("Customer bought a new one")
        self.assertIn(
            "is no longer yours", self._bodies(order, self.TECHNICIAN_MOBILE)[-1]
        )

    def test_replaced_technician_is_told_new_one_gets_the_job(self):
        order = self._order_in_state("accepted")
        self.technician_a1_bis.mobile = "+905321110009"
        order.with_user(self.user_center).technician_id = self.technician_a1_bis
        self.assertIn(
            "is no longer yours", self._bodies(order, self.TECHNICIAN_MOBILE)[-1]
        )
        self.assertIn("New job", self._bodies(order, "+905321110009")[-1])
        self.assertIn(
            "technician Tech A1 bis", self._bodies(order, self.CUSTOMER_PHONE)[-1]
        )

    def test_approval_request_then_rating_request(self):
        order = self._awaiting_order()
        (body,) = [
            b for b in self._bodies(order, self.CUSTOMER_PHONE) if "finished" in b
        ]
        self.assertIn(order.approval_url, body)
        self.assertIn(f"/aftersales/approval/{order.id}?access_token=", body)
        self.assertIn(f"YES {order.approval_code}", body)
        self.assertRegex(order.approval_code, r"^\d{4}$")

        self.env["aftersales.approval"].create(
            {"order_id": order.id, "decision": "approved", "channel": "backend"}
        )
        self.assertEqual(order.state, "done")
        self.assertIn(
            "Reply with a number from 1 (bad) to 5",
            self._bodies(order, self.CUSTOMER_PHONE)[-1],
        )

    def test_no_rating_request_when_already_rated(self):
        order = self._awaiting_order()
        self.env["aftersales.approval"].create(
            {"order_id": order.id, "decision": "approved", "rating": "5"}
        )
        self.assertEqual(order.state, "done")
        self.assertEqual(order.rating_ids.rating, 5)
        self.assertFalse(
            [b for b in self._bodies(order, self.CUSTOMER_PHONE) if "1 (bad)" in b]
        )

    def test_company_settings_choose_the_events(self):
        self.company.aftersales_sms_customer_on_the_way = False
        self.company.aftersales_sms_technician_cancelled = False
        order = self._order_in_state("on_the_way")
        order.action_cancel("Not needed")
        bodies = self._order_sms(order).mapped("body")
        self.assertFalse([b for b in bodies if "on the way" in b])
        self.assertFalse([b for b in bodies if "no longer yours" in b])
        self.assertTrue(
            [b for b in bodies if "will be done by" in b], "the other events still go"
        )

    def test_technician_without_sms_permission_gets_none(self):
        self.technician_a1.sms_allowed = False
        order = self._order_in_state(
            "assigned", technician=self.env["aftersales.technician"]
        )
        order.technician_id = self.technician_a1
        order.action_cancel("Not needed")
        self.assertFalse(self._bodies(order, self.TECHNICIAN_MOBILE))

    def test_blacklisted_customer_gets_none(self):
        self.env["phone.blacklist"].sudo().add(self.CUSTOMER_PHONE)
        order = self._order_in_state("on_the_way")
        self._awaiting_order()
        self.assertFalse(self._bodies(order, self.CUSTOMER_PHONE))
        # The technician still gets theirs.
        order.action_cancel("Not needed")
        self.assertTrue(self._bodies(order, self.TECHNICIAN_MOBILE))

    def test_customer_sms_in_their_language(self):
        for lang, approve, reject in (
            ("tr_TR", "EVET", "HAYIR"),
            ("sv_SE", "JA", "NEJ"),
            ("fa_IR", "بله", "خیر"),
        ):
            with self.subTest(lang=lang):
                self.env["res.lang"]._activate_lang(lang)
                self.env["ir.module.module"].search(
                    [("name", "=", "aftersales")]
                )._update_translations([lang])
                self.customer.lang = lang
                order = self._awaiting_order()
                body = self._bodies(order, self.CUSTOMER_PHONE)[-1]
                self.assertIn(f"{approve} {order.approval_code}", body)
                self.assertIn(f"{reject} {order.approval_code}", body)
                self.assertIn(order.approval_url, body)

import base64
import io
import zipfile
from datetime import datetime

from odoo.exceptions import AccessError
from odoo.tests import Form, freeze_time, tagged

from .common import SlaCommon

PERIOD = {
    "aftersales_date_from": datetime(2026, 11, 1),
    "aftersales_date_to": datetime(2026, 12, 1),
}


@tagged("post_install", "-at_install")
class TestPerformance(SlaCommon):
    """A crafted month of work with known answers: technician A1 closed five
    orders in November (three done, one cancelled, one returned), A1-bis
    one; one more of A1's closed in October and does not count."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.email = "customer@example.com"
        with freeze_time("2026-11-15 08:00:00"):
            cls.o1 = cls._done(approval="first_time", duration=2.0, rating=5, visits=1)
            cls.o2 = cls._done(
                approval="after_rejection", duration=4.0, rating=1, breached=True
            )
            cls.o3 = cls._done(approval="first_time", duration=3.0, visits=2)
            cls.o4 = cls._order_in_state("cancelled")
            cls.o4.technician_id = cls.technician_a1
            cls.o5 = cls._order_in_state("returned")
            cls.o7 = cls._done(technician=cls.technician_a1_bis, rating=4)
        with freeze_time("2026-10-15 08:00:00"):
            cls.o6 = cls._done(breached=True, rating=1)

    @classmethod
    def _done(
        cls,
        technician=None,
        approval=None,
        duration=1.0,
        rating=None,
        breached=False,
        visits=1,
    ):
        order = cls._order_in_state("done", technician=technician or cls.technician_a1)
        # Facts that would come from visits, decisions and the SLA check.
        order.write(
            {
                "approval_outcome": approval or False,
                "service_duration": duration,
                "sla_resolve_breached": breached,
            }
        )
        order.first_time_fix = visits == 1 and approval != "after_rejection"
        if rating:
            order._apply_customer_rating(rating, f"Comment {rating}")
        return order

    def test_metrics_per_technician(self):
        technician = self.technician_a1.with_context(**PERIOD)
        self.assertEqual(technician.perf_closed_count, 5)
        self.assertAlmostEqual(technician.perf_on_time_rate, 2 / 3)
        self.assertAlmostEqual(technician.perf_first_time_approval_rate, 2 / 3)
        self.assertAlmostEqual(technician.perf_cancel_rate, 1 / 5)
        self.assertAlmostEqual(technician.perf_return_rate, 1 / 5)
        self.assertAlmostEqual(technician.perf_first_time_fix_rate, 1 / 3)
        self.assertAlmostEqual(technician.perf_rating_avg, 3.0)
        self.assertAlmostEqual(technician.perf_avg_duration, 3.0)
        # 30 x 2/3 + 20 x 2/3 + 25 x 0.5 + 15 x 1/3 + 10 x 3/5, over 100.
        self.assertAlmostEqual(technician.perf_score, 56.8)
        other = self.technician_a1_bis.with_context(**PERIOD)
        self.assertEqual(other.perf_closed_count, 1)
        # Nobody decided on its work: no approval rate to show.
        self.assertEqual(technician.perf_decided_count, 3)
        self.assertEqual(other.perf_decided_count, 0)
        self.assertAlmostEqual(other.perf_on_time_rate, 1.0)
        self.assertAlmostEqual(other.perf_rating_avg, 4.0)

    def test_metrics_per_center_in_one_query_set(self):
        centers = (self.center_a1 | self.center_a2).with_context(**PERIOD)
        self.env.invalidate_all()
        with self.assertQueryCount(3):
            values = [(c.perf_closed_count, c.perf_rating_avg) for c in centers]
        self.assertEqual(values, [(6, 3.33), (0, 0.0)])

    def test_analysis_rates(self):
        Analysis = self.env["aftersales.order.analysis"].with_user(self.user_dispatcher)
        [(breach_rate, on_time, count)] = Analysis._read_group(
            [
                ("technician_id", "=", self.technician_a1.id),
                ("date_closed", ">=", "2026-11-01"),
            ],
            [],
            ["breach_rate:avg", "on_time_rate:avg", "order_count:sum"],
        )
        self.assertEqual(count, 5)
        self.assertAlmostEqual(on_time, 100 * 2 / 3)
        # Five orders under a policy, one breached.
        self.assertAlmostEqual(breach_rate, 20.0)

    def test_score_export(self):
        wizard = Form(
            self.env["aftersales.performance.export"].with_user(self.user_manager)
        )
        wizard.date_from = "2026-11-01"
        wizard.date_to = "2026-11-30"
        wizard = wizard.save()
        action = wizard.action_export()
        attachment_id = int(action["url"].split("/")[3].split("?")[0])
        attachment = self.env["ir.attachment"].browse(attachment_id)
        self.assertTrue(attachment.name.endswith(".xlsx"))
        with zipfile.ZipFile(io.BytesIO(base64.b64decode(attachment.datas))) as book:
            strings = book.read("xl/sharedStrings.xml").decode()
            sheet = book.read("xl/worksheets/sheet1.xml").decode()
        self.assertIn(self.technician_a1.name, strings)
        self.assertIn("Score", strings)
        self.assertIn("<v>56.8", sheet)
        rows = dict(wizard._get_rows())
        self.assertEqual(rows[self.technician_a1]["closed_count"], 5)

    def test_export_is_for_managers(self):
        for user in (self.user_technician, self.user_center, self.user_dispatcher):
            with self.assertRaises(AccessError):
                self.env["aftersales.performance.export"].with_user(user).create({})


@tagged("post_install", "-at_install")
class TestRatings(SlaCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.email = "customer@example.com"

    def _low_rating_activities(self, order):
        return order.activity_ids.filtered(
            lambda a: (
                a.activity_type_id
                == self.env.ref("aftersales.mail_activity_type_low_rating")
            )
        )

    def test_rating_request_by_email_after_completion(self):
        self.company.aftersales_rating_email = True
        order = self._order_in_state("in_progress")
        order.with_user(self.user_technician).action_done()
        rating = order.rating_ids
        self.assertEqual(len(rating), 1)
        self.assertFalse(rating.consumed)
        message = order.message_ids.filtered(
            lambda m: rating.access_token in (m.body or "")
        )
        self.assertEqual(len(message), 1)
        self.assertIn(f"/rate/{rating.access_token}/5", message.body)
        self.assertEqual(message.partner_ids, self.customer)

    def test_no_rating_request_when_disabled_or_rated(self):
        order = self._order_in_state("done")
        self.assertFalse(order.rating_ids)
        self.company.aftersales_rating_email = True
        order = self._order_in_state("in_progress")
        order._apply_customer_rating(5)
        order.action_done()
        self.assertEqual(len(order.rating_ids), 1)

    def test_low_rating_alerts_the_manager_at_once(self):
        self.company.aftersales_low_rating_email = True
        order = self._order_in_state("done")
        order._apply_customer_rating(3, "Fine")
        self.assertFalse(self._low_rating_activities(order))
        order = self._order_in_state("done")
        order._apply_customer_rating(2, "Came late and left a mess")
        activity = self._low_rating_activities(order)
        self.assertEqual(activity.user_id, self.user_sla_manager)
        self.assertIn("left a mess", activity.note)
        mail = (
            self.env["mail.mail"]
            .search([("model", "=", "aftersales.order"), ("res_id", "=", order.id)])
            .filtered(lambda m: "Low rating" in (m.subject or ""))
        )
        self.assertEqual(mail.recipient_ids, self.user_sla_manager.partner_id)

    def test_threshold_zero_never_alerts(self):
        self.company.aftersales_low_rating_threshold = 0
        order = self._order_in_state("done")
        order._apply_customer_rating(1)
        self.assertFalse(self._low_rating_activities(order))

    def test_rating_visible_on_order_center_and_technician(self):
        order = self._order_in_state("done")
        order._apply_customer_rating(4, "Quick and clean")
        self.assertEqual(order.rating_last_value, 4)
        self.assertEqual(order.rating_last_feedback, "Quick and clean")
        # The center collects the ratings of its orders.
        self.assertEqual(order.rating_ids.parent_res_id, self.center_a1.id)
        self.center_a1.invalidate_recordset(["rating_ids"])
        self.assertIn(order.rating_ids, self.center_a1.rating_ids)
        self.assertEqual(self.technician_a1.perf_rating_avg, 4)
        action = self.technician_a1.action_view_ratings()
        self.assertEqual(
            self.env["rating.rating"].search(action["domain"]), order.rating_ids
        )
        # A center user reads the ratings of the center's orders.
        self.assertEqual(
            order.with_user(self.user_center).rating_last_feedback, "Quick and clean"
        )

from datetime import datetime

from odoo.tests import freeze_time, tagged

from .common import SlaCommon

# The rates both the metrics and the analysis report give (0-1 and 0-100).
RATES = (
    "on_time_rate",
    "first_time_approval_rate",
    "cancel_rate",
    "return_rate",
    "first_time_fix_rate",
    "arrival_rate",
)


@tagged("post_install", "-at_install")
class TestKpiDefinedOnce(SlaCommon):
    """A center's KPIs from its performance metrics and from the analysis
    report are the same numbers on the same orders: both aggregate the
    order's stored facts by one rule (KPI_RATES)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2026-11-16 08:00:00"):
            # On time everywhere: approved at once, one visit, arrived 15
            # minutes after the appointment, rated 5.
            cls.o1 = cls._done("first_time", datetime(2026, 11, 16, 7, 45))
            cls.o1._apply_customer_rating(5, "Fine")
            # Approved after a rejection, SLA breached, arrived two hours late.
            cls.o2 = cls._done("after_rejection", datetime(2026, 11, 16, 6, 0))
            cls.o2.write({"sla_resolve_breached": True, "first_time_fix": False})
            cls.o3 = cls._order_in_state("cancelled")
            cls.o4 = cls._order_in_state("returned")
            # Still open: the customer rejected the work, the technician is
            # back at it. Nothing is measured on it yet; the report used to
            # count it against the first-time approval rate.
            cls.o5 = cls._order_in_state("in_progress")
            cls.o5.approval_outcome = "rejected"

    @classmethod
    def _done(cls, approval, scheduled):
        order = cls._order_in_state("done", scheduled_date=scheduled)
        order.approval_outcome = approval
        return order

    def test_metrics_and_report_agree(self):
        metrics = self.env["aftersales.order"]._get_performance(
            "center_id",
            self.center_a1,
            datetime(2026, 11, 1),
            datetime(2026, 12, 1),
        )[self.center_a1.id]
        Analysis = self.env["aftersales.order.analysis"].with_user(self.user_dispatcher)
        rates = [rate for rate in RATES if rate in Analysis._fields]
        [report] = Analysis._read_group(
            [("center_id", "=", self.center_a1.id)],
            [],
            [f"{rate}:avg" for rate in rates]
            + ["rating:avg", "service_duration:avg", "order_count:sum"],
        )
        self.assertEqual(report[-1], 5, "the open order is a row of the report")
        for rate, value in zip(rates, report, strict=False):
            with self.subTest(rate=rate):
                expected = (
                    metrics[rate] if metrics[rate] is None else metrics[rate] * 100
                )
                self.assertAlmostEqual(value, expected, msg=rate)
        self.assertAlmostEqual(report[len(rates)], metrics["rating_avg"])
        self.assertAlmostEqual(report[len(rates) + 1], metrics["avg_duration"])
        # The known answers.
        self.assertEqual(
            {rate: metrics[rate] for rate in RATES},
            {
                "on_time_rate": 0.5,
                "first_time_approval_rate": 0.5,
                "cancel_rate": 0.25,
                "return_rate": 0.25,
                "first_time_fix_rate": 0.5,
                "arrival_rate": 0.5,
            },
        )

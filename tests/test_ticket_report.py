"""The request analysis: counts per channel, category, site and customer;
first response and resolution hours averaged over the requests measured
only; conversion count and rate; one company's figures per agent."""

from datetime import timedelta

from odoo.tests import freeze_time, tagged

from .common import TicketCommon


@tagged("post_install", "-at_install")
class TestTicketReport(TicketCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.category_report.service_type_id = cls.type_maintenance
        # The team given (routing is not what is measured here).
        cls.solved = cls._create_ticket(
            "web",
            category_id=cls.category_report.id,
            site_id=cls.site.id,
            team_id=cls.team.id,
        )
        cls.converted = cls._create_ticket(
            "web",
            category_id=cls.category_report.id,
            site_id=cls.site.id,
            product_id=cls.product.id,
            team_id=cls.team.id,
        )
        # No answer yet, at the customer's own address.
        cls.waiting = cls._create_ticket(
            "web", category_id=cls.category_deviation.id, team_id=cls.team.id
        )
        cls.cancelled = cls._create_ticket(
            "email",
            category_id=cls.category_deviation.id,
            site_id=cls.site.id,
            team_id=cls.team.id,
        )
        cls.other_company = cls._create_ticket(
            "web",
            company_id=cls.company_b.id,
            partner_id=cls.other_customer.id,
            category_id=cls.category_report.id,
        )
        cls.tickets = (
            cls.solved | cls.converted | cls.waiting | cls.cancelled | cls.other_company
        )

    def _at(self, ticket, hours):
        return ticket.create_date + timedelta(hours=hours)

    def _play(self):
        """Answer after 2 h and 4 h, solve after 5 h, convert after 10 h,
        cancel the e-mail after 1 h (answered after 30 min)."""
        agent = self.user_agent
        self.solved._action_first_response(when=self._at(self.solved, 2))
        self.converted._action_first_response(when=self._at(self.converted, 4))
        self.cancelled._action_first_response(when=self._at(self.cancelled, 0.5))
        with freeze_time(self._at(self.solved, 5)):
            self.solved.with_user(agent).action_solve()
        with freeze_time(self._at(self.converted, 10)):
            self.converted.with_user(agent)._convert_to_orders(
                [self.converted._prepare_convert_line_vals()]
            )
        with freeze_time(self._at(self.cancelled, 1)):
            self.cancelled.with_user(agent).action_cancel("Duplicate")
        self.env.flush_all()

    def _report(self, user, groupby, aggregates):
        return (
            self.env["aftersales.ticket.report"]
            .with_user(user)
            ._read_group([("ticket_id", "in", self.tickets.ids)], groupby, aggregates)
        )

    def test_per_channel(self):
        self._play()
        rows = {
            channel: values
            for channel, *values in self._report(
                self.user_agent,
                ["channel"],
                [
                    "ticket_count:sum",
                    "first_response_hours:avg",
                    "resolution_hours:avg",
                    "converted_count:sum",
                    "conversion_rate:avg",
                    "order_count:sum",
                    "answered_count:sum",
                ],
            )
        }
        # Company B's web request is not the agent's.
        self.assertEqual(set(rows), {"web", "email"})
        count, first, resolution, converted, rate, orders, answered = rows["web"]
        self.assertEqual(count, 3)
        # (2 + 4) / 2: the request not answered yet does not count as 0 h.
        self.assertAlmostEqual(first, 3.0, places=3)
        # (5 + 10) / 2: solved and converted; the open one is not closed.
        self.assertAlmostEqual(resolution, 7.5, places=3)
        self.assertEqual(converted, 1)
        self.assertAlmostEqual(rate, 100.0 / 3, places=3)
        self.assertEqual(orders, 1)
        self.assertEqual(answered, 2)
        count, first, resolution, converted, rate, orders, answered = rows["email"]
        self.assertEqual(count, 1)
        self.assertAlmostEqual(first, 0.5, places=3)
        # A cancelled request is closed but not resolved.
        self.assertFalse(resolution)
        self.assertEqual((converted, rate, orders), (0, 0.0, 0))

    def test_cases_per_address_and_category(self):
        """The Swedish preset: rows site, columns category."""
        self._play()
        cells = {
            (site, category): count
            for site, category, count in self._report(
                self.user_desk_manager, ["site_id", "category_id"], ["ticket_count:sum"]
            )
        }
        self.assertEqual(
            cells,
            {
                (self.site, self.category_report): 2,
                (self.site, self.category_deviation): 1,
                (self.customer, self.category_deviation): 1,
            },
        )

    def test_per_customer_team_and_month(self):
        self._play()
        rows = self._report(
            self.user_agent,
            ["partner_id", "team_id", "create_date:month"],
            ["ticket_count:sum", "converted_count:sum"],
        )
        self.assertEqual(len(rows), 1)
        partner, team, month, count, converted = rows[0]
        self.assertEqual(partner, self.customer.commercial_partner_id)
        self.assertEqual(team, self.team)
        self.assertEqual(month.month, self.solved.create_date.month)
        self.assertEqual((count, converted), (4, 1))

    def test_other_company_agent_sees_theirs(self):
        self._play()
        rows = self._report(self.user_agent_b, ["channel"], ["ticket_count:sum"])
        self.assertEqual(rows, [("web", 1)])

    def test_technician_cannot_read(self):
        Report = self.env["aftersales.ticket.report"].with_user(self.user_technician)
        self.assertFalse(Report.has_access("read"))

    def test_views_load(self):
        Report = self.env["aftersales.ticket.report"].with_user(self.user_agent)
        for view_type in ("pivot", "graph", "list", "search"):
            self.assertTrue(Report.get_view(view_type=view_type)["arch"])
        action = self.env.ref("aftersales.aftersales_ticket_report_action_site")
        self.assertIn("site_id", action.context)

"""SLA of the service requests: the policy chosen at creation, the first
response and resolution deadlines in working or calendar hours, the pause
while waiting for the customer, the breaches and the check (cron)."""

from datetime import datetime

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import freeze_time, tagged

from .common import TicketCommon, calendar_vals

# 2026-11-30 is a Monday. The company works Monday to Friday 09:00-17:00 in
# Istanbul (06:00-14:00 UTC), closed on the holiday of Wednesday 2026-12-02.
MONDAY_09H_LOCAL = "2026-11-30 06:00:00"
MONDAY_16H_LOCAL = "2026-11-30 13:00:00"


def dt(value):
    return datetime.fromisoformat(value)


@tagged("post_install", "-at_install")
class TicketSlaCommon(TicketCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Policy = cls.env["aftersales.sla.policy"]
        # Only the policies of this test apply.
        Policy.search([]).active = False
        calendar = cls.env["resource.calendar"].create(
            calendar_vals("Desk Office", "Europe/Istanbul", range(5), 9.0, 17.0)
        )
        cls.env["resource.calendar.leaves"].create(
            {
                "name": "Public holiday",
                "calendar_id": calendar.id,
                "date_from": "2026-12-01 21:00:00",
                "date_to": "2026-12-02 20:59:59",
            }
        )
        cls.company.resource_calendar_id = calendar
        cls.policy_desk = Policy.create(
            {
                "name": "Desk standard",
                "sequence": 20,
                "time_basis": "working",
                "ticket_response_hours": 2,
                "ticket_resolve_hours": 16,
                "warning_hours": 1,
            }
        )
        cls.policy_urgent = Policy.create(
            {
                "name": "Desk urgent",
                "sequence": 10,
                "priority": "2",
                "time_basis": "calendar",
                "ticket_response_hours": 1,
                "ticket_resolve_hours": 8,
                "warning_hours": 0.5,
            }
        )
        cls.policy_web_deviation = Policy.create(
            {
                "name": "Web deviations",
                "sequence": 30,
                "ticket_category_ids": [Command.set(cls.category_deviation.ids)],
                "ticket_channel": "web",
                "time_basis": "calendar",
                "ticket_response_hours": 4,
            }
        )
        # Work orders only: never a request's policy, even the most specific.
        cls.policy_orders = Policy.create(
            {
                "name": "Orders",
                "sequence": 1,
                "time_basis": "calendar",
                "arrival_hours": 4,
            }
        )
        cls.user_leader = cls.user_desk_manager
        cls.team.leader_id = cls.user_leader

    def _check_sla(self):
        """Run the request SLA check as the cron does, without its commits."""
        self.env["aftersales.ticket"]._cron_check_sla(
            after_batch=lambda processed, remaining=None: True
        )

    def _warnings(self, ticket):
        return ticket.activity_ids.filtered(
            lambda a: (
                a.activity_type_id == self.env.ref("mail.mail_activity_data_warning")
            )
        )


@tagged("post_install", "-at_install")
class TestTicketSlaDeadlines(TicketSlaCommon):
    def test_policy_selection_most_specific(self):
        plain = self._create_ticket("email")
        urgent = self._create_ticket("email", priority="2")
        web_deviation = self._create_ticket(
            "web", category_id=self.category_deviation.id
        )
        portal_deviation = self._create_ticket(
            "portal", category_id=self.category_deviation.id
        )
        self.assertEqual(plain.sla_policy_id, self.policy_desk)
        self.assertEqual(urgent.sla_policy_id, self.policy_urgent)
        self.assertEqual(web_deviation.sla_policy_id, self.policy_web_deviation)
        # Only the response target: no resolution deadline.
        self.assertTrue(web_deviation.sla_response_deadline)
        self.assertFalse(web_deviation.sla_resolve_deadline)
        self.assertEqual(portal_deviation.sla_policy_id, self.policy_desk)

    def test_policies_for_requests_do_not_stamp_orders(self):
        order = self._create_order(priority="2")
        self.assertEqual(order.sla_policy_id, self.policy_orders)
        self.policy_orders.active = False
        # The urgent desk policy has no order target; the web policy has both
        # kinds but a request-only scope.
        self.policy_web_deviation.resolve_hours = 8
        self.policy_web_deviation.ticket_category_ids = False
        order = self._create_order(priority="2")
        self.assertFalse(order.sla_policy_id)

    def test_scope_by_customer_tag_team_and_region(self):
        tag = self.env["res.partner.category"].create({"name": "Key account"})
        policy_key = self.env["aftersales.sla.policy"].create(
            {
                "name": "Key accounts of the desk",
                "partner_category_ids": [Command.set(tag.ids)],
                "ticket_team_ids": [Command.set(self.team.ids)],
                "country_state_ids": [Command.set(self.state_istanbul.ids)],
                "time_basis": "calendar",
                "ticket_response_hours": 0.5,
            }
        )
        self.assertEqual(
            self._create_ticket(team_id=self.team.id).sla_policy_id, self.policy_desk
        )
        self.customer.category_id = tag
        ticket = self._create_ticket(team_id=self.team.id, site_id=self.site.id)
        self.assertEqual(ticket.sla_policy_id, policy_key)
        team_2 = self.env["aftersales.ticket.team"].create({"name": "Second Desk"})
        other_team = self._create_ticket(team_id=team_2.id, site_id=self.site.id)
        self.assertEqual(other_team.sla_policy_id, self.policy_desk)

    @freeze_time(MONDAY_16H_LOCAL)
    def test_working_hours_cross_night_and_holiday(self):
        ticket = self._create_ticket()
        # 2 working hours from Monday 16:00: 1 h on Monday, 1 h on Tuesday.
        self.assertEqual(ticket.sla_response_deadline, dt("2026-12-01 07:00:00"))
        # 16 working hours: 1 + 8 (Tuesday) + Wednesday off + 7 (Thursday).
        self.assertEqual(ticket.sla_resolve_deadline, dt("2026-12-03 13:00:00"))
        self.assertEqual(ticket.sla_deadline, ticket.sla_response_deadline)
        self.assertEqual(ticket.sla_deadline_target, "response")
        self.assertEqual(ticket.date_sla_warning, dt("2026-12-01 06:00:00"))
        self.assertEqual(ticket.sla_status, "on_track")

    @freeze_time(MONDAY_16H_LOCAL)
    def test_calendar_hours_policy(self):
        ticket = self._create_ticket(priority="2")
        self.assertEqual(ticket.sla_response_deadline, dt("2026-11-30 14:00:00"))
        self.assertEqual(ticket.sla_resolve_deadline, dt("2026-11-30 21:00:00"))

    def test_first_response_in_time_then_late(self):
        with freeze_time(MONDAY_09H_LOCAL):
            on_time = self._create_ticket()
            late = self._create_ticket()
        with freeze_time("2026-11-30 07:30:00"):
            on_time._action_first_response()
        self.assertFalse(on_time.sla_response_breached)
        # The resolution deadline is the one to watch now.
        self.assertEqual(on_time.sla_deadline_target, "resolve")
        with freeze_time("2026-11-30 08:30:00"):
            late._action_first_response()
        self.assertTrue(late.sla_response_breached)
        self.assertTrue(late.sla_breached)
        self.assertEqual(late.sla_status, "breached")
        self.assertIn(
            "met after its deadline", late.message_ids[:1].body or "", "logged"
        )
        # A second answer changes nothing.
        with freeze_time("2026-12-05 08:30:00"):
            on_time._action_first_response()
        self.assertFalse(on_time.sla_response_breached)

    def test_resolution_met_or_late_at_closing(self):
        with freeze_time(MONDAY_09H_LOCAL):
            solved = self._create_ticket()
            converted = self._create_ticket()
            cancelled = self._create_ticket()
        with freeze_time("2026-11-30 12:00:00"):
            solved.with_user(self.user_agent).action_solve()
            cancelled.with_user(self.user_agent).action_cancel("Duplicate")
        self.assertEqual(solved.sla_status, "met")
        self.assertFalse(solved.sla_deadline)
        self.assertFalse(cancelled.sla_status)
        self.assertFalse(cancelled.sla_deadline)
        with freeze_time("2026-12-03 08:00:00"):  # past Tuesday 17:00 local
            converted._action_mark_converted()
        self.assertTrue(converted.sla_resolve_breached)
        self.assertEqual(converted.sla_status, "breached")

    def test_resolution_clock_pauses_while_waiting(self):
        with freeze_time(MONDAY_09H_LOCAL):
            ticket = self._create_ticket()
            self.assertEqual(ticket.sla_resolve_deadline, dt("2026-12-01 14:00:00"))
        with freeze_time("2026-11-30 07:00:00"):
            ticket._action_first_response()
        with freeze_time("2026-11-30 08:00:00"):
            ticket.with_user(self.user_agent).action_wait()
            self.assertEqual(ticket.sla_pause_start, dt("2026-11-30 08:00:00"))
            self.assertFalse(ticket.sla_deadline, "nothing to watch while paused")
            self.assertEqual(ticket.sla_status, "on_track")
        with freeze_time("2026-12-01 08:00:00"):  # 8 working hours later
            ticket.with_user(self.user_agent).action_open()
            self.assertFalse(ticket.sla_pause_start)
            self.assertAlmostEqual(ticket.sla_paused_hours, 8.0)
            # Monday 09:00 + 16 + 8 working hours, Wednesday off.
            self.assertEqual(ticket.sla_resolve_deadline, dt("2026-12-03 14:00:00"))
            self.assertEqual(ticket.sla_deadline, ticket.sla_resolve_deadline)
        with freeze_time("2026-12-03 10:00:00"):
            ticket.with_user(self.user_agent).action_solve()
        self.assertFalse(ticket.sla_breached)
        self.assertEqual(ticket.sla_status, "met")

    def test_no_pause_when_the_policy_says_so(self):
        self.policy_desk.pause_awaiting_customer = False
        with freeze_time(MONDAY_09H_LOCAL):
            ticket = self._create_ticket()
            ticket.with_user(self.user_agent).action_wait()
        self.assertFalse(ticket.sla_pause_start)
        self.assertEqual(ticket.sla_deadline, ticket.sla_response_deadline)

    def test_no_policy_no_deadlines(self):
        self.env["aftersales.sla.policy"].search([]).active = False
        ticket = self._create_ticket()
        self.assertFalse(ticket.sla_policy_id)
        self.assertFalse(ticket.sla_deadline)
        self.assertFalse(ticket.sla_status)

    def test_policy_needs_a_target(self):
        with self.assertRaises(ValidationError):
            self.env["aftersales.sla.policy"].create({"name": "Empty"})
        with self.assertRaises(ValidationError):
            self.policy_desk.ticket_response_hours = -1

    def test_agents_cannot_write_sla_fields_portal_cannot_see_them(self):
        ticket = self._create_ticket()
        as_agent = ticket.with_user(self.user_agent)
        self.assertEqual(as_agent.sla_policy_id, self.policy_desk)
        for vals in (
            {"sla_response_deadline": "2030-01-01 00:00:00"},
            {"sla_response_breached": True},
            {"sla_policy_id": False},
        ):
            with self.assertRaises(UserError):
                as_agent.write(vals)
        self.assertEqual(ticket.sla_policy_id, self.policy_desk)
        portal_fields = (
            self.env["aftersales.ticket"]
            .with_user(self.portal_user)
            .fields_get(["sla_status", "sla_response_deadline", "subject"])
        )
        self.assertEqual(set(portal_fields), {"subject"})


@tagged("post_install", "-at_install")
class TestTicketSlaCheck(TicketSlaCommon):
    def test_warning_then_breach_then_nothing_more(self):
        with freeze_time(MONDAY_16H_LOCAL):
            ticket = self._create_ticket(team_id=self.team.id)
            ticket.user_id = self.user_agent
        with freeze_time("2026-12-01 05:59:00"):
            self._check_sla()
            self.assertFalse(self._warnings(ticket))
        with freeze_time("2026-12-01 06:00:00"):
            self._check_sla()
            warned = self._warnings(ticket)
            self.assertEqual(warned.user_id, self.user_agent)
            self.assertIn("first response", warned.summary)
            self.assertEqual(ticket.sla_status, "at_risk")
            self.assertFalse(ticket.date_sla_warning)
            self._check_sla()
            self.assertEqual(self._warnings(ticket), warned, "not warned twice")
        with freeze_time("2026-12-01 07:00:00"):
            self._check_sla()
            self.assertTrue(ticket.sla_response_breached)
            self.assertEqual(ticket.sla_status, "breached")
            breach = self._warnings(ticket) - warned
            # The responsible and the team leader hear of the breach.
            self.assertEqual(breach.user_id, self.user_agent | self.user_leader)
            self.assertTrue(
                all("first response" in s for s in breach.mapped("summary"))
            )
            self.assertEqual(ticket.sla_deadline, ticket.sla_resolve_deadline)
        with freeze_time("2026-12-01 07:30:00"):
            self._check_sla()
            self.assertEqual(len(self._warnings(ticket)), 3, "not breached twice")
        # The answer after the breach changes nothing more.
        with freeze_time("2026-12-01 08:00:00"):
            ticket._action_first_response()
        self.assertTrue(ticket.sla_response_breached)

    def test_breach_without_responsible_goes_to_the_sla_manager(self):
        manager = self.user_desk_manager
        self.company.aftersales_sla_manager_id = manager
        self.team.leader_id = False
        with freeze_time(MONDAY_16H_LOCAL):
            ticket = self._create_ticket()
            ticket.user_id = False
        with freeze_time("2026-12-10 00:00:00"):
            self._check_sla()
        self.assertTrue(ticket.sla_response_breached)
        self.assertTrue(ticket.sla_resolve_breached)
        self.assertEqual(self._warnings(ticket).user_id, manager)

    def test_closed_and_paused_requests_are_not_breached(self):
        with freeze_time(MONDAY_16H_LOCAL):
            solved = self._create_ticket()
            waiting = self._create_ticket()
            solved._action_first_response()
            waiting._action_first_response()
            solved.with_user(self.user_agent).action_solve()
            waiting.with_user(self.user_agent).action_wait()
        with freeze_time("2026-12-10 00:00:00"):
            self._check_sla()
        self.assertFalse(solved.sla_breached)
        self.assertFalse(waiting.sla_breached)
        self.assertFalse(self._warnings(solved | waiting))

    def test_check_wakes_up_at_the_next_moment(self):
        cron = self.env.ref("aftersales.ir_cron_check_ticket_sla")
        Trigger = self.env["ir.cron.trigger"]
        with freeze_time(MONDAY_16H_LOCAL):
            Trigger.search([("cron_id", "=", cron.id)]).unlink()
            ticket = self._create_ticket()
            triggers = Trigger.search([("cron_id", "=", cron.id)])
            self.assertEqual(triggers.mapped("call_at"), [ticket.date_sla_warning])
            triggers.unlink()
            self._check_sla()
            triggers = Trigger.search([("cron_id", "=", cron.id)])
            self.assertEqual(triggers.mapped("call_at"), [ticket.date_sla_warning])

    def test_check_query_count_does_not_grow_per_request(self):
        def run(count):
            with freeze_time(MONDAY_16H_LOCAL):
                tickets = self.env["aftersales.ticket"].create(
                    [
                        {"subject": f"R{i}", "partner_id": self.customer.id}
                        for i in range(count)
                    ]
                )
            with freeze_time("2026-12-10 00:00:00"):
                self.env.invalidate_all()
                queries = self.env.cr.sql_log_count
                self._check_sla()
                used = self.env.cr.sql_log_count - queries
            self.assertTrue(all(tickets.mapped("sla_resolve_breached")))
            return used

        few = run(2)
        many = run(20)
        self.assertLessEqual(many, few + 10)

from contextlib import contextmanager
from datetime import datetime
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import freeze_time, tagged

from .common import SlaCommon

# 2026-11-30 is a Monday; center A1 opens 06:00-14:00 UTC on weekdays and
# closes for the holiday of Wednesday 2026-12-02.
MONDAY_16H_LOCAL = "2026-11-30 13:00:00"
FRIDAY_15H_LOCAL = "2026-12-04 12:00:00"


def dt(value):
    return datetime.fromisoformat(value)


@tagged("post_install", "-at_install")
class TestSlaDeadlines(SlaCommon):
    @freeze_time(MONDAY_16H_LOCAL)
    def test_deadlines_cross_night_and_public_holiday(self):
        order = self._create_order()
        self.assertEqual(order.sla_policy_id, self.policy_standard)
        self.assertEqual(order.date_sla_start, dt(MONDAY_16H_LOCAL))
        # Not assigned: no acceptance clock yet.
        self.assertFalse(order.sla_accept_deadline)
        # 8 working hours: 1 on Monday, 7 on Tuesday -> Tuesday 16:00 local.
        self.assertEqual(order.sla_arrival_deadline, dt("2026-12-01 13:00:00"))
        # 16 hours: 1 Monday, 8 Tuesday, Wednesday off, 7 Thursday.
        self.assertEqual(order.sla_resolve_deadline, dt("2026-12-03 13:00:00"))
        self.assertEqual(order.sla_deadline, order.sla_arrival_deadline)
        self.assertEqual(order.date_sla_warning, dt("2026-12-01 12:00:00"))
        self.assertEqual(order.sla_status, "on_track")

    @freeze_time(FRIDAY_15H_LOCAL)
    def test_deadlines_cross_weekend(self):
        order = self._create_order()
        # 2 hours on Friday, 6 on Monday.
        self.assertEqual(order.sla_arrival_deadline, dt("2026-12-07 12:00:00"))

    @freeze_time(MONDAY_16H_LOCAL)
    def test_deadlines_follow_the_center_calendar(self):
        order = self._create_order(center_id=self.center_a2.id)
        order.action_assign()
        # Center A2 never closes: 8 working hours are 8 hours.
        self.assertEqual(order.sla_arrival_deadline, dt("2026-11-30 21:00:00"))
        self.assertEqual(order.sla_accept_deadline, dt("2026-11-30 15:00:00"))
        with freeze_time("2026-11-30 14:00:00"):
            order.action_reject("Too busy")
            order.center_id = self.center_a1
            order.action_assign()
        # Reassigned: the office calendar rules now, and the new center has its
        # own two hours to accept, from its opening on Tuesday.
        self.assertEqual(order.sla_arrival_deadline, dt("2026-12-01 13:00:00"))
        self.assertEqual(order.sla_accept_deadline, dt("2026-12-01 08:00:00"))

    @freeze_time(MONDAY_16H_LOCAL)
    def test_calendar_hours_policy(self):
        order = self._create_order(priority="2")
        self.assertEqual(order.sla_policy_id, self.policy_urgent)
        self.assertEqual(order.sla_arrival_deadline, dt("2026-11-30 17:00:00"))
        self.assertEqual(order.sla_resolve_deadline, dt("2026-11-30 21:00:00"))

    def test_policy_selection(self):
        self.assertEqual(self._create_order().sla_policy_id, self.policy_standard)
        self.assertEqual(
            self._create_order(priority="2").sla_policy_id, self.policy_urgent
        )
        # Tags and priority both match: more specific than priority alone,
        # whatever the sequence.
        self.customer.category_id = self.tag_vip
        self.assertEqual(
            self._create_order(priority="2").sla_policy_id, self.policy_vip_urgent
        )
        # Restricted to another service type: does not apply.
        self.policy_standard.service_type_ids = self.type_install
        self.assertFalse(self._create_order().sla_policy_id)
        self.assertEqual(
            self._create_order(service_type_id=self.type_install.id).sla_policy_id,
            self.policy_standard,
        )
        # Region: only customers in Ankara.
        self.policy_standard.write(
            {
                "service_type_ids": [Command.clear()],
                "country_state_ids": self.state_ankara.ids,
            }
        )
        self.assertFalse(self._create_order().sla_policy_id)
        # Another company's policies never apply.
        order_b = self._create_order(
            company_id=self.company_b.id, user_id=self.user_dispatcher_b.id
        )
        self.assertFalse(order_b.sla_policy_id)

    def test_policy_needs_a_valid_target(self):
        with self.assertRaises(ValidationError):
            self.env["aftersales.sla.policy"].create({"name": "Empty"})
        with self.assertRaises(ValidationError):
            self.policy_standard.accept_hours = -1

    def test_completion_clock_pauses_while_awaiting_the_customer(self):
        with freeze_time("2026-11-30 06:00:00"):  # Monday 09:00 local
            order = self._order_in_state("in_progress")
            self.assertEqual(order.sla_resolve_deadline, dt("2026-12-01 14:00:00"))
        with freeze_time("2026-11-30 08:00:00"):
            order.action_request_approval()
            self.assertEqual(order.sla_pause_start, dt("2026-11-30 08:00:00"))
            # Paused: the completion deadline is not a deadline to watch.
            self.assertFalse(order.sla_deadline)
        with freeze_time("2026-12-01 08:00:00"):  # 8 working hours later
            self.env["aftersales.approval"].create(
                {
                    "order_id": order.id,
                    "decision": "rejected",
                    "channel": "backend",
                    "feedback": "Still noisy",
                }
            )
            self.assertEqual(order.state, "in_progress")
            self.assertAlmostEqual(order.sla_paused_hours, 8.0)
            # Tuesday 17:00 local + 8 working hours (Wednesday is off).
            self.assertEqual(order.sla_resolve_deadline, dt("2026-12-03 14:00:00"))
            self.assertEqual(order.sla_deadline, order.sla_resolve_deadline)
            order.action_done()
        self.assertFalse(order.sla_breached)
        self.assertEqual(order.sla_status, "met")

    def test_no_pause_when_the_policy_says_so(self):
        self.policy_standard.pause_awaiting_customer = False
        order = self._order_in_state("awaiting_approval")
        self.assertFalse(order.sla_pause_start)
        self.assertEqual(order.sla_deadline, order.sla_resolve_deadline)

    @freeze_time(MONDAY_16H_LOCAL)
    def test_target_met_late_is_breached(self):
        order = self._create_order(center_id=self.center_a1.id)
        order.action_assign()
        self.assertEqual(order.sla_accept_deadline, dt("2026-12-01 07:00:00"))
        with freeze_time("2026-12-01 09:00:00"):
            order.action_accept()
        self.assertTrue(order.sla_accept_breached)
        self.assertEqual(order.sla_status, "breached")

    def test_users_cannot_write_sla_fields(self):
        order = self._order_in_state("accepted")
        for user in (self.user_center, self.user_dispatcher):
            with self.assertRaises(UserError):
                order.with_user(user).write({"sla_resolve_deadline": False})
            with self.assertRaises(UserError):
                order.with_user(user).write({"sla_accept_breached": False})

    def test_only_managers_edit_policies(self):
        policy = self.policy_standard
        self.assertEqual(policy.with_user(self.user_technician).name, "Standard")
        for user in (self.user_center, self.user_dispatcher):
            with self.assertRaises(AccessError):
                policy.with_user(user).write({"resolve_hours": 100})
        policy.with_user(self.user_manager).write({"resolve_hours": 24})
        self.assertEqual(policy.resolve_hours, 24)


@tagged("post_install", "-at_install")
class TestSlaCheck(SlaCommon):
    def _activities(self, order, xmlid):
        return order.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref(xmlid)
        )

    def test_warning_then_breach_then_nothing_more(self):
        with freeze_time(MONDAY_16H_LOCAL):
            order = self._order_in_state("accepted")
            self.assertEqual(order.sla_arrival_deadline, dt("2026-12-01 13:00:00"))
        warning = "aftersales.mail_activity_type_sla_warning"
        breach = "aftersales.mail_activity_type_sla_breach"
        with freeze_time("2026-12-01 11:59:00"):
            self._check_sla()
            self.assertFalse(self._activities(order, warning))
        with freeze_time("2026-12-01 12:00:00"):
            self._check_sla()
            warned = self._activities(order, warning)
            self.assertEqual(warned.user_id, self.user_dispatcher | self.user_center)
            self.assertEqual(order.sla_status, "at_risk")
            self.assertFalse(order.date_sla_warning)
            self._check_sla()
            self.assertEqual(self._activities(order, warning), warned)
        with freeze_time("2026-12-01 13:00:00"):
            self._check_sla()
            self.assertTrue(order.sla_arrival_breached)
            self.assertEqual(order.sla_status, "breached")
            escalated = self._activities(order, breach)
            self.assertEqual(escalated.user_id, self.user_sla_manager)
            self.assertIn("arrival on site", escalated.summary)
            # The completion deadline is the next one to watch.
            self.assertEqual(order.sla_deadline, order.sla_resolve_deadline)
        with freeze_time("2026-12-01 13:30:00"):
            self._check_sla()
            self.assertEqual(self._activities(order, breach), escalated)
            self.assertEqual(len(self._activities(order, warning)), 2)

    def test_check_wakes_up_at_the_next_moment(self):
        cron = self.env.ref("aftersales.ir_cron_check_sla")
        with freeze_time(MONDAY_16H_LOCAL):
            self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]).unlink()
            order = self._create_order()
            triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
            self.assertEqual(triggers.mapped("call_at"), [order.date_sla_warning])
            triggers.unlink()
            self._check_sla()
            triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
            self.assertEqual(triggers.mapped("call_at"), [order.date_sla_warning])

    def test_breach_escalates_without_manager_to_the_dispatcher(self):
        self.company.aftersales_sla_manager_id = False
        with freeze_time(MONDAY_16H_LOCAL):
            order = self._order_in_state("accepted")
        with freeze_time("2026-12-10 00:00:00"):
            self._check_sla()
        # Both arrival and completion passed: one escalation for both.
        self.assertTrue(order.sla_arrival_breached and order.sla_resolve_breached)
        escalated = self._activities(order, "aftersales.mail_activity_type_sla_breach")
        self.assertEqual(escalated.user_id, self.user_dispatcher)
        self.assertFalse(order.sla_deadline)

    def test_warning_by_email_and_sms(self):
        self.policy_standard.write({"alert_email": True, "alert_sms": True})
        self.technician_a1.write({"mobile": "+905551112233", "sms_allowed": True})
        with freeze_time(MONDAY_16H_LOCAL):
            order = self._order_in_state("accepted")
        with freeze_time("2026-12-01 12:30:00"):
            self._check_sla()
        mail = self.env["mail.mail"].search(
            [("model", "=", "aftersales.order"), ("res_id", "=", order.id)]
        )
        mail = mail.filtered(lambda m: "SLA deadline" in m.subject)
        self.assertEqual(len(mail), 1)
        self.assertEqual(
            mail.recipient_ids, self.center_a1.partner_id | order.user_id.partner_id
        )
        sms = self.env["sms.sms"].search([("number", "=", "+905551112233")])
        self.assertEqual(len(sms), 1)
        self.assertIn(order.name, sms.body)

    def test_closed_orders_are_not_checked(self):
        with freeze_time(MONDAY_16H_LOCAL):
            order = self._order_in_state("accepted")
            order.action_cancel("Customer moved")
        self.assertFalse(order.sla_deadline)
        with freeze_time("2026-12-10 00:00:00"):
            self._check_sla()
        self.assertFalse(order.sla_breached)

    def test_check_query_count_does_not_grow_per_order(self):
        def run(count):
            with freeze_time(MONDAY_16H_LOCAL):
                orders = self._create_order_batch(count)
            self.env.invalidate_all()
            with freeze_time("2026-12-01 12:30:00"):
                start = self.env.cr.sql_log_count
                self._check_sla()
                self.env.flush_all()
                used = self.env.cr.sql_log_count - start
            self.assertTrue(all(o.sla_status == "at_risk" for o in orders))
            return used

        small, large = run(5), run(40)
        self.assertLessEqual(large, small + 3, (small, large))

    def _create_order_batch(self, count):
        orders = self.env["aftersales.order"].create(
            [
                {
                    "partner_id": self.customer.id,
                    "product_id": self.product.id,
                    "service_type_id": self.type_maintenance.id,
                    "center_id": self.center_a1.id,
                    "technician_id": self.technician_a1.id,
                }
                for _i in range(count)
            ]
        )
        orders.action_assign()
        orders.action_accept()
        return orders


@tagged("post_install", "-at_install")
class TestTimeInState(SlaCommon):
    @contextmanager
    def _at(self, moment):
        """Freeze the clock, the cursor's one too (creation and tracking dates
        come from it), and write the tracking at the end, as a commit would."""
        with (
            freeze_time(moment),
            patch.object(self.env.cr, "now", return_value=dt(moment)),
        ):
            yield
            self.env.flush_all()
            self.env.cr.precommit.run()

    def test_time_in_each_state(self):
        with self._at("2026-11-30 06:00:00"):
            order = self._create_order(center_id=self.center_a1.id)
        with self._at("2026-11-30 07:00:00"):
            order.action_assign()
        with self._at("2026-11-30 09:00:00"):
            order.action_accept()
        with self._at("2026-11-30 10:00:00"):
            # The field stage of each status (the workshop has its own).
            Stage = self.env["aftersales.order.stage"]
            stages = {
                state: Stage._get_default_stage_id(state, "field")
                for state in ("new", "assigned", "accepted")
            }
            order.invalidate_recordset(["duration_tracking"])
            durations = {int(k): v for k, v in order.duration_tracking.items()}
            self.assertEqual(durations[stages["new"]], 3600)
            self.assertEqual(durations[stages["assigned"]], 7200)
            self.assertEqual(durations[stages["accepted"]], 3600)
            rows = self.env["aftersales.order.state.time"].search(
                [("order_id", "=", order.id)]
            )
            by_stage = {row.stage_id.state: row for row in rows}
            self.assertEqual(round(by_stage["new"].hours, 2), 1.0)
            self.assertEqual(round(by_stage["assigned"].hours, 2), 2.0)
            self.assertEqual(by_stage["accepted"].date_from, dt("2026-11-30 09:00:00"))
            self.assertFalse(by_stage["accepted"].date_to)  # still there
        # The chatter shows the status change once, not the mirror stage.
        trackings = order.message_ids.tracking_value_ids
        self.assertIn("stage_id", trackings.field_id.mapped("name"))
        displayed = order._track_filter_for_display(trackings)
        self.assertNotIn("stage_id", displayed.field_id.mapped("name"))
        self.assertIn("state", displayed.field_id.mapped("name"))

    def test_reports_are_for_dispatchers(self):
        for model in ("aftersales.order.state.time", "aftersales.order.analysis"):
            with self.assertRaises(AccessError):
                self.env[model].with_user(self.user_center).search([])
            self.env[model].with_user(self.user_dispatcher).search([])


@tagged("post_install", "-at_install")
class TestSlaAutomation(SlaCommon):
    def test_company_automation_rule_on_breach(self):
        """A company's own Automation Rule reacts to the SLA fields."""
        model = self.env.ref("aftersales.model_aftersales_order")
        automation = self.env["base.automation"].create(
            {
                "name": "Breached orders become urgent",
                "trigger": "on_create_or_write",
                "model_id": model.id,
                "trigger_field_ids": [
                    Command.set(
                        self.env.ref(
                            "aftersales.field_aftersales_order__sla_status"
                        ).ids
                    )
                ],
                "filter_domain": "[('sla_status', '=', 'breached')]",
            }
        )
        self.env["ir.actions.server"].create(
            {
                "name": "Raise priority",
                "base_automation_id": automation.id,
                "model_id": model.id,
                "state": "code",
                "code": "records.write({'priority': '2'})",
            }
        )
        with freeze_time(MONDAY_16H_LOCAL):
            order = self._order_in_state("accepted")
        self.assertEqual(order.priority, "0")
        with freeze_time("2026-12-01 13:00:00"):
            self._check_sla()
        self.assertEqual(order.sla_status, "breached")
        self.assertEqual(order.priority, "2")

from datetime import datetime

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, freeze_time, tagged

from .common import AssignmentCommon, calendar_vals

# A Saturday, 10:00 UTC.
SATURDAY = datetime(2026, 11, 28, 10, 0)


class ExplicitAssignCommon(AssignmentCommon):
    """The orders of these tests are assigned by their explicit
    action_assign(), not by create() (tested in test_ux_assign.py)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, aftersales_no_auto_assign=True))

    def _log_reasons(self, order):
        """The reasons of the centers that cover the address (the others all
        say "area", see test_only_centers_covering_the_address_compete)."""
        reasons = super()._log_reasons(order)
        return {name: reason for name, reason in reasons.items() if reason != "area"}


@tagged("post_install", "-at_install")
class TestAssignmentFilters(ExplicitAssignCommon):
    """Each hard filter of the engine."""

    def test_only_centers_covering_the_address_compete(self):
        self.center_near.area_ids = [
            Command.clear(),
            Command.create(
                {"country_id": self.country_tr.id, "state_id": self.state_istanbul.id}
            ),
        ]
        order = self._create_bursa_order()
        order.action_assign()
        self.assertEqual(order.center_id, self.center_far)
        self.assertNotIn(
            "Bursa Near", [c["name"] for c in order.assignment_log["candidates"]]
        )
        self.assertEqual(
            AssignmentCommon._log_reasons(self, order)["Center A1"],
            "area",
            "Istanbul centers do not compete, and say why",
        )

    def test_city_district_and_zip_prefix(self):
        self.center_near.area_ids = [
            Command.clear(),
            Command.create(
                {
                    "country_id": self.country_tr.id,
                    "city": "BURSA ",
                    "zip_prefix": "161",
                }
            ),
        ]
        self.center_far.area_ids = [
            Command.clear(),
            Command.create({"country_id": self.country_tr.id, "district": "Nilüfer"}),
        ]
        order = self._create_bursa_order()
        order.action_assign()
        self.assertEqual(
            order.state, "new", "16010 is not in 161*, and no district was given"
        )
        self.assertFalse(order.assignment_log["candidates"])
        self.bursa_customer.zip = "16140"
        order = self._create_bursa_order(district="nilüfer")
        self.assertEqual(
            {
                c["name"]
                for c in self.env["aftersales.center"]._get_assignment_candidates(order)
                if c["reason"] != "area"
            },
            {"Bursa Near", "Bursa Far"},
        )

    def test_service_type_competence(self):
        self.center_near.service_type_ids = self.type_install
        order = self._create_bursa_order(service_type_id=self.type_maintenance.id)
        order.action_assign()
        self.assertEqual(order.center_id, self.center_far)
        self.assertEqual(self._log_reasons(order), {"Bursa Near": "service_type"})

    def test_product_category_competence_includes_subcategories(self):
        parent = self.env["product.category"].create({"name": "Large Appliances"})
        self.categ_appliance.parent_id = parent
        self.center_near.product_categ_ids = parent
        self.center_far.product_categ_ids = self.env["product.category"].create(
            {"name": "Phones"}
        )
        order = self._create_bursa_order()
        order.action_assign()
        self.assertEqual(order.center_id, self.center_near)
        self.assertEqual(self._log_reasons(order), {"Bursa Far": "product_category"})

    def test_capacity(self):
        self.center_near.capacity = 1
        self._create_bursa_order().action_assign()
        order = self._create_bursa_order()
        order.action_assign()
        self.assertEqual(order.center_id, self.center_far)
        self.assertEqual(self._log_reasons(order), {"Bursa Near": "capacity"})

    def test_rejected_center_is_not_asked_again(self):
        self.company.aftersales_auto_assign = False
        order = self._create_bursa_order()
        order._assign_by_engine()
        self.assertEqual(order.center_id, self.center_near)
        order.action_reject("No technician")
        order.action_assign()
        self.assertEqual(order.center_id, self.center_far)
        self.assertEqual(self._log_reasons(order), {"Bursa Near": "rejected"})

    def _weekday_calendar(self):
        # Monday to Friday, 09:00-18:00 in İstanbul (UTC+3).
        return self.env["resource.calendar"].create(
            calendar_vals("Weekdays", "Europe/Istanbul", range(5), 9, 18)
        )

    def test_closed_at_the_requested_time(self):
        self.center_near.resource_calendar_id = self._weekday_calendar()
        saturday = self._create_bursa_order(scheduled_date=SATURDAY)
        saturday.action_assign()
        self.assertEqual(saturday.center_id, self.center_far)
        self.assertEqual(self._log_reasons(saturday), {"Bursa Near": "closed"})
        # Monday 07:00 UTC is 10:00 in İstanbul: open.
        monday = self._create_bursa_order(scheduled_date=datetime(2026, 11, 30, 7, 0))
        monday.action_assign()
        self.assertEqual(monday.center_id, self.center_near)
        # Monday 05:30 UTC is 08:30 in İstanbul: not yet open.
        early = self._create_bursa_order(scheduled_date=datetime(2026, 11, 30, 5, 30))
        early.action_assign()
        self.assertEqual(early.center_id, self.center_far)

    def test_public_holiday(self):
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Republic Day",
                "calendar_id": self.calendar_always.id,
                "date_from": datetime(2026, 10, 28, 21, 0),
                "date_to": datetime(2026, 10, 29, 20, 59, 59),
            }
        )
        self.center_far.resource_calendar_id = self.env["resource.calendar"].create(
            calendar_vals("Also always open")
        )
        order = self._create_bursa_order(scheduled_date=datetime(2026, 10, 29, 9, 0))
        order.action_assign()
        self.assertEqual(order.center_id, self.center_far)
        self.assertEqual(self._log_reasons(order), {"Bursa Near": "holiday"})

    @freeze_time(SATURDAY)
    def test_next_opening_when_no_time_is_asked(self):
        self.center_near.resource_calendar_id = self._weekday_calendar()
        self.center_far.active = False
        order = self._create_bursa_order()
        order.action_assign()
        self.assertEqual(order.center_id, self.center_near)
        # Monday 09:00 in İstanbul.
        self.assertEqual(order.scheduled_date, datetime(2026, 11, 30, 6, 0))

    @freeze_time(SATURDAY)
    def test_no_opening_within_the_window(self):
        self.company.aftersales_scheduling_window = 24
        self.center_near.resource_calendar_id = self._weekday_calendar()
        order = self._create_bursa_order()
        order.action_assign()
        self.assertEqual(order.center_id, self.center_far)
        self.assertEqual(self._log_reasons(order), {"Bursa Near": "closed"})

    @freeze_time(SATURDAY)
    def test_holiday_pushes_the_next_opening(self):
        calendar = self._weekday_calendar()
        self.center_near.resource_calendar_id = calendar
        self.center_far.active = False
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Bridge day",
                "calendar_id": calendar.id,
                "date_from": datetime(2026, 11, 29, 21, 0),
                "date_to": datetime(2026, 11, 30, 20, 59),
            }
        )
        order = self._create_bursa_order()
        order.action_assign()
        self.assertEqual(
            order.scheduled_date, datetime(2026, 12, 1, 6, 0), "Tuesday 09:00 local"
        )

    @freeze_time(SATURDAY)
    def test_date_requested_starts_the_search(self):
        self.center_far.active = False
        order = self._create_bursa_order(date_requested=datetime(2026, 12, 3, 12, 0))
        order.action_assign()
        self.assertEqual(order.scheduled_date, datetime(2026, 12, 3, 12, 0))


@tagged("post_install", "-at_install")
class TestAssignmentScore(ExplicitAssignCommon):
    """Each term of the score, the weights, the ties and the rules."""

    def test_nearer_center_wins(self):
        order = self._create_bursa_order()
        order.action_assign()
        self.assertEqual(order.center_id, self.center_near)
        near, far = order.assignment_log["candidates"]
        self.assertEqual((near["name"], far["name"]), ("Bursa Near", "Bursa Far"))
        self.assertAlmostEqual(near["distance_km"], 4.6, delta=0.5)
        self.assertAlmostEqual(far["distance_km"], 62, delta=3)
        self.assertGreater(near["terms"]["distance"], far["terms"]["distance"])

    def test_unknown_position_scores_without_distance(self):
        order = self._create_bursa_order(latitude=0.0, longitude=0.0)
        order.action_assign()
        self.assertNotIn("distance", order.assignment_log["candidates"][0]["terms"])
        self.assertIsNone(order.assignment_log["candidates"][0]["distance_km"])

    def test_less_loaded_center_wins_at_equal_distance(self):
        twin = self._create_bursa_center("Bursa Twin", 40.2300, 29.0600)
        self.center_near.capacity = 4
        twin.capacity = 4
        self._create_bursa_order(center_id=self.center_near.id).action_assign()
        order = self._create_bursa_order()
        order.action_assign()
        self.assertEqual(order.center_id, twin)
        twin_row, near_row = order.assignment_log["candidates"][:2]
        self.assertEqual(
            (twin_row["terms"]["load"], near_row["terms"]["load"]), (1.0, 0.75)
        )

    def test_authorized_beats_private(self):
        twin = self._create_bursa_center("Bursa Twin", 40.2300, 29.0600, kind="private")
        order = self._create_bursa_order()
        order.action_assign()
        self.assertEqual(order.center_id, self.center_near)
        scores = {c["name"]: c["score"] for c in order.assignment_log["candidates"]}
        self.assertGreater(scores["Bursa Near"], scores[twin.name])

    def test_weights_are_tuned_per_company(self):
        self.center_near.kind = "private"
        order = self._create_bursa_order()
        order.action_assign()
        self.assertEqual(
            order.center_id, self.center_near, "distance outweighs the kind by default"
        )
        order.action_cancel("again")
        self.company.write(
            {"aftersales_weight_distance": 5, "aftersales_weight_authorized": 80}
        )
        order = self._create_bursa_order()
        order.action_assign()
        self.assertEqual(order.center_id, self.center_far)

    def test_on_time_history_counts_once_known(self):
        twin = self._create_bursa_center("Bursa Twin", 40.2300, 29.0600)
        for center, delay in ((self.center_near, 2), (twin, 0)):
            for _i in range(5):
                done = self._create_bursa_order(
                    center_id=center.id, scheduled_date=datetime(2026, 11, 2, 9, 0)
                )
                done.action_assign()
                done.write(
                    {
                        "state": "done",
                        "date_started": datetime(2026, 11, 2, 9 + delay, 0),
                        "date_done": fields.Datetime.now(),
                    }
                )
        order = self._create_bursa_order()
        order.action_assign()
        on_time = {
            cand["id"]: cand["terms"].get("on_time")
            for cand in order.assignment_log["candidates"]
        }
        self.assertEqual(on_time[self.center_near.id], 0.0)
        self.assertEqual(on_time[twin.id], 1.0)
        self.assertEqual(order.center_id, twin)

    def test_ties_go_to_the_center_waiting_longest(self):
        self.center_far.write(
            {"latitude": 40.2300, "longitude": 29.0600}
        )  # now a perfect twin
        first = self._create_bursa_order()
        first.action_assign()
        first_score, second_score = (
            c["score"] for c in first.assignment_log["candidates"]
        )
        self.assertEqual(first_score, second_score)
        self.assertEqual(
            first.center_id, self.center_near, "never assigned before: lowest id"
        )
        first.write({"state": "done"})  # both centers are free again
        second = self._create_bursa_order()
        second.action_assign()
        self.assertEqual(
            second.center_id, self.center_far, "the twin that waited longest"
        )

    def test_rule_pins_a_center(self):
        self.env["aftersales.assignment.rule"].create(
            {
                "name": "Bursa goes far",
                "state_ids": [Command.link(self.state_bursa.id)],
                "outcome": "fixed",
                "center_id": self.center_far.id,
            }
        )
        order = self._create_bursa_order()
        order.action_assign()
        self.assertEqual(order.center_id, self.center_far)
        self.assertEqual(order.assignment_rule_id.name, "Bursa goes far")
        self.assertEqual(order.assignment_log["rule"], "Bursa goes far")

    def test_rule_allows_some_centers_and_first_match_wins(self):
        twin = self._create_bursa_center("Bursa Twin", 40.3000, 29.2000)
        Rule = self.env["aftersales.assignment.rule"]
        Rule.create(
            {
                "name": "Never matches",
                "sequence": 1,
                "cities": "Ankara",
                "outcome": "fixed",
                "center_id": self.center_near.id,
            }
        )
        Rule.create(
            {
                "name": "Installations",
                "sequence": 2,
                "service_type_ids": [Command.link(self.type_install.id)],
                "outcome": "allowed",
                "center_ids": [Command.set((twin | self.center_far).ids)],
            }
        )
        Rule.create(
            {
                "name": "Later rule",
                "sequence": 3,
                "outcome": "fixed",
                "center_id": self.center_far.id,
            }
        )
        order = self._create_bursa_order(service_type_id=self.type_install.id)
        order.action_assign()
        self.assertEqual(order.center_id, twin, "best of the allowed centers")
        maintenance = self._create_bursa_order()
        maintenance.action_assign()
        self.assertEqual(maintenance.assignment_rule_id.name, "Later rule")

    def test_rule_conditions(self):
        tag = self.env["res.partner.category"].create({"name": "VIP"})
        rule = self.env["aftersales.assignment.rule"].create(
            {
                "name": "VIP",
                "partner_category_ids": [Command.link(tag.id)],
                "zip_prefixes": "16, 41",
                "channels": "phone",
                "outcome": "fixed",
                "center_id": self.center_far.id,
            }
        )
        order = self._create_bursa_order(channel="phone")
        self.assertFalse(rule._matches(order), "not tagged")
        self.bursa_customer.category_id = tag
        self.assertTrue(rule._matches(order))
        order.channel = "backend"
        self.assertFalse(rule._matches(order), "other channel")

    def test_explanation_for_the_dispatcher(self):
        self.center_far.service_type_ids = self.type_install
        order = self._create_bursa_order()
        order.action_assign()
        html = str(order.assignment_explanation)
        self.assertIn("✔ </b>Bursa Near", html)
        self.assertIn("Bursa Far does not do this service type", html)


@tagged("post_install", "-at_install")
class TestAssignmentFlow(ExplicitAssignCommon):
    """Rejections, escalation, timeouts and manual assignment."""

    def test_rejection_goes_to_the_next_center_then_escalates(self):
        self.company.aftersales_max_rejections = 2
        third = self._create_bursa_center("Bursa Third", 40.5, 29.9)
        order = self._create_bursa_order()
        order.action_assign()
        self.assertEqual(order.center_id, self.center_near)
        order.action_reject("No technician")
        self.assertEqual((order.state, order.center_id), ("assigned", self.center_far))
        order.action_reject("Too far")
        self.assertEqual(order.state, "new")
        self.assertTrue(order.needs_dispatch)
        self.assertFalse(order.center_id)
        self.assertIn("Rejected by 2 centers", order.activity_ids.note)
        self.assertNotIn(third, order.rejected_center_ids)

    def test_rejection_with_no_center_left_escalates(self):
        order = self._create_bursa_order()
        order.action_assign()
        order.action_reject("No")
        order.action_reject("No either")
        self.assertEqual(order.state, "new")
        self.assertTrue(order.needs_dispatch)
        self.assertEqual(len(order.activity_ids), 1, "one to-do, not one per attempt")

    def test_center_user_rejection_reassigns_beyond_their_sight(self):
        self.center_near.user_ids = self.user_center
        order = self._create_bursa_order()
        order.action_assign()
        order.with_user(self.user_center).action_reject("Fully booked")
        self.assertEqual(order.center_id, self.center_far)

    def test_orders_not_accepted_in_time_move_on(self):
        self.company.aftersales_accept_timeout = 4
        with freeze_time("2026-11-23 08:00:00"):
            late = self._create_bursa_order()
            late.action_assign()
        with freeze_time("2026-11-23 11:00:00"):
            recent = self._create_bursa_order()
            recent.action_assign()
            accepted = self._create_bursa_order()
            accepted.action_assign()
            accepted.action_accept()
        with freeze_time("2026-11-23 12:30:00"):
            due = self.env["aftersales.order"]._get_unaccepted_orders()
            self.assertEqual(due & (late | recent | accepted), late)
            due._reassign_unaccepted()
        self.assertEqual(late.center_id, self.center_far)
        self.assertEqual(late.rejected_center_ids, self.center_near)
        self.assertIn("Not accepted within 4", late.reject_reason)

    def test_manual_assignment_wizard_ranks_candidates(self):
        self.center_far.service_type_ids = self.type_install
        self.company.aftersales_auto_assign = False
        order = self._create_bursa_order().with_user(self.user_dispatcher)
        action = order.action_open_assign_wizard()
        wizard = Form(
            self.env[action["res_model"]]
            .with_user(self.user_dispatcher)
            .with_context(**action["context"])
        ).save()
        self.assertEqual(
            wizard.line_ids[:2].mapped("center_id.name"), ["Bursa Near", "Bursa Far"]
        )
        self.assertEqual(
            wizard.line_ids.mapped("reason"), [False, "service_type", "area", "area"]
        )
        wizard.line_ids[1].action_choose()  # the dispatcher overrides the filters
        self.assertEqual((order.state, order.center_id), ("assigned", self.center_far))
        self.assertEqual(order.assignment_log["mode"], "manual")

    def test_reassignment_by_a_dispatcher(self):
        order = self._create_bursa_order()
        order.action_assign()
        order.action_accept()
        order.with_user(self.user_dispatcher).action_reassign(self.center_far)
        self.assertEqual((order.state, order.center_id), ("assigned", self.center_far))
        self.assertFalse(order.rejected_center_ids, "a reassignment is not a rejection")
        self.center_far.user_ids = self.user_center  # staff of the order's center
        with self.assertRaisesRegex(AccessError, "not allowed to reassign"):
            order.with_user(self.user_center).action_reassign(self.center_near)
        self.assertEqual(order.center_id, self.center_far)

    def test_manual_assignment_respects_capacity(self):
        self.center_far.capacity = 1
        self._create_bursa_order(center_id=self.center_far.id).action_assign()
        order = self._create_bursa_order(center_id=self.center_far.id)
        with self.assertRaisesRegex(UserError, "at its capacity of 1"):
            order.action_assign()
        self.assertEqual(order.state, "new")

    def test_query_count_does_not_grow_with_centers(self):
        def queries_to_assign_one():
            order = self._create_bursa_order()
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            order.action_assign()
            self.env.flush_all()
            self.assertEqual(order.state, "assigned")
            return self.env.cr.sql_log_count - before

        queries_to_assign_one()  # warm the registry caches (xml ids, rules)
        with_two = queries_to_assign_one()
        for index in range(30):
            self._create_bursa_center(f"Extra {index}", 40.0 + index / 100, 29.5)
            self._create_center(f"Elsewhere {index}", self.company)
        with_sixty_two = queries_to_assign_one()
        self.assertEqual(with_two, with_sixty_two)
        self.assertLessEqual(with_sixty_two, 30, "the budget of the assignment issue")

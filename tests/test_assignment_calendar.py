from datetime import datetime

from odoo.tests import freeze_time, tagged

from .common import calendar_vals, flexible_calendar_vals, two_weeks_calendar_vals
from .test_assignment import SATURDAY, ExplicitAssignCommon

# resource.calendar counts weeks from Monday 0001-01-01: the week of Saturday
# 2026-11-28 is a "first" week (type "0"), the next one a "second" (type "1").
SATURDAY_SECOND_WEEK = datetime(2026, 12, 5, 10, 0)


@tagged("post_install", "-at_install")
class TestAssignmentCalendars(ExplicitAssignCommon):
    """When a center is open comes from its resource.calendar, as for the SLA:
    two-week and flexible calendars, public holidays of the company and time
    off of the center's calendar. A dispatcher assigns; Bursa Near wins when
    it is open, Bursa Far (always open) otherwise."""

    def _assign(self, **vals):
        order = self._create_bursa_order(**vals)
        order.with_user(self.user_dispatcher).action_assign()
        return order

    def _weekday_calendar(self):
        # Monday to Friday, 09:00-18:00 in İstanbul (UTC+3).
        return self.env["resource.calendar"].create(
            calendar_vals("Weekdays", "Europe/Istanbul", range(5), 9, 18)
        )

    def _leave(self, name, date_from, date_to, calendar=None, company=None):
        """A time off of ``calendar``, or a public holiday of ``company``."""
        leave = self.env["resource.calendar.leaves"].create(
            {
                "name": name,
                "calendar_id": calendar.id if calendar else False,
                "date_from": date_from,
                "date_to": date_to,
            }
        )
        # The company of a holiday on no calendar is computed from the
        # current company.
        leave.company_id = company or self.company
        return leave

    # ------------------------------------------------------------
    # Two-week calendars
    # ------------------------------------------------------------

    def _every_other_saturday(self):
        # Weekdays 09:00-18:00 in İstanbul, and Saturdays of "second" weeks.
        return self.env["resource.calendar"].create(
            two_weeks_calendar_vals(
                "Every other Saturday", "Europe/Istanbul", range(5), range(6), 9, 18
            )
        )

    def test_two_week_calendar_at_the_requested_time(self):
        self.center_near.resource_calendar_id = self._every_other_saturday()
        closed = self._assign(scheduled_date=SATURDAY)
        self.assertEqual(closed.center_id, self.center_far, "not this Saturday")
        self.assertEqual(self._log_reasons(closed), {"Bursa Near": "closed"})
        opened = self._assign(scheduled_date=SATURDAY_SECOND_WEEK)
        self.assertEqual(opened.center_id, self.center_near, "but next Saturday")

    @freeze_time(SATURDAY)
    def test_two_week_calendar_next_opening(self):
        self.center_near.resource_calendar_id = self._every_other_saturday()
        self.center_far.active = False
        order = self._assign()
        self.assertEqual(order.center_id, self.center_near)
        self.assertEqual(
            order.scheduled_date,
            datetime(2026, 11, 30, 6, 0),
            "Monday 09:00 in İstanbul: closed on this week's Saturday",
        )

    # ------------------------------------------------------------
    # Flexible hours
    # ------------------------------------------------------------

    def test_flexible_calendar_has_no_closing_time(self):
        self.center_near.resource_calendar_id = self.env["resource.calendar"].create(
            flexible_calendar_vals("Flexible", "Europe/Istanbul")
        )
        order = self._assign(scheduled_date=SATURDAY)
        self.assertEqual(order.center_id, self.center_near)
        self.assertFalse(self._log_reasons(order))

    @freeze_time(SATURDAY)
    def test_flexible_calendar_next_opening_is_now(self):
        self.center_near.resource_calendar_id = self.env["resource.calendar"].create(
            flexible_calendar_vals("Flexible", "Europe/Istanbul")
        )
        self.center_far.active = False
        order = self._assign()
        self.assertEqual(order.center_id, self.center_near)
        self.assertEqual(order.scheduled_date, SATURDAY)

    # ------------------------------------------------------------
    # Holidays
    # ------------------------------------------------------------

    def test_company_holiday(self):
        self.center_near.resource_calendar_id = self._weekday_calendar()
        # Republic Day, in İstanbul: a public holiday of the company, on no
        # calendar; the other company's holiday the day after counts not.
        self._leave(
            "Republic Day", datetime(2026, 10, 28, 21, 0), datetime(2026, 10, 29, 21, 0)
        )
        self._leave(
            "Other company's holiday",
            datetime(2026, 10, 29, 21, 0),
            datetime(2026, 10, 30, 21, 0),
            company=self.company_b,
        )
        order = self._assign(scheduled_date=datetime(2026, 10, 29, 9, 0))
        self.assertEqual(order.state, "new", "no center works on Republic Day")
        self.assertEqual(
            self._log_reasons(order), {"Bursa Near": "holiday", "Bursa Far": "holiday"}
        )
        order = self._assign(scheduled_date=datetime(2026, 10, 30, 9, 0))
        self.assertEqual(order.center_id, self.center_near)

    @freeze_time(datetime(2026, 10, 28, 6, 0))
    def test_company_half_day_holiday_keeps_the_morning(self):
        self.center_near.resource_calendar_id = self._weekday_calendar()
        self.center_far.active = False
        # The eve of Republic Day is off from 13:00 in İstanbul.
        self._leave(
            "Republic Day eve",
            datetime(2026, 10, 28, 10, 0),
            datetime(2026, 10, 29, 21, 0),
        )
        order = self._assign()
        self.assertEqual(order.center_id, self.center_near)
        self.assertEqual(
            order.scheduled_date,
            datetime(2026, 10, 28, 6, 0),
            "open now, 09:00 in İstanbul, until the holiday starts at 13:00",
        )

    def test_center_holiday(self):
        calendar = self._weekday_calendar()
        self.center_near.resource_calendar_id = calendar
        self._leave(
            "Inventory",
            datetime(2026, 11, 30, 6, 0),
            datetime(2026, 11, 30, 9, 0),
            calendar=calendar,
        )
        # Monday 10:00 in İstanbul: in the center's time off.
        order = self._assign(scheduled_date=datetime(2026, 11, 30, 7, 0))
        self.assertEqual(order.center_id, self.center_far)
        self.assertEqual(self._log_reasons(order), {"Bursa Near": "holiday"})
        # Monday 12:00 in İstanbul: open again.
        order = self._assign(scheduled_date=datetime(2026, 11, 30, 9, 0))
        self.assertEqual(order.center_id, self.center_near)

    @freeze_time(SATURDAY)
    def test_center_morning_off_pushes_the_next_opening_to_noon(self):
        calendar = self._weekday_calendar()
        self.center_near.resource_calendar_id = calendar
        self.center_far.active = False
        self._leave(
            "Inventory",
            datetime(2026, 11, 30, 6, 0),
            datetime(2026, 11, 30, 9, 0),
            calendar=calendar,
        )
        order = self._assign()
        self.assertEqual(
            order.scheduled_date, datetime(2026, 11, 30, 9, 0), "Monday 12:00 local"
        )

    # ------------------------------------------------------------
    # Query budget
    # ------------------------------------------------------------

    def test_queries_grow_with_calendars_not_centers(self):
        def queries_to_assign_one():
            order = self._create_bursa_order().with_user(self.user_dispatcher)
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            order.action_assign()
            self.env.flush_all()
            self.assertEqual(order.state, "assigned")
            return self.env.cr.sql_log_count - before

        queries_to_assign_one()  # warm the registry caches (xml ids, rules)
        with_one_calendar = queries_to_assign_one()
        calendars = [
            self._weekday_calendar(),
            self._every_other_saturday(),
            self.env["resource.calendar"].create(
                flexible_calendar_vals("Flexible", "Europe/Istanbul")
            ),
        ]
        for calendar in calendars:
            self._create_bursa_center(
                f"Extra {calendar.name}", 40.5, 29.5, resource_calendar_id=calendar.id
            )
        with_four_calendars = queries_to_assign_one()
        self.assertLessEqual(
            with_four_calendars - with_one_calendar,
            len(calendars) + 1,
            "one query per calendar, and one to read them all",
        )
        for index in range(30):
            self._create_bursa_center(
                f"Extra {index}",
                40.0 + index / 100,
                29.5,
                resource_calendar_id=calendars[index % 3].id,
            )
            self._create_center(f"Elsewhere {index}", self.company)
        with_more_centers = queries_to_assign_one()
        self.assertEqual(with_four_calendars, with_more_centers)
        self.assertLessEqual(
            with_more_centers, 30, "the budget of the assignment issue"
        )

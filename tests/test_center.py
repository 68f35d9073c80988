from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import AftersalesCommon


@tagged("post_install", "-at_install")
class TestCenter(AftersalesCommon):
    def test_capacity_must_be_positive(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.center_a1.capacity = 0
            self.env.flush_all()

    def test_coordinates_in_range(self):
        self.center_a1.write({"latitude": 40.99, "longitude": 29.02})
        for lat, lon in ((91, 0), (-91, 0), (0, 181), (0, -180.5)):
            with (
                self.subTest(lat=lat, lon=lon),
                self.assertRaisesRegex(ValidationError, "out of range"),
            ):
                self.center_a1.write({"latitude": lat, "longitude": lon})

    def test_center_code_unique_per_company(self):
        self.center_a1.code = "IST-01"
        self.center_b.code = "IST-01"  # another company may reuse it
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.center_a2.code = "IST-01"
            self.env.flush_all()

    def test_area_state_must_be_in_country(self):
        area = self.center_a1.area_ids
        with self.assertRaisesRegex(ValidationError, "is not in"):
            area.country_id = self.env.ref("base.se")

    def test_area_texts_are_cleaned(self):
        area = self.center_a1.area_ids
        area.write({"city": "  Kadıköy ", "zip_prefix": " 347", "district": "   "})
        self.assertEqual(
            (area.city, area.zip_prefix, area.district), ("Kadıköy", "347", False)
        )
        self.assertEqual(area.display_name, "347*, Kadıköy, İstanbul, Türkiye")

    def test_counts_and_load_in_one_query_per_model(self):
        (self.center_a1 | self.center_a2).capacity = 5
        self._order_in_state("assigned")
        self._order_in_state("in_progress")
        self._order_in_state("done")
        self._order_in_state("in_progress", center=self.center_a2)
        centers = self.center_a1 | self.center_a2 | self.center_b
        centers.invalidate_recordset()
        # capacity, then one grouped query for orders and one for technicians,
        # whatever the number of centers
        with self.assertQueryCount(3):
            values = [
                (
                    c.open_order_count,
                    c.order_count,
                    c.load_percentage,
                    c.technician_count,
                )
                for c in centers
            ]
        self.assertEqual(values, [(2, 3, 40.0, 2), (1, 1, 20.0, 1), (0, 0, 0.0, 1)])

    def test_holidays_are_the_calendar_global_leaves(self):
        calendar = self.center_a1.resource_calendar_id
        holiday = self.env["resource.calendar.leaves"].create(
            {
                "name": "Republic Day",
                "calendar_id": calendar.id,
                "date_from": "2026-10-28 21:00:00",
                "date_to": "2026-10-29 20:59:59",
            }
        )
        self.assertIn(holiday, self.center_a1.holiday_ids)

    def test_service_type_code_unique_even_when_shared(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.env["aftersales.service.type"].create(
                {"name": "Dup", "code": "T-INST"}
            )
            self.env.flush_all()

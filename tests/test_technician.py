from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import AftersalesCommon


@tagged("post_install", "-at_install")
class TestTechnician(AftersalesCommon):
    def _create(self, **vals):
        return self.env["aftersales.technician"].create(
            {"name": "New Tech", "center_id": self.center_a1.id, **vals}
        )

    def test_national_number_read_in_center_country(self):
        self.assertEqual(self._create(mobile="0532 123 45 67").mobile, "+905321234567")

    def test_international_number_normalised(self):
        for raw in ("+90 (532) 123-45-67", "+90 532 123 45 67", "00905321234567"):
            with self.subTest(raw=raw):
                self.assertEqual(self._create(mobile=raw).mobile, "+905321234567")
        swedish = self._create(mobile="+46 70 123 45 67")
        self.assertEqual(
            swedish.mobile, "+46701234567", "a foreign number keeps its country"
        )

    def test_invalid_number_refused_with_clear_message(self):
        for raw in ("12", "not a phone", "+90 999 999 99 99"):
            with (
                self.subTest(raw=raw),
                self.assertRaisesRegex(ValidationError, "is not valid"),
            ):
                self._create(mobile=raw)

    def test_invalid_number_on_write_keeps_old_value(self):
        with self.assertRaisesRegex(ValidationError, "0000"):
            self.technician_a1.mobile = "0000"
        self.assertEqual(self.technician_a1.mobile, "+905321110001")
        self.technician_a1.mobile = ""
        self.assertFalse(self.technician_a1.mobile, "a number may be removed")

    def test_resource_takes_center_calendar_and_company(self):
        calendar = self.env["resource.calendar"].create(
            {"name": "Shop hours", "tz": "Europe/Istanbul"}
        )
        self.center_a2.resource_calendar_id = calendar
        technician = self.env["aftersales.technician"].create(
            {"name": "Zeynep", "center_id": self.center_a2.id}
        )
        self.assertEqual(technician.resource_id.name, "Zeynep")
        self.assertEqual(technician.resource_calendar_id, calendar)
        self.assertEqual(technician.tz, "Europe/Istanbul")
        self.assertEqual(technician.company_id, self.company)
        technician.name = "Zeynep Arslan"
        self.assertEqual(technician.resource_id.name, "Zeynep Arslan")
        technician.action_archive()
        self.assertFalse(technician.resource_id.active)

    def test_defaults_and_roles(self):
        technician = self._create()
        self.assertEqual(technician.role, "technician")
        self.assertTrue(technician.sms_allowed)
        self.assertTrue(technician.notification_allowed)
        self.assertEqual(self.center_a1.technician_count, 3)

    def test_center_of_another_company_refused(self):
        with self.assertRaisesRegex(UserError, "no company crossover"):
            self.env["aftersales.technician"].create(
                {
                    "name": "Wrong company",
                    "center_id": self.center_b.id,
                    "company_id": self.company.id,
                }
            )

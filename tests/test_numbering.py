import base64
from datetime import date

from odoo.tests import freeze_time, tagged

from .common import AftersalesCommon


@tagged("post_install", "-at_install")
class TestNumbering(AftersalesCommon):
    """Work orders, warranty cards and settlements are numbered by
    ``ir.sequence`` itself: what an administrator sets on a sequence (here
    date ranges, and a prefix with the range's year) applies to them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A fiscal year from July: the range's year is not the calendar year,
        # and each range counts from its own next number.
        for xmlid, prefix in (
            ("aftersales.seq_aftersales_order", "WO/%(range_year)s/"),
            ("aftersales.seq_aftersales_warranty", "WC%(range_y)s-"),
            ("aftersales.seq_aftersales_settlement", "SET/%(range_year)s/"),
        ):
            sequence = cls.env.ref(xmlid)
            sequence.write({"use_date_range": True, "prefix": prefix})
            cls.env["ir.sequence.date_range"].create(
                {
                    "sequence_id": sequence.id,
                    "date_from": date(2025, 7, 1),
                    "date_to": date(2026, 6, 30),
                    "number_next_actual": 41,
                }
            )

    @freeze_time("2026-03-15 10:00:00")
    def test_date_range_sequences_number_orders_warranties_and_settlements(self):
        orders = self.env["aftersales.order"].create(
            [
                {
                    "partner_id": self.customer.id,
                    "product_id": self.product.id,
                    "service_type_id": self.type_maintenance.id,
                }
                for _i in range(2)
            ]
        )
        self.assertEqual(orders.mapped("name"), ["WO/2025/00041", "WO/2025/00042"])

        warranty_type = self.env["aftersales.warranty.type"].create(
            {"name": "Numbering 2y", "duration": 2}
        )
        warranty = self.env["aftersales.warranty"].create(
            {
                "lot_id": self.lot.id,
                "partner_id": self.customer.id,
                "warranty_type_id": warranty_type.id,
                "date_start": date(2026, 3, 1),
            }
        )
        self.assertEqual(warranty.card_number, "WC25-0000041")
        job = self.env["aftersales.warranty.import"].create(
            {
                "name": "cards.csv",
                "file": base64.b64encode(
                    b"serial,product,customer,warranty_type\n"
                    b"NUM-1,Test Washing Machine,Test Customer,Numbering 2y\n"
                    b"NUM-2,Test Washing Machine,Test Customer,Numbering 2y\n"
                ),
            }
        )
        job.action_check()
        job.action_import()
        job._import_queued(lambda processed, remaining: True)
        self.assertEqual(
            sorted(job.warranty_ids.mapped("card_number")),
            ["WC25-0000042", "WC25-0000043"],
        )

        settlement = self.env["aftersales.settlement"].create(
            {
                "company_id": self.company.id,
                "currency_id": self.company.currency_id.id,
                "center_id": self.center_a1.id,
                "date_from": date(2026, 2, 1),
                "date_to": date(2026, 2, 28),
            }
        )
        self.assertEqual(settlement.name, "SET/2025/00041")

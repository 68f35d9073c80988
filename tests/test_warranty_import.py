import base64
import io

import openpyxl

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import AftersalesCommon

HEADER = "serial,product,customer,start_date,warranty_type,card_number\n"


@tagged("post_install", "-at_install")
class TestWarrantyImport(AftersalesCommon):
    """Bulk import of serials and warranties: every row checked first, nothing
    half imported, every bad row reported with its reason."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product.default_code = "TWM"
        cls.wtype = cls.env["aftersales.warranty.type"].create(
            {"name": "Import 2y", "duration": 2}
        )
        cls.product.product_tmpl_id.aftersales_warranty_type_id = cls.wtype
        cls.customer.ref = "C-001"
        cls.other_customer = cls.env["res.partner"].create(
            {
                "name": "Zeynep Kaya",
                "phone": "+905321119988",
                "country_id": cls.country_tr.id,
            }
        )
        cls.env["res.partner"].create({"name": "Ali Veli"})
        cls.env["res.partner"].create({"name": "Ali Veli"})

    def _import(self, content, name="warranties.csv", **vals):
        if isinstance(content, str):
            content = content.encode()
        job = (
            self.env["aftersales.warranty.import"]
            .with_user(self.user_dispatcher)
            .create({"name": name, "file": base64.b64encode(content), **vals})
        )
        job.action_check()
        return job

    def _run(self, job):
        job.action_import()
        chunks = []
        job._import_queued(
            lambda processed, remaining: chunks.append((processed, remaining)) or True
        )
        return chunks

    def test_valid_file_is_imported(self):
        job = self._import(
            HEADER
            + "SN-1,TWM,C-001,2026-01-15,,CARD-1\n"
            + "SN-2,Test Washing Machine,0532 111 99 88,15/02/2026,Import 2y,\n"
            + "SN-3,TWM,Test Customer,01.03.2026,,\n"
            + ",,,,,\n"
        )
        self.assertEqual((job.state, job.row_count, job.error_count), ("checked", 3, 0))
        self.assertEqual(self._run(job), [(3, 0)])
        self.assertEqual(
            (job.state, job.imported_count, job.progress), ("done", 3, 100.0)
        )
        warranties = self.env["aftersales.warranty"].search(
            [("lot_id.name", "in", ["SN-1", "SN-2", "SN-3"])]
        )
        by_serial = {w.lot_id.name: w for w in warranties}
        self.assertEqual(by_serial["SN-1"].card_number, "CARD-1")
        self.assertEqual(
            by_serial["SN-2"].partner_id, self.other_customer, "found by its phone"
        )
        self.assertEqual(str(by_serial["SN-2"].date_start), "2026-02-15")
        self.assertEqual(str(by_serial["SN-3"].date_start), "2026-03-01")
        self.assertEqual(set(warranties.mapped("state")), {"active"})
        self.assertEqual(warranties.lot_id.product_id, self.product)

    def test_serials_are_created_through_stock_lot_create(self):
        """What other modules do in ``stock.lot.create`` applies to imported
        serials: stock_account gives the serial of a product valued per lot
        the product's cost (a raw insert left it at zero)."""
        self.product.write({"lot_valuated": True, "standard_price": 123.0})
        job = self._import(HEADER + "SN-LV,TWM,C-001,2026-01-15,,\n")
        self._run(job)
        lot = job.warranty_ids.lot_id
        self.assertEqual((lot.name, lot.product_id), ("SN-LV", self.product))
        self.assertEqual(lot.company_id, self.company)
        self.assertEqual(lot.standard_price, 123.0)

    def test_every_bad_row_is_reported_and_nothing_is_imported(self):
        job = self._import(
            HEADER
            + "SN-10,TWM,C-001,,,\n"
            + "SN-11,NOPE,C-001,,,\n"
            + "SN-10,TWM,C-001,,,\n"
            + "SN-12,TWM,Nobody,,,\n"
            + "SN-13,TWM,C-001,31/31/2026,,\n"
            + "SN-14,TWM,Ali Veli,,,\n"
            + "SN-15,TWM,C-001,,Unknown type,\n"
            + f"{self.lot.name},TWM,C-001,,,\n"
        )
        self._run_existing_warranty()
        job.action_check()
        reasons = {error.row: error.message for error in job.error_ids}
        self.assertEqual(sorted(reasons), [3, 4, 5, 6, 7, 8, 9])
        self.assertIn("unknown product “NOPE”", reasons[3])
        self.assertIn("appears twice", reasons[4])
        self.assertIn("unknown customer “Nobody”", reasons[5])
        self.assertIn("bad date “31/31/2026”", reasons[6])
        self.assertIn("several customers match “Ali Veli”", reasons[7])
        self.assertIn("unknown warranty type “Unknown type”", reasons[8])
        self.assertIn("already has a warranty", reasons[9])
        with self.assertRaisesRegex(UserError, "7 rows are invalid"):
            job.action_import()
        self.assertFalse(self.env["stock.lot"].search([("name", "=", "SN-10")]))

        job.import_valid_rows = True
        self._run(job)
        self.assertEqual(job.imported_count, 1)
        self.assertTrue(
            self.env["aftersales.warranty"].search([("lot_id.name", "=", "SN-10")])
        )

    def _run_existing_warranty(self):
        self.env["aftersales.warranty"].create(
            {
                "lot_id": self.lot.id,
                "partner_id": self.customer.id,
                "warranty_type_id": self.wtype.id,
            }
        )

    def test_xlsx_and_semicolons(self):
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.append(["Serial", "Product", "Customer", "Start Date"])
        sheet.append(["SN-20", "TWM", "C-001", "2026-05-01"])
        buffer = io.BytesIO()
        workbook.save(buffer)
        job = self._import(buffer.getvalue(), name="units.xlsx")
        self.assertEqual((job.row_count, job.error_count), (1, 0))
        csv_job = self._import("serial;product;customer\nSN-21;TWM;C-001\n")
        self.assertEqual((csv_job.row_count, csv_job.error_count), (1, 0))

    def test_unreadable_files_are_refused(self):
        with self.assertRaisesRegex(UserError, "no column customer"):
            self._import("serial,product\nSN-1,TWM\n")
        with self.assertRaisesRegex(UserError, "UTF-8"):
            self._import("serial,product,customer\nSN-1,TWM,Ça\n".encode("latin-1"))
        with self.assertRaisesRegex(UserError, "not a readable XLSX"):
            self._import(b"not a spreadsheet", name="units.xlsx")
        with self.assertRaisesRegex(UserError, "empty"):
            self._import("")

    def test_large_files_are_imported_in_chunks(self):
        rows = "".join(f"BULK-{n},TWM,C-001,,,\n" for n in range(4500))
        job = self._import(HEADER + rows)
        self.assertEqual(self._run(job), [(2000, 2500), (2000, 500), (500, 0)])
        self.assertEqual(job.imported_count, 4500)

    def test_work_orders_of_imported_serials_learn_their_warranty(self):
        order = self._create_order()
        self.assertFalse(order.warranty_id)
        self._run(
            self._import(HEADER + f"{self.lot.name},TWM,C-001,2026-06-01,,CARD-77\n")
        )
        self.assertEqual(order.warranty_id.card_number, "CARD-77")
        self.assertTrue(order.under_warranty)

    def test_center_users_cannot_import(self):
        with self.assertRaises(AccessError):
            self.env["aftersales.warranty.import"].with_user(self.user_center).create(
                {"file": base64.b64encode(HEADER.encode())}
            )

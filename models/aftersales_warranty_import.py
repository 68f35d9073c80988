import base64
from datetime import datetime

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools.phone import e164_or_none
from ..tools.sequence import draw_sequence_numbers
from ..tools.spreadsheet import read_table

COLUMNS = (
    "serial",
    "product",
    "customer",
    "start_date",
    "warranty_type",
    "card_number",
)
REQUIRED_COLUMNS = ("serial", "product", "customer")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y")
# Rows created per transaction when importing.
CHUNK_SIZE = 2000
# Rows and columns of one file, read at most: a file is streamed and reading
# stops there, whatever size the file declares (security review F4).
MAX_IMPORT_ROWS = 100_000
MAX_IMPORT_COLUMNS = 32


class AftersalesWarrantyImport(models.Model):
    """A spreadsheet of serials and their warranties, checked row by row, then
    imported in committed batches by a cron that reports its progress."""

    _name = "aftersales.warranty.import"
    _description = "After-Sales Warranty Import"
    _order = "id desc"

    name = fields.Char(string="File Name", required=True, default="warranties.csv")
    file = fields.Binary(required=True, attachment=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    default_warranty_type_id = fields.Many2one(
        "aftersales.warranty.type",
        string="Warranty Type",
        help="For rows that name none and products without one.",
    )
    import_valid_rows = fields.Boolean(
        string="Import the Valid Rows",
        help="Import the valid rows even when others have errors; otherwise "
        "nothing is imported until every row is valid.",
    )
    state = fields.Selection(
        [
            ("draft", "To Check"),
            ("checked", "Checked"),
            ("queued", "Importing"),
            ("done", "Imported"),
        ],
        default="draft",
        required=True,
        readonly=True,
    )
    row_count = fields.Integer(string="Rows", readonly=True)
    error_count = fields.Integer(string="Invalid Rows", readonly=True)
    imported_count = fields.Integer(string="Imported", readonly=True)
    progress = fields.Float(compute="_compute_progress")
    error_ids = fields.One2many(
        "aftersales.warranty.import.error", "import_id", string="Errors", readonly=True
    )
    warranty_ids = fields.One2many(
        "aftersales.warranty", "import_id", string="Warranties", readonly=True
    )
    warranty_count = fields.Integer(compute="_compute_warranty_count")

    def _compute_warranty_count(self):
        counts = dict(
            self.env["aftersales.warranty"]._read_group(
                [("import_id", "in", self.ids)], ["import_id"], ["__count"]
            )
        )
        for job in self:
            job.warranty_count = counts.get(job, 0)

    def action_view_warranties(self):
        """Open the warranties this import created."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales.aftersales_warranty_action"
        )
        action["domain"] = [("import_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    @api.depends("imported_count", "row_count", "error_count")
    def _compute_progress(self):
        for wizard in self:
            to_import = wizard.row_count - wizard.error_count
            wizard.progress = (
                100.0 * wizard.imported_count / to_import if to_import else 0.0
            )

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_check(self):
        """Read the file and report every invalid row, with its reason."""
        self.ensure_one()
        rows = self._read_rows()
        _valid, errors = self._validate_rows(rows)
        self.error_ids.unlink()
        self.env["aftersales.warranty.import.error"].create(
            [
                {"import_id": self.id, "row": row, "serial": serial, "message": message}
                for row, serial, message in errors
            ]
        )
        self.write(
            {
                "state": "checked",
                "row_count": len(rows),
                "error_count": len({row for row, _serial, _message in errors}),
            }
        )
        return True

    def action_import(self):
        """Import the checked rows in the background."""
        self.ensure_one()
        if self.state != "checked":
            raise UserError(self.env._("Check the file before importing it."))
        if self.error_count and not self.import_valid_rows:
            raise UserError(
                self.env._(
                    "%(count)s rows are invalid: fix them, or choose to import the "
                    "valid rows only.",
                    count=self.error_count,
                )
            )
        self.state = "queued"
        self.env.ref("aftersales.ir_cron_process_warranty_imports")._trigger()
        return True

    # ------------------------------------------------------------
    # Reading and checking
    # ------------------------------------------------------------

    def _read_rows(self):
        """The file's rows as dicts of COLUMNS, with their line number."""
        self.ensure_one()
        content = base64.b64decode(self.file or b"")
        table = read_table(
            self.env, self.name, content, MAX_IMPORT_ROWS + 2, MAX_IMPORT_COLUMNS
        )
        if len(table) > MAX_IMPORT_ROWS + 1:
            raise UserError(
                self.env._(
                    "At most %(count)s rows per file: split it.",
                    count=MAX_IMPORT_ROWS,
                )
            )
        if not table:
            raise UserError(self.env._("The file is empty."))
        header = [
            str(cell or "").strip().lower().replace(" ", "_") for cell in table[0]
        ]
        missing = [column for column in REQUIRED_COLUMNS if column not in header]
        if missing:
            raise UserError(
                self.env._(
                    "The file has no column %(columns)s. Expected columns: "
                    "%(expected)s.",
                    columns=", ".join(missing),
                    expected=", ".join(COLUMNS),
                )
            )
        index = {column: header.index(column) for column in COLUMNS if column in header}
        rows = []
        for line, cells in enumerate(table[1:], start=2):
            if not any(str(cell or "").strip() for cell in cells):
                continue
            row = {
                column: str(
                    cells[i] if i < len(cells) and cells[i] is not None else ""
                ).strip()
                for column, i in index.items()
            }
            rows.append((line, row))
        return rows

    def _validate_rows(self, rows):
        """Split the rows into values ready to import and errors.

        Every lookup is one query for the whole file: products, customers,
        warranty types, existing serials and warranties.
        """
        self.ensure_one()
        Product = self.env["product.product"].with_company(self.company_id)
        codes = {row["product"] for _line, row in rows}
        products = Product.search(
            ["|", ("default_code", "in", list(codes)), ("name", "in", list(codes))]
        )
        product_by_key = {}
        for product in products:
            product_by_key.setdefault(product.default_code, product)
            product_by_key.setdefault(product.name, product)

        customer_by_key = self._find_customers({row["customer"] for _line, row in rows})
        type_by_name = {
            wtype.name: wtype
            for wtype in self.env["aftersales.warranty.type"].search(
                [
                    (
                        "name",
                        "in",
                        list({row.get("warranty_type") for _l, row in rows} - {""}),
                    )
                ]
            )
        }
        serials = [row["serial"] for _line, row in rows]
        existing = {
            (w.lot_id.name, w.lot_id.product_id.id)
            for w in self.env["aftersales.warranty"].search(
                [("lot_id.name", "in", serials), ("state", "!=", "void")]
            )
        }
        seen, valid, errors = set(), [], []
        for line, row in rows:
            problems = []
            product = product_by_key.get(row["product"])
            customer = customer_by_key.get(row["customer"])
            if not row["serial"]:
                problems.append(self.env._("no serial number"))
            if not product:
                problems.append(self.env._("unknown product “%s”", row["product"]))
            elif product.tracking != "serial":
                problems.append(
                    self.env._("%s is not tracked by serial number", product.name)
                )
            if customer is False:
                problems.append(
                    self.env._("several customers match “%s”", row["customer"])
                )
            elif not customer:
                problems.append(self.env._("unknown customer “%s”", row["customer"]))
            key = (row["serial"], product.id if product else None)
            if row["serial"] and key in seen:
                problems.append(
                    self.env._("serial %s appears twice in the file", row["serial"])
                )
            elif product and key in existing:
                problems.append(
                    self.env._("serial %s already has a warranty", row["serial"])
                )
            seen.add(key)
            date_start = self._parse_date(row.get("start_date"))
            if date_start is False:
                problems.append(self.env._("bad date “%s”", row["start_date"]))
            wtype = (
                type_by_name.get(row.get("warranty_type"))
                if row.get("warranty_type")
                else (
                    product and product.product_tmpl_id._get_aftersales_warranty_type()
                )
                or self.default_warranty_type_id
            )
            if not wtype:
                problems.append(
                    self.env._("unknown warranty type “%s”", row["warranty_type"])
                    if row.get("warranty_type")
                    else self.env._("no warranty type for this product")
                )
            if problems:
                errors.append((line, row["serial"], "; ".join(problems)))
                continue
            valid.append(
                {
                    "line": line,
                    "serial": row["serial"],
                    "product_id": product.id,
                    "partner_id": customer.id,
                    "warranty_type_id": wtype.id,
                    "date_start": date_start or fields.Date.context_today(self),
                    "card_number": row.get("card_number") or None,
                }
            )
        return valid, errors

    def _find_customers(self, keys):
        """Customers by phone (any format), reference or exact name; False
        when a key matches several."""
        country = self.company_id.country_id
        by_phone = {}
        for key in keys:
            number = e164_or_none(key, country)
            if number:
                by_phone[number] = key
        partners = self.env["res.partner"].search(
            [
                "|",
                "|",
                ("phone_sanitized", "in", list(by_phone)),
                ("ref", "in", list(keys)),
                ("name", "in", list(keys)),
            ]
        )
        found = {}
        for partner in partners:
            matched = {
                by_phone.get(partner.phone_sanitized),
                partner.ref,
                partner.name,
            } & set(keys)
            for key in matched:
                commercial = partner.commercial_partner_id
                found[key] = (
                    commercial if found.get(key, commercial) == commercial else False
                )
        return found

    @api.model
    def _parse_date(self, text):
        """The date in ``text``; None when empty, False when unreadable."""
        if not text:
            return None
        for date_format in DATE_FORMATS:
            try:
                return datetime.strptime(text, date_format).date()
            except ValueError:
                continue
        return False

    # ------------------------------------------------------------
    # Importing
    # ------------------------------------------------------------

    def _import_rows(self, valid_rows):
        """Create the serials and warranties of ``valid_rows``.

        Serials are ``stock.lot`` records, another module's: they are created
        through its ``create`` (one batch per chunk), so its constraints and
        whatever other modules add to it apply. Warranties are ours, and
        imports run to tens of thousands of rows while the ORM costs about a
        millisecond per record created (bench/RESULTS.md): the rows, all
        validated above and carrying no chatter, are inserted with one
        set-based statement (tests/test_raw_sql_guards.py checks that nothing
        it would skip exists), and what depends on them is recomputed after.
        """
        self.ensure_one()
        company = self.company_id
        Lot = self.env["stock.lot"]
        Warranty = self.env["aftersales.warranty"]
        now, uid = fields.Datetime.now(), self.env.uid
        keys = {(row["serial"], row["product_id"]) for row in valid_rows}
        lot_ids = {
            (lot.name, lot.product_id.id): lot.id
            for lot in Lot.with_company(company).search(
                [
                    ("name", "in", [serial for serial, _product in keys]),
                    ("company_id", "in", [company.id, False]),
                ]
            )
        }
        missing = sorted(key for key in keys if key not in lot_ids)
        if missing:
            # No chatter on serials created in bulk, as for the warranties.
            lots = Lot.with_context(
                tracking_disable=True, mail_create_nolog=True
            ).create(
                [
                    {"name": serial, "product_id": product_id, "company_id": company.id}
                    for serial, product_id in missing
                ]
            )
            for lot in lots:
                lot_ids[lot.name, lot.product_id.id] = lot.id
        Lot.flush_model()
        Warranty.flush_model()

        today = fields.Date.context_today(self)
        types = self.env["aftersales.warranty.type"].browse(
            {row["warranty_type_id"] for row in valid_rows}
        )
        end_dates = {}
        numbers = iter(
            draw_sequence_numbers(
                self.env,
                "aftersales.warranty",
                company,
                sum(1 for row in valid_rows if not row["card_number"]),
            )
        )
        columns = {
            "card_number": [],
            "lot_id": [],
            "product_id": [],
            "partner_id": [],
            "warranty_type_id": [],
            "date_start": [],
            "date_end": [],
            "state": [],
        }
        for row in valid_rows:
            key = (row["warranty_type_id"], row["date_start"])
            if key not in end_dates:
                end_dates[key] = types.browse(key[0])._get_end_date(key[1])
            date_end = end_dates[key]
            columns["card_number"].append(row["card_number"] or next(numbers))
            columns["lot_id"].append(lot_ids[row["serial"], row["product_id"]])
            columns["product_id"].append(row["product_id"])
            columns["partner_id"].append(row["partner_id"])
            columns["warranty_type_id"].append(row["warranty_type_id"])
            columns["date_start"].append(row["date_start"])
            columns["date_end"].append(date_end)
            columns["state"].append("expired" if date_end < today else "active")
        # Raw SQL: bulk insert into our own table, see the docstring.
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO aftersales_warranty (
                       card_number, lot_id, product_id, partner_id, warranty_type_id,
                       date_start, date_end, state, extension_months, company_id,
                       import_id, create_uid, write_uid, create_date, write_date)
                SELECT card_number, lot_id, product_id, partner_id, warranty_type_id,
                       date_start, date_end, state, 0, %(company)s,
                       %(import_id)s, %(uid)s, %(uid)s, %(now)s, %(now)s
                  FROM unnest(%(card_number)s::varchar[], %(lot_id)s::int[],
                              %(product_id)s::int[], %(partner_id)s::int[],
                              %(warranty_type_id)s::int[], %(date_start)s::date[],
                              %(date_end)s::date[], %(state)s::varchar[])
                       AS row(card_number, lot_id, product_id, partner_id,
                              warranty_type_id, date_start, date_end, state)
                RETURNING id
                """,
                company=company.id,
                import_id=self.id,
                uid=uid,
                now=now,
                **columns,
            )
        )
        warranties = Warranty.browse(row[0] for row in self.env.cr.fetchall())
        Lot.invalidate_model(["aftersales_warranty_ids"])
        self.invalidate_recordset(["warranty_ids", "warranty_count"])
        # Work orders of these serials learn their warranty.
        orders = self.env["aftersales.order"].search(
            [("lot_id", "in", columns["lot_id"])]
        )
        orders.modified(["lot_id"])
        return warranties

    @api.model
    def _cron_process_imports(self):
        """Import the queued files, one committed chunk of rows at a time."""
        quiet = self.with_context(tracking_disable=True, mail_create_nolog=True)
        for job in quiet.search([("state", "=", "queued")]).try_lock_for_update():
            if not job._import_queued(self.env["ir.cron"]._commit_progress):
                return

    def _import_queued(self, after_chunk):
        """Import this queued file chunk by chunk, calling
        ``after_chunk(processed, remaining=...)`` after each one; stop early when
        it returns a false value. Rows imported by an interrupted run are
        reported as already warranted and skipped on the next one."""
        self.ensure_one()
        valid, _errors = self._validate_rows(self._read_rows())
        while valid:
            chunk, valid = valid[:CHUNK_SIZE], valid[CHUNK_SIZE:]
            self._import_rows(chunk)
            self.imported_count += len(chunk)
            if not valid:
                self.state = "done"
            if not after_chunk(len(chunk), remaining=len(valid)):
                return False
        self.state = "done"
        return True


class AftersalesWarrantyImportError(models.Model):
    _name = "aftersales.warranty.import.error"
    _description = "Invalid Row of a Warranty Import"
    _order = "row"

    import_id = fields.Many2one(
        "aftersales.warranty.import", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="import_id.company_id", store=True)
    row = fields.Integer()
    serial = fields.Char()
    message = fields.Char(string="Reason")


class AftersalesWarranty(models.Model):
    _inherit = "aftersales.warranty"

    import_id = fields.Many2one(
        "aftersales.warranty.import",
        string="Imported From",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="The warranty import that created this warranty.",
    )

import base64
import io

import xlsxwriter

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)

# Columns of the export: (metric key, header, kind).
EXPORT_COLUMNS = (
    ("closed_count", _lt("Closed Orders"), "int"),
    ("done_count", _lt("Completed Orders"), "int"),
    ("on_time_rate", _lt("On-Time Completion"), "pct"),
    ("first_time_approval_rate", _lt("First-Time Approval"), "pct"),
    ("cancel_rate", _lt("Cancellation Rate"), "pct"),
    ("return_rate", _lt("Return Rate"), "pct"),
    ("first_time_fix_rate", _lt("First-Time Fix"), "pct"),
    ("rating_avg", _lt("Average Rating"), "num"),
    ("rating_count", _lt("Ratings"), "int"),
    ("avg_duration", _lt("Average Duration (h)"), "num"),
    ("score", _lt("Score"), "num"),
)


class AftersalesPerformanceExport(models.TransientModel):
    _name = "aftersales.performance.export"
    _description = "Export Technician Scores"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    date_from = fields.Date(
        required=True,
        default=lambda self: fields.Date.context_today(self).replace(day=1),
    )
    date_to = fields.Date(
        required=True,
        default=lambda self: fields.Date.context_today(self),
        help="Included.",
    )
    center_ids = fields.Many2many(
        "aftersales.center",
        string="Centers",
        check_company=True,
        help="Leave empty for every center.",
    )

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for wizard in self:
            if wizard.date_from > wizard.date_to:
                raise UserError(self.env._("The period ends before it starts."))

    def _get_technicians(self):
        domain = [("company_id", "=", self.company_id.id)]
        if self.center_ids:
            domain.append(("center_id", "in", self.center_ids.ids))
        return (
            self.env["aftersales.technician"]
            .with_context(active_test=False)
            .search(domain, order="center_id, name, id")
        )

    def _get_rows(self):
        """(technician, metrics with the score) for each technician."""
        self.ensure_one()
        technicians = self._get_technicians()
        orders = self.env["aftersales.order"]
        metrics = orders._get_performance(
            "technician_id",
            technicians,
            fields.Datetime.to_datetime(self.date_from),
            fields.Datetime.to_datetime(fields.Date.add(self.date_to, days=1)),
        )
        rows = []
        for technician in technicians:
            values = dict(metrics[technician.id])
            values["score"] = orders._get_performance_score(values, self.company_id)
            rows.append((technician, values))
        return rows

    def _build_xlsx(self, rows):
        buffer = io.BytesIO()
        # Names are text, never formulas or links, whatever they start with
        # (security review F16: "=HYPERLINK(...)" as a technician's name).
        workbook = xlsxwriter.Workbook(
            buffer,
            {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
        )
        sheet = workbook.add_worksheet(self.env._("Technician Scores"))
        bold = workbook.add_format({"bold": True})
        formats = {
            "pct": workbook.add_format({"num_format": "0.0%"}),
            "num": workbook.add_format({"num_format": "0.00"}),
            "int": workbook.add_format({"num_format": "0"}),
        }
        headers = [
            self.env._("Technician"),
            self.env._("Employee Reference"),
            self.env._("Center"),
            *(str(header) for _key, header, _kind in EXPORT_COLUMNS),
        ]
        for col, header in enumerate(headers):
            sheet.write_string(0, col, header, bold)
        sheet.freeze_panes(1, 1)
        for row_index, (technician, values) in enumerate(rows, start=1):
            sheet.write_string(row_index, 0, technician.name or "")
            sheet.write_string(row_index, 1, technician.user_id.login or "")
            sheet.write_string(row_index, 2, technician.center_id.name or "")
            for col, (key, _header, kind) in enumerate(EXPORT_COLUMNS, start=3):
                value = values.get(key)
                if value is None:
                    sheet.write_blank(row_index, col, None)
                else:
                    sheet.write_number(row_index, col, value, formats[kind])
        sheet.set_column(0, 2, 24)
        sheet.set_column(3, 3 + len(EXPORT_COLUMNS), 14)
        workbook.close()
        return buffer.getvalue()

    def action_export(self):
        """Build the spreadsheet and download it."""
        self.ensure_one()
        rows = self._get_rows()
        if not rows:
            raise UserError(self.env._("No technician to export."))
        filename = self.env._(
            "technician-scores-%(date_from)s-%(date_to)s.xlsx",
            date_from=self.date_from,
            date_to=self.date_to,
        )
        attachment = self.env["ir.attachment"].create(
            {
                "name": filename,
                "datas": base64.b64encode(self._build_xlsx(rows)),
                "res_model": self._name,
                "res_id": self.id,
                "mimetype": "application/vnd.openxmlformats-officedocument."
                "spreadsheetml.sheet",
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }

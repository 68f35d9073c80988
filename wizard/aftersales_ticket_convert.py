"""Turn a service request into work orders or a contract inquiry (convert.py
of the request holds the rules; this is its dialog)."""

from odoo import fields, models


class AftersalesTicketConvert(models.TransientModel):
    _name = "aftersales.ticket.convert"
    _description = "Convert a Service Request"

    ticket_id = fields.Many2one("aftersales.ticket", required=True, readonly=True)
    company_id = fields.Many2one(related="ticket_id.company_id")
    target = fields.Selection(
        [("orders", "Work Orders"), ("contract", "Contract Inquiry")],
        required=True,
        default="orders",
    )
    line_ids = fields.One2many(
        "aftersales.ticket.convert.line", "wizard_id", string="Work Orders"
    )


class AftersalesTicketConvertLine(models.TransientModel):
    _name = "aftersales.ticket.convert.line"
    _description = "Work Order of a Service Request Conversion"

    wizard_id = fields.Many2one(
        "aftersales.ticket.convert", required=True, ondelete="cascade"
    )
    service_type_id = fields.Many2one("aftersales.service.type", required=True)
    product_id = fields.Many2one("product.product", required=True)
    lot_id = fields.Many2one("stock.lot", string="Serial Number")

"""Turn a service request into work orders or a contract inquiry (convert.py
of the request holds the rules; this is its dialog)."""

from odoo import api, fields, models
from odoo.fields import Command


class AftersalesTicketConvert(models.TransientModel):
    _name = "aftersales.ticket.convert"
    _description = "Convert a Service Request"
    _check_company_auto = True

    ticket_id = fields.Many2one("aftersales.ticket", required=True, readonly=True)
    company_id = fields.Many2one(related="ticket_id.company_id")
    partner_id = fields.Many2one(related="ticket_id.partner_id")
    commercial_partner_id = fields.Many2one(
        related="ticket_id.partner_id.commercial_partner_id"
    )
    target = fields.Selection(
        [("orders", "Work Orders"), ("contract", "Contract Inquiry")],
        required=True,
        default="orders",
    )
    line_ids = fields.One2many(
        "aftersales.ticket.convert.line", "wizard_id", string="Work Orders"
    )
    notify_customer = fields.Boolean(
        string="Tell the Customer",
        default=True,
        help="One message in the request's thread names what it became; the "
        "work orders themselves write nothing to the customer.",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        ticket = self.env["aftersales.ticket"].browse(values.get("ticket_id"))
        if ticket and "line_ids" in fields_list and not values.get("line_ids"):
            line = {
                key: value
                for key, value in ticket._prepare_convert_line_vals().items()
                if value
            }
            values["line_ids"] = [Command.create(line)]
        return values

    def action_convert(self):
        """Make the work orders (or the contract inquiry) and open them."""
        self.ensure_one()
        ticket = self.ticket_id
        if self.target == "contract":
            ticket._convert_to_contract(notify_customer=self.notify_customer)
            return {"type": "ir.actions.act_window_close"}
        orders = ticket._convert_to_orders(
            [line._get_line_vals() for line in self.line_ids],
            notify_customer=self.notify_customer,
        )
        action = ticket.action_view_orders()
        if len(orders) > 1:
            action["domain"] = [("id", "in", orders.ids)]
        return action


class AftersalesTicketConvertLine(models.TransientModel):
    _name = "aftersales.ticket.convert.line"
    _description = "Work Order of a Service Request Conversion"
    _check_company_auto = True

    wizard_id = fields.Many2one(
        "aftersales.ticket.convert", required=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="wizard_id.company_id")
    service_type_id = fields.Many2one(
        "aftersales.service.type", required=True, check_company=True
    )
    work_place = fields.Selection(related="service_type_id.work_place")
    product_id = fields.Many2one(
        "product.product",
        required=True,
        check_company=True,
        domain=[("type", "=", "consu")],
    )
    lot_id = fields.Many2one(
        "stock.lot",
        string="Serial Number",
        check_company=True,
        domain="[('product_id', '=', product_id)]",
    )
    address_id = fields.Many2one(
        "res.partner",
        string="Service Address",
        check_company=True,
        domain="[('id', 'child_of', parent.commercial_partner_id)]",
    )
    contact_id = fields.Many2one(
        "res.partner",
        string="Contact Person",
        check_company=True,
        domain="[('id', 'child_of', parent.commercial_partner_id)]",
    )
    priority = fields.Selection(
        [("0", "Normal"), ("1", "High"), ("2", "Urgent")], default="0"
    )
    date_requested = fields.Datetime(
        string="Preferred Time",
        help="The earliest time the customer wants the visit (the order's "
        "requested date).",
    )
    description = fields.Html()

    @api.onchange("product_id")
    def _onchange_product_id(self):
        if self.lot_id and self.lot_id.product_id != self.product_id:
            self.lot_id = False

    def _get_line_vals(self):
        self.ensure_one()
        return {
            "product_id": self.product_id.id,
            "lot_id": self.lot_id.id,
            "service_type_id": self.service_type_id.id,
            "address_id": self.address_id.id,
            "contact_id": self.contact_id.id,
            "priority": self.priority,
            "date_requested": self.date_requested,
            "description": self.description,
        }

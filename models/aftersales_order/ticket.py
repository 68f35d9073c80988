"""The service request a work order was made of (aftersales.ticket)."""

from odoo import fields, models


class AftersalesOrder(models.Model):
    _inherit = "aftersales.order"

    ticket_id = fields.Many2one(
        "aftersales.ticket",
        string="Service Request",
        index="btree_not_null",
        readonly=True,
        copy=False,
        groups="aftersales.group_desk_agent",
        help="The request this work order was made of.",
    )

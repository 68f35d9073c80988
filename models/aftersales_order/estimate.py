from odoo import models


class AftersalesOrder(models.Model):
    """The workshop estimate as a native quotation (depends on ``sale``):
    built from the parts, labour and inspection fee, covered items at zero,
    accepted or declined on the portal, by text or at the desk, and invoiced
    once, at pickup."""

    _inherit = "aftersales.order"

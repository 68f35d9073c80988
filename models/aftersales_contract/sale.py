from odoo import models


class AftersalesContract(models.Model):
    """Renewal offers (depends on ``sale``): a quotation for the next period,
    accepted on the portal into the next contract, or refused."""

    _inherit = "aftersales.contract"

from odoo import models


class AftersalesContract(models.Model):
    """The contract on the customer's portal: pages, PDF and signature."""

    _inherit = "aftersales.contract"

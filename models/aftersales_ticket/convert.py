"""convert seam of aftersales.ticket (see __init__.py)."""

from odoo import models


class AftersalesTicket(models.Model):
    _inherit = "aftersales.ticket"

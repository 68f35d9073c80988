from odoo import models


class AftersalesOrder(models.Model):
    """Replacing the unit instead of repairing it (depends on ``stock``):
    the old serial to the defective location, the new one delivered at
    pickup, the warranty passed on."""

    _inherit = "aftersales.order"

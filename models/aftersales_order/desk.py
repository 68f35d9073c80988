from odoo import models


class AftersalesOrder(models.Model):
    """The work order's unit at a service desk, in stock (depends on
    ``stock``): the receipt that brings the customer's unit into the desk's
    stock as the customer's property, the delivery that hands it back, and
    the reservation of the parts an accepted estimate needs."""

    _inherit = "aftersales.order"

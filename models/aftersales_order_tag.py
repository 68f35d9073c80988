from random import randint

from odoo import fields, models


class AftersalesOrderTag(models.Model):
    """A coloured label staff put on work orders (VIP, return visit, ...)."""

    _name = "aftersales.order.tag"
    _description = "After-Sales Work Order Tag"
    _order = "name"

    name = fields.Char(required=True, translate=True)
    color = fields.Integer(default=lambda self: randint(1, 11))
    active = fields.Boolean(default=True)

    _name_unique = models.Constraint("UNIQUE(name)", "A tag with this name exists.")

from odoo import fields, models

from .aftersales_order.states import ORDER_STATES


class AftersalesOrderStage(models.Model):
    """One record per order state, so that Odoo's tracking-duration mixin (it
    needs a many2one) can measure the time each order spends in each state."""

    _name = "aftersales.order.stage"
    _description = "After-Sales Work Order Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Selection(ORDER_STATES, required=True, readonly=True)
    sequence = fields.Integer(default=10)

    _code_unique = models.Constraint("UNIQUE(code)", "One stage per order state.")

from odoo import api, fields, models


class AftersalesOrder(models.Model):
    """The sale a work order comes from (depends on ``sale``): the line whose
    confirmation created it and the team that sold it."""

    _inherit = "aftersales.order"

    sale_line_id = fields.Many2one(
        "sale.order.line",
        index="btree_not_null",
        readonly=True,
        copy=False,
        check_company=True,
        groups="base.group_user",
    )
    sale_order_id = fields.Many2one(
        related="sale_line_id.order_id",
        string="Sale Order",
        store=True,
        index="btree_not_null",
        groups="base.group_user",
    )
    team_id = fields.Many2one(compute="_compute_team_id", store=True, readonly=False)

    @api.depends("sale_line_id")
    def _compute_team_id(self):
        for order in self:
            order.team_id = order.sale_line_id.order_id.team_id or order.team_id

    @api.model
    def _get_create_dispatcher_fields(self):
        # The link to a sale would make the sale's data readable.
        return super()._get_create_dispatcher_fields() | {"sale_line_id"}

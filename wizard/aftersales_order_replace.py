from odoo import api, fields, models


class AftersalesOrderReplace(models.TransientModel):
    """Replace the unit at the desk instead of repairing it: which serial
    from stock the customer gets, with what the threshold said."""

    _name = "aftersales.order.replace"
    _description = "Replace a Unit"

    order_id = fields.Many2one("aftersales.order", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="order_id.company_id")
    product_id = fields.Many2one(related="order_id.product_id")
    old_lot_id = fields.Many2one(related="order_id.lot_id", string="Unit")
    previous_repair_count = fields.Integer(
        related="order_id.previous_repair_count", string="Repairs Before"
    )
    replacement_suggested = fields.Boolean(related="order_id.replacement_suggested")
    warranty_id = fields.Many2one(
        related="order_id.warranty_id", string="Warranty Passed On"
    )
    replacement_warranty = fields.Selection(
        related="order_id.company_id.aftersales_replacement_warranty",
        string="Warranty of the New Serial",
    )
    available_lot_ids = fields.Many2many(
        "stock.lot", compute="_compute_available_lot_ids"
    )
    lot_id = fields.Many2one(
        "stock.lot",
        string="Replacement Serial",
        required=True,
        domain="[('id', 'in', available_lot_ids)]",
        help="A serial of the same product in the company's stock, free: not "
        "reserved and no one's property.",
    )

    @api.depends("order_id")
    def _compute_available_lot_ids(self):
        for wizard in self:
            wizard.available_lot_ids = (
                wizard.order_id._get_replacement_candidates()
                if wizard.order_id
                else False
            )

    def action_confirm(self):
        """Replace the unit by the chosen serial."""
        self.ensure_one()
        self.order_id.action_replace(self.lot_id)
        return {"type": "ir.actions.act_window_close"}

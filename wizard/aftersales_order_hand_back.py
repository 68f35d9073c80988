from odoo import api, fields, models


class AftersalesOrderHandBack(models.TransientModel):
    """The pickup at the desk: the customer gives the pickup code of the
    slip or the text, whoever picks up signs, the unit leaves the desk."""

    _name = "aftersales.order.hand.back"
    _description = "Hand a Unit Back at the Service Desk"

    order_id = fields.Many2one("aftersales.order", string="Work Order", required=True)
    pickup_code = fields.Char(
        required=True,
        help="The code on the receipt slip or in the customer's text message.",
    )
    picked_up_by = fields.Char(
        compute="_compute_picked_up_by",
        store=True,
        readonly=False,
        required=True,
        help="Who takes the unit: the customer, or whoever comes for them.",
    )
    signature = fields.Binary(help="Signed by whoever picks the unit up.")

    @api.depends("order_id")
    def _compute_picked_up_by(self):
        for wizard in self:
            wizard.picked_up_by = wizard.picked_up_by or wizard.order_id.partner_id.name

    def action_confirm(self):
        """Hand the unit back against the code, with the signature."""
        self.ensure_one()
        self.order_id.action_hand_back(
            self.pickup_code, signature=self.signature, signed_by=self.picked_up_by
        )
        return {"type": "ir.actions.act_window_close"}

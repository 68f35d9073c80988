from odoo import fields, models


class AftersalesOrderReason(models.TransientModel):
    """Ask why a work order is rejected, cancelled or returned."""

    _name = "aftersales.order.reason"
    _description = "Reason for a Work Order Transition"

    order_ids = fields.Many2many(
        "aftersales.order", string="Work Orders", required=True
    )
    transition = fields.Selection(
        [("reject", "Reject"), ("cancel", "Cancel"), ("return", "Return")],
        required=True,
        readonly=True,
    )
    reason = fields.Text(required=True)

    def action_confirm(self):
        """Run the transition on the orders with the reason given."""
        self.ensure_one()
        method = {
            "reject": self.order_ids.action_reject,
            "cancel": self.order_ids.action_cancel,
            "return": self.order_ids.action_return,
        }[self.transition]
        method(self.reason)
        return {"type": "ir.actions.act_window_close"}

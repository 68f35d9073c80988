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
    reject_reason_id = fields.Many2one(
        "aftersales.reject.reason",
        help="Why the center refuses the job; reports count rejections by it.",
    )
    # Required in the view for cancel and return; optional note for a reject.
    reason = fields.Text()

    def action_confirm(self):
        """Run the transition on the orders with the reason given."""
        self.ensure_one()
        orders = self.order_ids
        if self.transition == "reject":
            orders.action_reject(self.reason, reason_id=self.reject_reason_id.id)
            return self._leave_rejected_orders(orders)
        method = {
            "cancel": orders.action_cancel,
            "return": orders.action_return,
        }[self.transition]
        method(self.reason)
        return {"type": "ir.actions.act_window_close"}

    def _leave_rejected_orders(self, orders):
        """Tell the user where the rejected orders went. A center's staff lose
        read access to them (the order left their center): reloading the form
        or its chatter would only raise access errors, so send them to the
        work order list instead."""
        orders.invalidate_recordset()
        visible = orders._filtered_access("read")
        # The names only: the user saw them when they rejected the orders.
        orders_sudo = orders.sudo()
        names = ", ".join(orders_sudo.mapped("display_name"))
        if all(order.center_id for order in orders_sudo):
            message = self.env._(
                "%(orders)s rejected; it goes to another center.", orders=names
            )
        else:
            message = self.env._(
                "%(orders)s rejected; it goes back to a dispatcher.", orders=names
            )
        if visible == orders:
            next_action = {"type": "ir.actions.act_window_close"}
        else:
            next_action = self.env["ir.actions.act_window"]._for_xml_id(
                "aftersales.aftersales_order_action"
            )
            # Replace the breadcrumbs: the form of the order cannot be read.
            next_action["target"] = "main"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": message,
                "next": next_action,
            },
        }

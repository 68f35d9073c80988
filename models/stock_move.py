from odoo import models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _action_done(self, cancel_backorder=False):
        moves = super()._action_done(cancel_backorder=cancel_backorder)
        moves._attach_serials_to_aftersales_orders()
        return moves

    def _attach_serials_to_aftersales_orders(self):
        """Give the serials delivered to the customer to the work orders of
        their sale line that have none yet, oldest order first."""
        deliveries = self.filtered(
            lambda move: (
                move.state == "done"
                and move.sale_line_id
                and move.location_dest_id.usage == "customer"
                and move.product_id.tracking == "serial"
                and move.product_id.aftersales_service_type_id
            )
        )
        for move in deliveries:
            # Warehouse users validate deliveries without after-sales rights.
            line_orders_sudo = move.sale_line_id.sudo().aftersales_order_ids
            serials = move.move_line_ids.lot_id - line_orders_sudo.lot_id
            waiting = line_orders_sudo.filtered(
                lambda order: not order.lot_id and order.state != "cancelled"
            ).sorted("id")
            for order, serial in zip(waiting, serials, strict=False):
                order.lot_id = serial

from odoo import fields, models


class StockMove(models.Model):
    _inherit = "stock.move"

    aftersales_unit_order_id = fields.Many2one(
        "aftersales.order",
        string="Work Order of the Unit",
        index="btree_not_null",
        readonly=True,
        copy=False,
        help="The work order whose customer's unit this move receives at a "
        "service desk or hands back.",
    )

    def _action_done(self, cancel_backorder=False):
        moves = super()._action_done(cancel_backorder=cancel_backorder)
        moves._attach_serials_to_aftersales_orders()
        moves._create_aftersales_warranties()
        return moves

    def _create_aftersales_warranties(self):
        """Give each serial delivered to a customer the warranty of its product."""
        Warranty = self.env["aftersales.warranty"]
        deliveries = self.filtered(
            lambda move: (
                move.state == "done"
                and move.location_dest_id.usage == "customer"
                and move.product_id.tracking == "serial"
                # A unit handed back at a desk (repaired, or its replacement)
                # is not a sale: it keeps the warranty it had, if any.
                and not move.picking_type_id._is_aftersales_unit_hand_back()
            )
        )
        vals_list = []
        for move in deliveries:
            warranty_type = (
                move.product_id.product_tmpl_id._get_aftersales_warranty_type()
            )
            if not warranty_type:
                continue
            # An exchange at a service desk passes the old unit's warranty on
            # when it is made (replacement.py): its transfers of the old and
            # the new serial start none. Warehouse users read the order.
            exchanges_sudo = move.picking_id.sudo().aftersales_order_id.filtered(
                lambda order: order.workshop_outcome == "replaced"
            )
            exchanged = exchanges_sudo.lot_id | exchanges_sudo.replacement_lot_id
            for move_line in move.move_line_ids.filtered(
                lambda line, exchanged=exchanged: (
                    line.lot_id and line.lot_id not in exchanged
                )
            ):
                vals_list.append(
                    Warranty._prepare_delivery_vals(move_line, warranty_type)
                )
        if not vals_list:
            return Warranty
        # Warehouse users validate deliveries without after-sales rights; a
        # serial delivered again to the same customer keeps its warranty.
        warranties_sudo = Warranty.sudo()
        existing = {
            (w.lot_id.id, w.partner_id.id)
            for w in warranties_sudo.search(
                [
                    ("lot_id", "in", [vals["lot_id"] for vals in vals_list]),
                    ("state", "!=", "void"),
                ]
            )
        }
        return warranties_sudo.create(
            [v for v in vals_list if (v["lot_id"], v["partner_id"]) not in existing]
        )

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

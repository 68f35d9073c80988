from collections import defaultdict

from odoo import fields, models
from odoo.exceptions import UserError


class AftersalesOrder(models.Model):
    """The work order's unit at a service desk, in stock (depends on
    ``stock``): the receipt that brings the customer's unit into the desk's
    stock as the customer's property, the delivery that hands it back, and
    the reservation of the parts an accepted estimate needs."""

    _inherit = "aftersales.order"

    # ------------------------------------------------------------
    # Workshop hooks
    # ------------------------------------------------------------

    def _receive_units(self):
        """One validated receipt per desk and owner (a dealer's batch is one
        transfer per customer): the unit enters the desk's location with the
        customer's commercial partner as owner, so it is neither valued nor
        reserved as the company's stock."""
        result = super()._receive_units()
        units = self._desk_units()
        units._ensure_desk_units_receivable()
        groups = defaultdict(lambda: self.browse())
        for order in units:
            groups[(order._desk_location(), order._desk_owner())] |= order
        for (location, owner), orders in groups.items():
            orders._desk_move_units("aftersales_unit_in_type_id", owner, None, location)
        return result

    def _hand_back_units(self):
        """One validated delivery per desk and owner, from the desk's
        location to the customer, of the units received; a replaced unit is
        not handed back (its replacement is, by the replacement)."""
        result = super()._hand_back_units()
        units = self._desk_units().filtered(lambda o: o.workshop_outcome != "replaced")
        units._ensure_desk_units_present()
        groups = defaultdict(lambda: self.browse())
        for order in units:
            groups[(order._desk_location(), order._desk_owner())] |= order
        for (location, owner), orders in groups.items():
            orders._desk_move_units(
                "aftersales_unit_out_type_id", owner, location, None
            )
        return result

    def _get_hand_back_picking_type(self, warehouse):
        # Units, the customer's or their replacement, leave through the
        # warehouse's "Units Handed Back" type: it starts no warranty.
        hand_back = warehouse.aftersales_unit_out_type_id
        return hand_back or super()._get_hand_back_picking_type(warehouse)

    def _reserve_repair_parts(self):
        """Reserve the parts not yet consumed in the stock they are taken from
        (the center's, see the part's location), in confirmed transfers that
        the completion validates; the orders missing some wait for parts,
        their moves a need in the replenishment report."""
        ready = super()._reserve_repair_parts()
        # Technicians and desk staff have no stock rights; the flow's guards
        # decided the estimate was accepted.
        parts_sudo = self.sudo().part_ids.filtered(
            lambda p: p.state == "draft" and p.product_id.is_storable
        )
        parts_sudo._reserve()
        # A part without a stock to take it from is not waited for: finishing
        # the work asks for its location.
        waiting = parts_sudo.filtered(
            lambda p: p.move_id and p.move_id.state != "assigned"
        ).order_id
        return ready - waiting.with_env(self.env)

    # ------------------------------------------------------------
    # Overrides
    # ------------------------------------------------------------

    def _action_cancel(self, reason):
        result = super()._action_cancel(reason)
        self._release_repair_parts()
        return result

    def _action_return(self, reason):
        result = super()._action_return(reason)
        self._release_repair_parts()
        return result

    # ------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------

    def _release_repair_parts(self):
        """An order that ends without the repair frees the parts reserved."""
        # Whoever cancels may have no stock rights; only these orders' own
        # reservations are cancelled.
        parts_sudo = self.sudo().part_ids.filtered(lambda p: p.state == "draft")
        parts_sudo._get_pending_moves()._action_cancel()

    def _desk_units(self):
        """The orders whose unit is a stocked product: the ones the desk
        receives and hands back through stock."""
        return self.filtered(lambda o: o.product_id.is_storable)

    def _desk_location(self):
        """The desk's location of the customers' units (as superuser: desk
        staff have no stock rights), created if the desk has none yet."""
        self.ensure_one()
        # Desk staff may not write centers; the desk needs its location.
        center_sudo = self.center_id.sudo()
        if not center_sudo.desk_location_id:
            center_sudo.company_id._aftersales_ensure_warehouse()
            center_sudo._create_desk_location()
        return center_sudo.desk_location_id

    def _desk_owner(self):
        self.ensure_one()
        return self.partner_id.commercial_partner_id

    def _desk_customer_location(self, owner):
        return owner.with_company(
            self.company_id
        ).property_stock_customer or self.env.ref("stock.stock_location_customers")

    def _desk_unit_quants(self, location):
        """{order: its unit's quants with a quantity in ``location``} (every
        internal location when ``location`` is None), as superuser."""
        quants_sudo = self.env["stock.quant"].sudo()
        domain = [
            ("product_id", "in", self.product_id.ids),
            ("quantity", ">", 0),
            (
                ("location_id", "=", location.id)
                if location
                else ("location_id.usage", "=", "internal")
            ),
        ]
        quants = quants_sudo.search(domain)
        return {
            order: quants.filtered(
                lambda q, o=order: (
                    q.product_id == o.product_id
                    and q.lot_id == o.lot_id
                    and (not location or q.owner_id == o._desk_owner())
                )
            )
            for order in self
        }

    def _ensure_desk_units_receivable(self):
        """Refuse, before anything moves, a serial-tracked unit without its
        serial and a unit that is already in stock (ours or at a desk)."""
        no_serial = self.filtered(
            lambda o: o.product_id.tracking != "none" and not o.lot_id
        )
        if no_serial:
            raise UserError(
                self.env._(
                    "Give the serial number of the unit of %(orders)s before "
                    "receiving it: the desk's stock follows units by serial.",
                    orders=", ".join(no_serial.mapped("name")),
                )
            )
        tracked = self.filtered("lot_id")
        seen = defaultdict(lambda: self.browse())
        for order in tracked:
            seen[order.lot_id] |= order
        twice = [orders for orders in seen.values() if len(orders) > 1]
        if twice:
            raise UserError(
                self.env._(
                    "%(orders)s receive the same unit %(serial)s: a unit is "
                    "received once.",
                    orders=", ".join(twice[0].mapped("name")),
                    serial=twice[0].lot_id.name,
                )
            )
        in_stock = [
            (order, quants)
            for order, quants in tracked._desk_unit_quants(None).items()
            if quants
        ]
        if in_stock:
            order, quants = in_stock[0]
            raise UserError(
                self.env._(
                    "The unit %(serial)s of %(order)s is already in stock, in "
                    "%(location)s: it cannot be received again.",
                    serial=order.lot_id.name,
                    order=order.name,
                    location=quants[0].location_id.display_name,
                )
            )

    def _ensure_desk_units_present(self):
        """Refuse to hand back a unit the desk does not hold."""
        missing = self.browse()
        for order in self:
            quants = order._desk_unit_quants(order._desk_location())[order]
            if sum(quants.mapped("quantity")) < 1:
                missing |= order
        if missing:
            raise UserError(
                self.env._(
                    "The unit of %(orders)s is not at the service desk: it "
                    "cannot be handed back from there.",
                    orders=", ".join(
                        f"{o.name} ({o.lot_id.name or o.product_id.display_name})"
                        for o in missing
                    ),
                )
            )

    def _desk_move_units(self, type_field, owner, source, destination):
        """Move the units of these orders, all of ``owner``, in one validated
        transfer of the warehouse's ``type_field`` operation type, from
        ``source`` to ``destination`` (None: the owner's customer location),
        with the owner on the moved stock."""
        first = self[:1]
        customer = first._desk_customer_location(owner)
        source = source or customer
        destination = destination or customer
        desk = destination if destination.usage == "internal" else source
        warehouse_sudo = (
            desk.warehouse_id or first.company_id._aftersales_ensure_warehouse()
        )
        picking_type = warehouse_sudo[type_field]
        # Desk staff receive and hand back units without stock rights; the
        # flow's guards (the step, the pickup code) decided what may move.
        picking_sudo = (
            self.env["stock.picking"]
            .sudo()
            .create(
                {
                    "picking_type_id": picking_type.id,
                    "location_id": source.id,
                    "location_dest_id": destination.id,
                    "partner_id": owner.id,
                    "owner_id": owner.id,
                    "origin": ", ".join(self.mapped("name")),
                    "company_id": first.company_id.id,
                    "aftersales_order_id": first.id if len(self) == 1 else False,
                    "move_ids": [
                        fields.Command.create(
                            {
                                "product_id": order.product_id.id,
                                "product_uom_qty": 1.0,
                                "product_uom": order.product_id.uom_id.id,
                                "location_id": source.id,
                                "location_dest_id": destination.id,
                                "company_id": order.company_id.id,
                                "aftersales_unit_order_id": order.id,
                            }
                        )
                        for order in self
                    ],
                }
            )
        )
        moves = picking_sudo.move_ids
        moves._action_confirm(merge=False)
        # The serials are known: explicit lines, not a reservation.
        moves.move_line_ids.unlink()
        self.env["stock.move.line"].sudo().create(
            [
                {
                    "move_id": move.id,
                    "picking_id": picking_sudo.id,
                    "product_id": move.product_id.id,
                    "product_uom_id": move.product_uom.id,
                    "location_id": source.id,
                    "location_dest_id": destination.id,
                    "lot_id": move.aftersales_unit_order_id.lot_id.id,
                    "owner_id": owner.id,
                    "quantity": 1.0,
                }
                for move in moves
            ]
        )
        moves.picked = True
        picking_sudo._action_done()
        return picking_sudo

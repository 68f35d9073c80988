from odoo import fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain


class AftersalesOrder(models.Model):
    """Replacing the unit instead of repairing it (depends on ``stock``):
    the old serial to the defective location, the new one delivered at
    pickup, the warranty passed on.

    The exchange is made in stock when the dispatcher replaces the unit: the
    customer's unit, found by its quant at the desk (its serial, owned by
    someone, in an internal location), leaves the customer's property and
    is received, the company's, in the defective location (two validated
    transfers: a move keeps its owner, so the property changes between
    them, at the customer's location); the new serial is reserved on a
    delivery to the customer, validated at pickup. Users who replace and
    hand back units have no stock rights: the flow's guards decided, the
    transfers run as superuser."""

    _inherit = "aftersales.order"

    replacement_picking_id = fields.Many2one(
        "stock.picking",
        string="Replacement Delivery",
        readonly=True,
        copy=False,
        groups="stock.group_stock_user",
        help="The delivery of the replacement serial to the customer: reserved "
        "at the exchange, validated at pickup.",
    )

    # ------------------------------------------------------------
    # Overrides
    # ------------------------------------------------------------

    def _get_workflow_fields(self):
        return super()._get_workflow_fields() | {"replacement_picking_id"}

    # ------------------------------------------------------------
    # Guards
    # ------------------------------------------------------------

    def _ensure_replacement_lot(self, lot):
        """The replacement is a serial of the company's own stock, free (no
        owner, not reserved, no live warranty); the unit it replaces is at
        the desk, in stock."""
        result = super()._ensure_replacement_lot(lot)
        if len(self) > 1:
            raise UserError(
                self.env._(
                    "A serial replaces one unit: replace the units of %(orders)s "
                    "one by one.",
                    orders=", ".join(self.mapped("name")),
                )
            )
        if not self._get_replacement_quant(lot):
            raise UserError(
                self.env._(
                    "%(serial)s is not available in the stock of %(company)s: "
                    "choose a serial of %(product)s in a warehouse, not reserved "
                    "and not a customer's.",
                    serial=lot.name,
                    company=self.company_id.name,
                    product=self.product_id.display_name,
                )
            )
        # Serials in stock may have come back from a customer: the warranty
        # of a former owner would follow the serial to the new one.
        lot_sudo = lot.sudo()
        live = lot_sudo.aftersales_warranty_ids.filtered(lambda w: w.state != "void")
        if live:
            raise UserError(
                self.env._(
                    "%(serial)s still has warranty %(card)s for %(customer)s: void "
                    "it before giving the serial to another customer.",
                    serial=lot.name,
                    card=live[0].card_number,
                    customer=live[0].partner_id.display_name,
                )
            )
        if not self._get_unit_quant():
            raise UserError(
                self.env._(
                    "The unit %(serial)s of %(order)s is not in the desk's stock: "
                    "only a unit received at the desk is exchanged.",
                    serial=self.lot_id.name or self.env._("without a serial"),
                    order=self.name,
                )
            )
        return result

    # ------------------------------------------------------------
    # Stock lookups
    # ------------------------------------------------------------

    def _get_replacement_stock_domain(self):
        """Quants of the order's product in the company's own stock: in an
        internal location of one of its warehouses, owned by no one."""
        self.ensure_one()
        return Domain(
            [
                ("product_id", "=", self.product_id.id),
                ("lot_id", "!=", False),
                ("owner_id", "=", False),
                ("location_id.usage", "=", "internal"),
                ("location_id.warehouse_id.company_id", "=", self.company_id.id),
                ("quantity", ">", 0),
            ]
        )

    def _get_free_replacement_quants(self, lot=None):
        """The quants (as superuser) of serials that may replace the unit,
        of ``lot`` only when given: one whole unit, not reserved."""
        self.ensure_one()
        domain = self._get_replacement_stock_domain()
        if lot is not None:
            domain &= Domain("lot_id", "=", lot.id)
        # Dispatchers choose the serial without reading stock.
        quants_sudo = self.env["stock.quant"].sudo().search(domain)
        uom = self.product_id.uom_id
        return quants_sudo.filtered(
            lambda q: uom.compare(q.quantity - q.reserved_quantity, 1.0) >= 0
        )

    def _get_replacement_quant(self, lot):
        """The quant (as superuser) of ``lot`` free in the company's stock."""
        self.ensure_one()
        if not lot:
            return self.env["stock.quant"].sudo()
        return self._get_free_replacement_quants(lot)[:1]

    def _get_replacement_candidates(self):
        """The serials that may replace the unit: free in the company's stock,
        without a live warranty (the choice of the replacement wizard)."""
        self.ensure_one()
        lots_sudo = self._get_free_replacement_quants().lot_id - self.lot_id
        lots_sudo = lots_sudo.filtered(
            lambda lot: (
                not lot.aftersales_warranty_ids.filtered(lambda w: w.state != "void")
            )
        )
        return self.env["stock.lot"].browse(lots_sudo.ids)

    def _get_unit_quant(self):
        """The quant (as superuser) of the customer's unit at the desk: its
        serial in an internal location, someone's property (the customer's
        first, else whoever handed it in)."""
        self.ensure_one()
        if not self.lot_id:
            return self.env["stock.quant"].sudo()
        # Dispatchers and desk staff do not read stock.
        quants_sudo = (
            self.env["stock.quant"]
            .sudo()
            .search(
                [
                    ("product_id", "=", self.product_id.id),
                    ("lot_id", "=", self.lot_id.id),
                    ("owner_id", "!=", False),
                    ("location_id.usage", "=", "internal"),
                    ("company_id", "=", self.company_id.id),
                    ("quantity", ">", 0),
                ]
            )
        )
        customer = self.partner_id.commercial_partner_id
        return (quants_sudo.filtered(lambda q: q.owner_id == customer) or quants_sudo)[
            :1
        ]

    def _get_unit_delivery_type(self, warehouse):
        """The operation type that gives a unit to the customer from
        ``warehouse``: the desk's "Units Handed Back" type when the desk has
        one (the core's ``_get_hand_back_picking_type()`` hook), else the
        warehouse's delivery type."""
        return self._get_hand_back_picking_type(warehouse) or warehouse.out_type_id

    # ------------------------------------------------------------
    # Workers: the exchange
    # ------------------------------------------------------------

    def _scrap_replaced_units(self):
        """The stock side of the exchange: the old unit leaves the customer's
        property for the company's defective location; the new serial is
        reserved on its delivery to the customer (validated at pickup)."""
        result = super()._scrap_replaced_units()
        for order in self:
            # The dispatcher replacing the unit has no stock rights (see the
            # class docstring): the flow and _ensure_replacement_lot decided.
            order_sudo = order.sudo()
            order_sudo._move_unit_to_defective()
            order_sudo._reserve_replacement()
            order.message_post(
                body=self.env._(
                    "Unit %(old)s replaced by %(new)s: the old unit is in the "
                    "defective location, the new one waits for the customer.",
                    old=order.lot_id.name,
                    new=order.replacement_lot_id.name,
                )
            )
        # The offer was made and taken.
        self.activity_feedback(
            ["aftersales.mail_activity_type_replacement"],
            feedback=self.env._("Unit replaced."),
        )
        return result

    def _move_unit_to_defective(self):
        """Two validated transfers (a move keeps the owner of what it moves):
        the unit leaves the desk, still the customer's, to the customer's
        location; from there it is received without owner, the company's,
        into the defective location."""
        self.ensure_one()
        quant = self._get_unit_quant()
        if not quant:
            raise UserError(
                self.env._(
                    "The unit %(serial)s of %(order)s is not in the desk's stock.",
                    serial=self.lot_id.name,
                    order=self.name,
                )
            )
        desk = quant.location_id
        # Whatever was to take the unit out of the desk no longer will.
        self._cancel_open_unit_moves(desk)
        warehouse = desk.warehouse_id or self.company_id._aftersales_ensure_warehouse()
        customers = self.partner_id.property_stock_customer
        self._validate_unit_picking(
            self._create_unit_picking(
                self._get_unit_delivery_type(warehouse),
                desk,
                customers,
                quant,
                owner=quant.owner_id,
            )
        )
        self._validate_unit_picking(
            self._create_unit_picking(
                warehouse.aftersales_defective_type_id or warehouse.in_type_id,
                customers,
                self.company_id.aftersales_defective_location_id,
                self.lot_id,
            )
        )

    def _cancel_open_unit_moves(self, location):
        """Cancel the moves of this order still to take its unit out of
        ``location`` (e.g. a hand back prepared at reception)."""
        self.ensure_one()
        moves = (
            self.env["stock.move"]
            .sudo()
            .search(
                [
                    ("picking_id.aftersales_order_id", "=", self.id),
                    ("product_id", "=", self.product_id.id),
                    ("location_id", "=", location.id),
                    ("state", "not in", ("done", "cancel")),
                ]
            )
        )
        moves._action_cancel()

    def _reserve_replacement(self):
        """A delivery of the replacement serial to the customer, the serial
        reserved on it (no one else sells it before pickup)."""
        self.ensure_one()
        quant = self._get_replacement_quant(self.replacement_lot_id)
        if not quant:
            raise UserError(
                self.env._(
                    "%(serial)s is no longer available in stock: it was reserved "
                    "or moved in the meantime.",
                    serial=self.replacement_lot_id.name,
                )
            )
        warehouse = quant.location_id.warehouse_id
        picking = self._create_unit_picking(
            self._get_unit_delivery_type(warehouse),
            quant.location_id,
            self.partner_id.property_stock_customer,
            quant,
        )
        self._workflow_write({"replacement_picking_id": picking.id})
        return picking

    def _create_unit_picking(self, picking_type, source, destination, unit, owner=None):
        """A transfer of this order moving one serial from ``source`` to
        ``destination``, confirmed, its line set on ``unit`` (a quant, its
        serial and package, reserved; or a serial) and ``owner``."""
        self.ensure_one()
        product = self.product_id
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": picking_type.id,
                "location_id": source.id,
                "location_dest_id": destination.id,
                "partner_id": self.partner_id.id,
                "origin": self.name,
                "company_id": self.company_id.id,
                "aftersales_order_id": self.id,
                "move_ids": [
                    fields.Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": 1.0,
                            "product_uom": product.uom_id.id,
                            "location_id": source.id,
                            "location_dest_id": destination.id,
                            "company_id": self.company_id.id,
                        }
                    )
                ],
            }
        )
        move = picking.move_ids
        move._action_confirm(merge=False)
        # What confirmation reserved may be another serial: this one moves.
        move.move_line_ids.unlink()
        is_quant = unit._name == "stock.quant"
        self.env["stock.move.line"].create(
            {
                "move_id": move.id,
                "picking_id": picking.id,
                "product_id": product.id,
                "product_uom_id": product.uom_id.id,
                "location_id": source.id,
                "location_dest_id": destination.id,
                "lot_id": (unit.lot_id if is_quant else unit).id,
                "package_id": unit.package_id.id if is_quant else False,
                "owner_id": owner.id if owner else False,
                "quantity": 1.0,
            }
        )
        return picking

    def _validate_unit_picking(self, picking):
        """Validate ``picking`` as its lines say (no backorder, no wizard)."""
        picking.move_ids.picked = True
        picking._action_done()

    def _transfer_warranty_to_replacement(self):
        """The replacement serial takes over the old unit's warranty, for its
        remaining term or a new term (company setting); the old one is void.
        A unit without warranty passes none on."""
        result = super()._transfer_warranty_to_replacement()
        for order in self:
            # Every user who sees an order sees its warranty (core's
            # _compute_warranty_id); the warranty's own method voids and starts.
            order_sudo = order.sudo()
            warranty_sudo = (
                order_sudo.warranty_id or order_sudo.lot_id.aftersales_warranty_id
            )
            if not warranty_sudo:
                continue
            new_sudo = warranty_sudo._pass_on_to_replacement(
                order_sudo.replacement_lot_id,
                order_sudo,
                term=order_sudo.company_id.aftersales_replacement_warranty,
            )
            order.message_post(
                body=self.env._(
                    "Warranty %(old)s is void: %(new)s covers %(serial)s until "
                    "%(end)s.",
                    old=warranty_sudo.card_number,
                    new=new_sudo.card_number,
                    serial=order_sudo.replacement_lot_id.name,
                    end=new_sudo.date_end or self.env._("its start"),
                )
            )
        return result

    # ------------------------------------------------------------
    # Workers: pickup
    # ------------------------------------------------------------

    def _hand_back_units(self):
        """The customers of replaced units get the replacement serials; the
        others their own units (super())."""
        replaced = self.filtered(
            lambda o: o.workshop_outcome == "replaced" and o.replacement_lot_id
        )
        for order in replaced:
            # Desk staff hand units back without stock rights: the pickup
            # code was checked by the flow.
            order.sudo()._deliver_replacement()
        return super(AftersalesOrder, self - replaced)._hand_back_units()

    def _deliver_replacement(self):
        """Validate the delivery of the replacement serial (reserved again
        if its reservation was undone in the meantime). Its warranty was
        passed on at the exchange: the delivery starts none (stock.move)."""
        self.ensure_one()
        picking = self.replacement_picking_id
        if picking.state == "done":
            return
        lot = self.replacement_lot_id
        reserved = picking.move_line_ids.filtered(
            lambda line: line.lot_id == lot and line.quantity
        )
        if picking.state == "cancel" or not reserved:
            if picking.state != "cancel":
                picking.action_cancel()
            picking = self._reserve_replacement()
        self._validate_unit_picking(picking)
        warranties_sudo = lot.aftersales_warranty_ids.filtered(
            lambda w: w.state != "void" and w.previous_warranty_id and not w.picking_id
        )
        warranties_sudo._workflow_write({"picking_id": picking.id})

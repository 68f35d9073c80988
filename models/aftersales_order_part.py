from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, float_compare

# What the customer pays: set by the center, not by its technicians.
PRICING_FIELDS = {"price_unit", "coverage"}
# Set by the consumption only, and the order a line belongs to never moves.
STOCK_FIELDS = {"state", "move_id", "defective_move_id", "order_id"}


class AftersalesOrderPart(models.Model):
    _name = "aftersales.order.part"
    _description = "Work Order Part"
    _order = "order_id, sequence, id"
    _check_company_auto = True

    order_id = fields.Many2one(
        "aftersales.order",
        string="Work Order",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(related="order_id.company_id", store=True, index=True)
    center_id = fields.Many2one(related="order_id.center_id")
    sequence = fields.Integer(default=10)
    state = fields.Selection(
        [("draft", "To Consume"), ("done", "Consumed"), ("cancel", "Cancelled")],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        index=True,
    )

    # What was used
    product_id = fields.Many2one(
        "product.product",
        string="Part",
        required=True,
        index=True,
        check_company=True,
        domain=[("type", "=", "consu")],
    )
    tracking = fields.Selection(related="product_id.tracking")
    lot_id = fields.Many2one(
        "stock.lot",
        string="Part Serial/Lot",
        check_company=True,
        domain="[('product_id', '=', product_id)]",
    )
    quantity = fields.Float(default=1.0, required=True, digits="Product Unit")
    uom_id = fields.Many2one(related="product_id.uom_id", string="Unit of Measure")
    location_id = fields.Many2one(
        "stock.location",
        string="Taken From",
        compute="_compute_location_id",
        store=True,
        readonly=False,
        precompute=True,
        check_company=True,
        domain="[('aftersales_center_id', '=', center_id), ('usage', '=', 'internal')]",
        help="The center's stock or the technician's van.",
    )
    available_quantity = fields.Float(
        string="Available",
        compute="_compute_available_quantity",
        digits="Product Unit",
        help="On hand and not reserved where the part is taken from.",
    )

    # Who pays
    coverage = fields.Selection(
        [("covered", "Covered"), ("charged", "Charged")],
        compute="_compute_coverage",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        help="Covered parts are paid by the warranty or contract; charged parts "
        "are invoiced to the customer.",
    )
    price_unit = fields.Float(
        string="Unit Price",
        compute="_compute_price_unit",
        store=True,
        readonly=False,
        precompute=True,
        digits="Product Price",
    )
    price_subtotal = fields.Monetary(
        string="Charged", compute="_compute_price_subtotal", store=True
    )
    part_value = fields.Monetary(
        string="Value",
        compute="_compute_part_value",
        store=True,
        help="Quantity × unit price, whoever pays it: what a covered part uses "
        "of a contract's parts cap.",
    )
    coverage_note = fields.Char(
        compute="_compute_coverage",
        store=True,
        precompute=True,
        help="Why a part the contract covers is charged: its parts cap reached.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    can_edit_pricing = fields.Boolean(compute="_compute_can_edit_pricing")

    # Stock
    move_id = fields.Many2one(
        "stock.move", readonly=True, copy=False, index="btree_not_null"
    )
    picking_id = fields.Many2one(related="move_id.picking_id", string="Transfer")

    # The defective part taken back
    defective_return = fields.Boolean(
        string="Defective Part Taken Back",
        help="The technician brings back the replaced part: it is received "
        "into the company's defective-parts location, for the manufacturer.",
    )
    defective_lot_name = fields.Char(
        string="Defective Serial/Lot",
        help="Serial or lot of the removed part, when the part has one.",
    )
    defective_move_id = fields.Many2one(
        "stock.move", readonly=True, copy=False, index="btree_not_null"
    )

    # ------------------------------------------------------------
    # Compute methods
    # ------------------------------------------------------------

    @api.depends("order_id.technician_id", "order_id.center_id")
    def _compute_location_id(self):
        for part in self.filtered(lambda p: p.state == "draft"):
            order = part.order_id
            part.location_id = (
                order.technician_id.van_location_id
                or order.center_id.stock_location_id
                or part.location_id
            )

    @api.depends(
        "order_id.parts_covered",
        "order_id.contract_parts_covered",
        "quantity",
        "price_unit",
    )
    def _compute_coverage(self):
        parts = self.filtered(lambda p: p.state == "draft" or not p.coverage)
        # The order knows its warranty, its contract and what the caps left.
        coverage = parts.order_id._get_parts_coverage(parts)
        for part in parts:
            part.coverage, part.coverage_note = coverage[part]

    @api.depends("quantity", "price_unit")
    def _compute_part_value(self):
        for part in self:
            part.part_value = part.quantity * part.price_unit

    @api.depends("product_id")
    def _compute_price_unit(self):
        for part in self:
            part.price_unit = part.product_id.lst_price

    @api.depends("coverage", "quantity", "price_unit")
    def _compute_price_subtotal(self):
        for part in self:
            part.price_subtotal = (
                part.quantity * part.price_unit if part.coverage == "charged" else 0.0
            )

    @api.depends_context("uid")
    def _compute_can_edit_pricing(self):
        self.can_edit_pricing = self._user_may_edit_pricing()

    @api.depends("product_id", "lot_id", "location_id", "quantity")
    def _compute_available_quantity(self):
        available = self._get_available_quantities()
        for part in self:
            part.available_quantity = available.get(part._stock_key(), 0.0)

    # ------------------------------------------------------------
    # Constrains
    # ------------------------------------------------------------

    @api.constrains("quantity", "lot_id", "product_id")
    def _check_quantity(self):
        for part in self:
            if float_compare(part.quantity, 0.0, precision_digits=6) <= 0:
                raise ValidationError(
                    self.env._(
                        "The quantity of %(part)s must be positive.",
                        part=part.product_id.display_name,
                    )
                )
            if part.lot_id and part.lot_id.product_id != part.product_id:
                raise ValidationError(
                    self.env._(
                        "Serial %(lot)s is not a %(part)s.",
                        lot=part.lot_id.name,
                        part=part.product_id.display_name,
                    )
                )
            if part.product_id.tracking == "serial" and part.quantity != 1:
                raise ValidationError(
                    self.env._(
                        "%(part)s is tracked by serial number: add one line per "
                        "serial, with a quantity of 1.",
                        part=part.product_id.display_name,
                    )
                )

    @api.constrains("location_id", "order_id")
    def _check_location(self):
        for part in self.filtered("location_id"):
            center_stock = part.order_id.center_id.stock_location_id
            location = part.location_id
            if location.usage != "internal" or (
                center_stock and not location._child_of(center_stock)
            ):
                raise ValidationError(
                    self.env._(
                        "%(part)s must be taken from the stock of %(center)s or "
                        "of one of its vans, not from %(location)s.",
                        part=part.product_id.display_name,
                        center=part.order_id.center_id.name,
                        location=location.display_name,
                    )
                )

    # ------------------------------------------------------------
    # Overrides
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                for fname in STOCK_FIELDS - {"order_id"}:
                    vals.pop(fname, None)
        if not self._user_may_edit_pricing():
            for vals in vals_list:
                # The warranty decides coverage and the product its price; a
                # technician records what was used, not what it costs.
                vals.pop("price_unit", None)
                vals.pop("coverage", None)
        parts = super().create(vals_list)
        parts.order_id._ensure_execution_editable()
        return parts

    def write(self, vals):
        if STOCK_FIELDS.intersection(vals) and not self.env.su:
            raise UserError(
                self.env._(
                    "A part's order and stock moves are set by the work order "
                    "itself; remove the line and add it again instead."
                )
            )
        if PRICING_FIELDS.intersection(vals) and not self._user_may_edit_pricing():
            raise AccessError(
                self.env._(
                    "Only the service center sets the price and coverage of parts."
                )
            )
        if self.filtered(lambda p: p.state != "draft") and not self.env.su:
            raise UserError(
                self.env._(
                    "Consumed parts cannot be changed: the stock moves are done."
                )
            )
        self.order_id._ensure_execution_editable()
        if "coverage" in vals and "coverage_note" not in vals:
            # Set by hand: the cap's note no longer says why.
            vals = {**vals, "coverage_note": False}
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_release_reservation(self):
        # A part removed after its reservation frees what it held.
        # Technicians remove parts without stock rights.
        self.sudo()._get_pending_moves()._action_cancel()

    @api.ondelete(at_uninstall=False)
    def _unlink_except_consumed(self):
        if self.filtered(lambda p: p.state == "done"):
            raise UserError(
                self.env._(
                    "Consumed parts cannot be deleted: the stock moves are done."
                )
            )

    # ------------------------------------------------------------
    # Stock
    # ------------------------------------------------------------

    def _user_may_edit_pricing(self):
        return self.env.su or self.env.user.has_group("aftersales.group_center_user")

    def _stock_key(self):
        return (self.product_id.id, self.location_id.id, self.lot_id.id or None)

    def _get_available_quantities(self, lock=False):
        """Free quantity per (product, location, lot) for these lines, from
        one grouped query on the quants. With ``lock``, the quants are locked
        first, so two technicians cannot both take the last part."""
        parts = self.filtered(lambda p: p.product_id.is_storable and p.location_id)
        if not parts:
            return {}
        # Reading stock is not a technician's right; only quantities are read.
        quants_sudo = self.env["stock.quant"].sudo()
        domain = [
            ("product_id", "in", parts.product_id.ids),
            ("location_id", "in", parts.location_id.ids),
        ]
        if lock:
            quants = quants_sudo.search(domain)
            if quants:
                # Wait for a concurrent consumption rather than fail at once:
                # once it commits, this transaction fails to serialize and the
                # request is retried, seeing the stock it left.
                self.env.cr.execute(
                    SQL(
                        "SELECT id FROM stock_quant WHERE id IN %s ORDER BY id "
                        "FOR NO KEY UPDATE",
                        tuple(quants.ids),
                    )
                )
        available = defaultdict(float)
        for product, location, lot, quantity, reserved in quants_sudo._read_group(
            domain,
            ["product_id", "location_id", "lot_id"],
            ["quantity:sum", "reserved_quantity:sum"],
        ):
            free = quantity - reserved
            # Lines without a lot take any lot; lines with one take only it.
            available[(product.id, location.id, None)] += free
            if lot:
                available[(product.id, location.id, lot.id)] += free
        return available

    def _ensure_available(self):
        """Refuse to consume parts the location does not hold: a clear
        message now rather than a negative stock later."""
        needed = defaultdict(float)
        for part in self.filtered(lambda p: p.product_id.is_storable):
            needed[part._stock_key()] += part.quantity
            if part.lot_id:
                needed[(part.product_id.id, part.location_id.id, None)] += part.quantity
        missing_lot = self.filtered(lambda p: p.tracking != "none" and not p.lot_id)
        if missing_lot:
            raise UserError(
                self.env._(
                    "Give the serial or lot number of %(parts)s before finishing.",
                    parts=", ".join(missing_lot.product_id.mapped("display_name")),
                )
            )
        missing_location = self.filtered(lambda p: not p.location_id)
        if missing_location:
            raise UserError(
                self.env._(
                    "%(parts)s: choose the stock the part is taken from (the "
                    "center has no stock location yet).",
                    parts=", ".join(missing_location.product_id.mapped("display_name")),
                )
            )
        available = self._get_available_quantities(lock=True)
        shortages = []
        for part in self.filtered(lambda p: p.product_id.is_storable):
            key = part._stock_key()
            if (
                float_compare(available.get(key, 0.0), needed[key], precision_digits=6)
                < 0
            ):
                shortages.append(
                    self.env._(
                        "%(part)s%(lot)s: %(needed)s needed, %(available)s in "
                        "%(location)s",
                        part=part.product_id.display_name,
                        lot=f" ({part.lot_id.name})" if part.lot_id else "",
                        needed=needed[key],
                        available=max(available.get(key, 0.0), 0.0),
                        location=part.location_id.display_name,
                    )
                )
        if shortages:
            raise UserError(
                self.env._(
                    "These parts are not in stock, so the work cannot be "
                    "finished yet:\n%(shortages)s\nReceive or transfer them first, "
                    "or take them from another location.",
                    shortages="\n".join(f"• {s}" for s in dict.fromkeys(shortages)),
                )
            )

    def _get_pending_moves(self):
        """The reserved (or still waiting) moves of these parts, not yet done."""
        return self.move_id.filtered(lambda m: m.state not in ("done", "cancel"))

    def _reserve(self):
        """Reserve these parts where they are taken from, in confirmed
        transfers shaped as the consumption's (one per order, operation type
        and source), so that completing the work validates them; parts
        already in one are assigned again (stock may have come in). A move
        short of stock stays confirmed: a need the replenishment sees."""
        parts = self.filtered(
            lambda p: p.state == "draft" and p.product_id.is_storable and p.location_id
        )
        to_create = parts.filtered(lambda p: not p._get_pending_moves())
        for order in to_create.order_id:
            customer = order._get_parts_destination()
            groups = defaultdict(lambda: self.browse())
            for part in to_create.filtered(lambda p, o=order: p.order_id == o):
                groups[(part._get_consume_type(), part.location_id)] |= part
            for (picking_type, location), group in groups.items():
                picking = self.env["stock.picking"].create(
                    order._prepare_parts_picking_vals(
                        picking_type, location, customer, group
                    )
                )
                moves = picking.move_ids.sorted("id")
                moves._action_confirm(merge=False)
                for part, move in zip(group, moves, strict=True):
                    part.move_id = move
        parts._get_pending_moves()._action_assign()

    def _get_consume_type(self):
        """The operation type that takes this part out of stock: covered
        parts go through the warranty consumption type."""
        self.ensure_one()
        warehouse = self._get_warehouse()
        return (
            warehouse.aftersales_warranty_consume_type_id
            if self.coverage == "covered"
            else warehouse.aftersales_consume_type_id
        )

    def _get_reserved_picking(self, picking_type, source, destination):
        """The transfer that reserved exactly these parts, as they are now
        (operation type, source, destination, products and quantities), to be
        validated instead of taking the parts a second time; else nothing."""
        moves = self._get_pending_moves()
        picking = moves.picking_id
        if not (
            len(picking) == 1
            and len(moves) == len(self)
            and picking.picking_type_id == picking_type
            and picking.location_id == source
            and picking.location_dest_id == destination
            and picking.move_ids.filtered(lambda m: m.state != "cancel") == moves
            and all(
                part.move_id.product_id == part.product_id
                and part.move_id.location_id == source
                and float_compare(
                    part.move_id.product_uom_qty, part.quantity, precision_digits=6
                )
                == 0
                for part in self
            )
        ):
            return self.env["stock.picking"]
        return picking

    def _consume(self):
        """Move the parts out of the center's stock through one transfer per
        operation type and source (covered parts go through the warranty
        consumption type) and receive the defective parts taken back."""
        parts = self.filtered(lambda p: p.state == "draft")
        if not parts:
            return
        # Technicians finish their work without stock rights; the guards below
        # and the order's own checks decided what may move.
        parts_sudo = parts.sudo()
        # What an accepted estimate reserved counts as available again for
        # the checks: the reserved transfer itself moves it below.
        parts_sudo._get_pending_moves()._do_unreserve()
        parts._ensure_available()
        for order in parts_sudo.order_id:
            order_parts = parts_sudo.filtered(lambda p, o=order: p.order_id == o)
            customer = order._get_parts_destination()
            consumed = defaultdict(lambda: parts_sudo.browse())
            defective = defaultdict(lambda: parts_sudo.browse())
            for part in order_parts:
                warehouse = part._get_warehouse()
                consumed[(part._get_consume_type(), part.location_id)] |= part
                if part.defective_return:
                    defective[warehouse.aftersales_defective_type_id] |= part
            for (picking_type, location), group in consumed.items():
                group._create_parts_picking(
                    order, picking_type, location, customer, "move_id"
                )
            for picking_type, group in defective.items():
                group._create_parts_picking(
                    order,
                    picking_type,
                    customer,
                    order.company_id.aftersales_defective_location_id,
                    "defective_move_id",
                    lots=[part._get_defective_lot() for part in group],
                )
        parts_sudo.write({"state": "done"})
        parts_sudo._ensure_no_negative_stock()

    def _get_warehouse(self):
        """The warehouse whose operation types move this part: the one holding
        the stock it is taken from, else its company's first."""
        self.ensure_one()
        return (
            self.location_id.warehouse_id
            or self.company_id._aftersales_ensure_warehouse()
        )

    def _create_parts_picking(
        self, order, picking_type, source, destination, move_field, lots=None
    ):
        """Move these parts of ``order`` from ``source`` to ``destination`` in
        one done transfer of ``picking_type``. Each part keeps its move in
        ``move_field`` and moves the lot at its place in ``lots`` (by default
        its own)."""
        if lots is None:
            lots = [part.lot_id for part in self]
        picking = (
            self._get_reserved_picking(picking_type, source, destination)
            if move_field == "move_id"
            else self.env["stock.picking"]
        )
        if picking:
            # The transfer the accepted estimate reserved moves the parts.
            moves = self.env["stock.move"].concat(*(part.move_id for part in self))
        else:
            if move_field == "move_id":
                # A reservation that no longer fits the parts is dropped.
                self._get_pending_moves()._action_cancel()
            picking = self.env["stock.picking"].create(
                order._prepare_parts_picking_vals(
                    picking_type, source, destination, self
                )
            )
            # Not merged: two serials of the same part are two lines, two moves.
            moves = picking.move_ids.sorted("id")
            moves._action_confirm(merge=False)
        line_vals = []
        for part, move, lot in zip(self, moves, lots, strict=True):
            part[move_field] = move
            move.move_line_ids.unlink()
            line_vals.append(
                {
                    "move_id": move.id,
                    "picking_id": picking.id,
                    "product_id": part.product_id.id,
                    "product_uom_id": part.uom_id.id,
                    "location_id": source.id,
                    "location_dest_id": destination.id,
                    "lot_id": lot.id,
                    "quantity": part.quantity,
                }
            )
        self.env["stock.move.line"].create(line_vals)
        picking.move_ids.picked = True
        picking._action_done()
        return picking

    def _get_defective_lot(self):
        """The serial or lot of the defective part taken back (none when the
        part has none), created when it is not known yet."""
        self.ensure_one()
        if self.tracking == "none":
            return self.env["stock.lot"]
        name = (self.defective_lot_name or "").strip()
        if not name:
            raise UserError(
                self.env._(
                    "Give the serial or lot number of the defective %(part)s "
                    "taken back.",
                    part=self.product_id.display_name,
                )
            )
        Lot = self.env["stock.lot"]
        return Lot.search(
            [
                ("name", "=", name),
                ("product_id", "=", self.product_id.id),
                ("company_id", "in", (self.company_id.id, False)),
            ],
            limit=1,
        ) or Lot.create(
            {
                "name": name,
                "product_id": self.product_id.id,
                "company_id": self.company_id.id,
            }
        )

    def _ensure_no_negative_stock(self):
        """Last line of defence: if a concurrent move emptied a location
        between the check and the move, fail rather than leave it negative.
        Only the product, location and lot these lines took are looked at."""
        stock = self._get_available_quantities()
        short = self.filtered(
            lambda p: (
                p.product_id.is_storable
                and float_compare(
                    stock.get(p._stock_key(), 0.0), 0.0, precision_digits=6
                )
                < 0
            )
        )
        if short:
            raise UserError(
                self.env._(
                    "%(part)s ran out in %(location)s while the work was being "
                    "finished: try again.",
                    part=short[0].product_id.display_name,
                    location=short[0].location_id.display_name,
                )
            )

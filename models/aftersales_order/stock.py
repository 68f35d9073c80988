from collections import defaultdict

from odoo import api, fields, models


class AftersalesOrder(models.Model):
    """Spare parts of the work order and the transfers that move them
    (depends on ``stock``)."""

    _inherit = "aftersales.order"

    # Parts
    # Computed as superuser: bills of materials are not readable by
    # technicians, their components are only listed.
    suggested_part_ids = fields.Many2many(
        "product.product",
        string="Spare Parts of the Unit",
        compute="_compute_suggested_part_ids",
        compute_sudo=True,
        help="The spare parts listed on the product (and its bill of materials, "
        "when Manufacturing is installed).",
        groups="base.group_user",
    )
    picking_ids = fields.Many2many(
        "stock.picking",
        string="Transfers",
        compute="_compute_picking_ids",
        groups="base.group_user",
    )
    picking_count = fields.Integer(
        compute="_compute_picking_ids", groups="base.group_user"
    )

    # ------------------------------------------------------------
    # Compute methods
    # ------------------------------------------------------------

    @api.depends("product_id")
    def _compute_suggested_part_ids(self):
        for order in self:
            template = order.product_id.product_tmpl_id
            parts = template.aftersales_spare_part_ids
            if "bom_ids" in template:  # mrp installed
                parts |= template.bom_ids.bom_line_ids.product_id
            order.suggested_part_ids = parts

    @api.depends("part_ids.move_id", "part_ids.defective_move_id")
    def _compute_picking_ids(self):
        # The receipts and deliveries of the units at a desk carry the order
        # on their moves; read as superuser, as the orders' users have no
        # stock rights (the field itself is for internal users).
        unit_moves_sudo = (
            self.env["stock.move"]
            .sudo()
            .search([("aftersales_unit_order_id", "in", self._origin.ids)])
        )
        for order in self:
            pickings = (
                order.part_ids.move_id.picking_id
                | order.part_ids.defective_move_id.picking_id
                | unit_moves_sudo.filtered(
                    lambda m, o=order: m.aftersales_unit_order_id == o._origin
                ).picking_id
            )
            order.picking_ids = pickings
            order.picking_count = len(pickings)

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_view_pickings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "stock.action_picking_tree_all"
        )
        action["domain"] = [("id", "in", self.picking_ids.ids)]
        action["context"] = {"create": False}
        return action

    # ------------------------------------------------------------
    # Workers
    # ------------------------------------------------------------

    def _finish_execution(self):
        # The work ends: the parts used leave the stock.
        result = super()._finish_execution()
        self.part_ids._consume()
        return result

    def _get_parts_destination(self):
        self.ensure_one()
        return self.partner_id.with_company(
            self.company_id
        ).property_stock_customer or self.env.ref("stock.stock_location_customers")

    def _prepare_parts_picking_vals(self, picking_type, location, destination, parts):
        """Values of the transfer that moves ``parts`` (extension hook)."""
        self.ensure_one()
        return {
            "picking_type_id": picking_type.id,
            "location_id": location.id,
            "location_dest_id": destination.id,
            "partner_id": (self.address_id or self.partner_id).id,
            "origin": self.name,
            "company_id": self.company_id.id,
            "aftersales_order_id": self.id,
            "move_ids": [
                fields.Command.create(
                    {
                        "product_id": part.product_id.id,
                        "product_uom_qty": part.quantity,
                        "product_uom": part.uom_id.id,
                        "location_id": location.id,
                        "location_dest_id": destination.id,
                        "company_id": self.company_id.id,
                    }
                )
                for part in parts
            ],
        }

    # ------------------------------------------------------------
    # Technician app
    # ------------------------------------------------------------

    def _technician_app_locations(self):
        """Where the technician may take parts from: their van, then the
        center's stock (as superuser: technicians do not read locations)."""
        self.ensure_one()
        order_sudo = self.sudo()
        return (
            order_sudo.technician_id.van_location_id
            | order_sudo.center_id.stock_location_id
        ).filtered(lambda location: location.usage == "internal")

    def _technician_app_stock(self, products, locations):
        """{(product id, location id): free quantity}, from one grouped query."""
        # Reading stock is not a technician's right; only quantities are read.
        quants_sudo = self.env["stock.quant"].sudo()
        stock = defaultdict(float)
        if not products or not locations:
            return stock
        for product, location, quantity, reserved in quants_sudo._read_group(
            [
                ("product_id", "in", products.ids),
                ("location_id", "in", locations.ids),
            ],
            ["product_id", "location_id"],
            ["quantity:sum", "reserved_quantity:sum"],
        ):
            stock[(product.id, location.id)] += quantity - reserved
        return stock

    def _technician_app_parts(self):
        """The parts the app offers, with their stock per place, and the
        lines already recorded."""
        self.ensure_one()
        order_sudo = self.sudo()
        locations = self._technician_app_locations()
        lines = order_sudo.part_ids.filtered(lambda p: p.state != "cancel")
        products = order_sudo.suggested_part_ids | lines.product_id
        stock = self._technician_app_stock(products, locations | lines.location_id)

        def available(product, location):
            if not product.is_storable:
                return None
            return stock.get((product.id, location.id), 0.0)

        return {
            "locations": [
                {"id": location.id, "name": location.display_name}
                for location in locations
            ],
            "catalogue": [
                {
                    "id": product.id,
                    "name": product.display_name,
                    "stock": {
                        str(location.id): available(product, location)
                        for location in locations
                    },
                }
                for product in order_sudo.suggested_part_ids
            ],
            "lines": [
                {
                    "id": line.id,
                    "product_id": line.product_id.id,
                    "product": line.product_id.display_name,
                    "quantity": line.quantity,
                    "uom": line.uom_id.name,
                    "location_id": line.location_id.id,
                    "location": line.location_id.display_name or "",
                    "available": available(line.product_id, line.location_id),
                    "editable": line.state == "draft",
                }
                for line in lines
            ],
        }

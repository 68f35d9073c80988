from odoo import api, fields, models
from odoo.fields import Domain

# The operation types of after-sales parts, with the sequence code each one
# numbers its transfers with (WH/SVP/00001).
AFTERSALES_PICKING_TYPES = {
    "aftersales_consume_type_id": "SVP",
    "aftersales_warranty_consume_type_id": "SVW",
    "aftersales_defective_type_id": "SVD",
    "aftersales_unit_in_type_id": "SVR",
    "aftersales_unit_out_type_id": "SVH",
}


class StockWarehouse(models.Model):
    """Each warehouse holds the stock of the service centers and the operation
    types that move parts for work orders, created with the warehouse through
    its hooks, as ``repair`` creates its repair operation type."""

    _inherit = "stock.warehouse"

    aftersales_centers_location_id = fields.Many2one(
        "stock.location",
        string="Service Centers Location",
        check_company=True,
        copy=False,
        help="Parent of the stock locations of the centers and vans.",
    )
    aftersales_consume_type_id = fields.Many2one(
        "stock.picking.type",
        string="Charged Parts Operation",
        check_company=True,
        copy=False,
        help="Operation type of the parts consumed and charged to the customer.",
    )
    aftersales_warranty_consume_type_id = fields.Many2one(
        "stock.picking.type",
        string="Warranty Parts Operation",
        check_company=True,
        copy=False,
        help="Operation type of the parts consumed under warranty or contract, "
        "kept apart to be reported and claimed separately.",
    )
    aftersales_defective_type_id = fields.Many2one(
        "stock.picking.type",
        string="Defective Parts Receipt",
        check_company=True,
        copy=False,
        help="Operation type of the defective parts taken back from customers.",
    )
    aftersales_unit_in_type_id = fields.Many2one(
        "stock.picking.type",
        string="Units Received Operation",
        check_company=True,
        copy=False,
        help="Operation type of the customers' units received at the service "
        "desks, as the customers' property.",
    )
    aftersales_unit_out_type_id = fields.Many2one(
        "stock.picking.type",
        string="Units Handed Back Operation",
        check_company=True,
        copy=False,
        help="Operation type of the units handed back to the customers at the "
        "service desks (repaired, unrepaired or their replacements); these "
        "deliveries start no warranty.",
    )

    # ------------------------------------------------------------
    # Warehouse hooks
    # ------------------------------------------------------------

    def _get_locations_values(self, vals, code=False):
        values = super()._get_locations_values(vals, code=code)
        values["aftersales_centers_location_id"] = {
            "name": self.env._("Service Centers"),
            "usage": "view",
            "active": True,
        }
        return values

    def _create_missing_locations(self, vals):
        result = super()._create_missing_locations(vals)
        # The defective parts are received into a location of the company
        # (see res.company), which the receipt operation type points to.
        self.company_id.filtered(
            lambda c: not c.aftersales_defective_location_id
        )._create_aftersales_locations()
        return result

    def _get_sequence_values(self, name=False, code=False):
        values = super()._get_sequence_values(name=name, code=code)
        name = name or self.name
        code = code or self.code
        for fname, sequence_code in AFTERSALES_PICKING_TYPES.items():
            sequence_code = self[fname].sequence_code or sequence_code
            values[fname] = {
                "name": self.env._(
                    "%(warehouse)s Sequence %(code)s",
                    warehouse=name,
                    code=sequence_code,
                ),
                "prefix": f"{code}/{sequence_code}/",
                "padding": 5,
                "company_id": self.company_id.id,
            }
        return values

    def _get_picking_type_create_values(self, max_sequence):
        data, next_sequence = super()._get_picking_type_create_values(max_sequence)
        customers = self.env.ref("stock.stock_location_customers")
        defective = self.company_id.aftersales_defective_location_id
        common = {"company_id": self.company_id.id}
        data.update(
            {
                "aftersales_consume_type_id": {
                    **common,
                    "name": self.env._("Service Parts"),
                    "code": "outgoing",
                    "sequence_code": AFTERSALES_PICKING_TYPES[
                        "aftersales_consume_type_id"
                    ],
                    "default_location_src_id": self.lot_stock_id.id,
                    "default_location_dest_id": customers.id,
                    "sequence": next_sequence,
                },
                "aftersales_warranty_consume_type_id": {
                    **common,
                    "name": self.env._("Warranty Parts"),
                    "code": "outgoing",
                    "sequence_code": AFTERSALES_PICKING_TYPES[
                        "aftersales_warranty_consume_type_id"
                    ],
                    "default_location_src_id": self.lot_stock_id.id,
                    "default_location_dest_id": customers.id,
                    "sequence": next_sequence + 1,
                },
                "aftersales_defective_type_id": {
                    **common,
                    "name": self.env._("Defective Parts Receipts"),
                    "code": "incoming",
                    "sequence_code": AFTERSALES_PICKING_TYPES[
                        "aftersales_defective_type_id"
                    ],
                    "default_location_src_id": customers.id,
                    "default_location_dest_id": defective.id,
                    "sequence": next_sequence + 2,
                },
                # The desks' units: the default destination is only the
                # parent of the desks' locations, each receipt names its desk.
                "aftersales_unit_in_type_id": {
                    **common,
                    "name": self.env._("Units Received"),
                    "code": "incoming",
                    "sequence_code": AFTERSALES_PICKING_TYPES[
                        "aftersales_unit_in_type_id"
                    ],
                    "default_location_src_id": customers.id,
                    "default_location_dest_id": (
                        self.aftersales_centers_location_id.id
                    ),
                    "sequence": next_sequence + 3,
                },
                "aftersales_unit_out_type_id": {
                    **common,
                    "name": self.env._("Units Handed Back"),
                    "code": "outgoing",
                    "sequence_code": AFTERSALES_PICKING_TYPES[
                        "aftersales_unit_out_type_id"
                    ],
                    "default_location_src_id": (self.aftersales_centers_location_id.id),
                    "default_location_dest_id": customers.id,
                    "sequence": next_sequence + 4,
                },
            }
        )
        return data, next_sequence + 5

    def _get_picking_type_update_values(self):
        data = super()._get_picking_type_update_values()
        prefix = self.code.replace(" ", "").upper()
        for fname, sequence_code in AFTERSALES_PICKING_TYPES.items():
            data[fname] = {"active": self.active, "barcode": prefix + sequence_code}
        return data

    # ------------------------------------------------------------
    # Install and upgrade
    # ------------------------------------------------------------

    @api.model
    def _create_missing_aftersales_setup(self):
        """Give the warehouses that existed before the addon (or lost them)
        their service centers location and parts operation types, as
        ``repair``'s post-init hook does; run from data on install and on
        every upgrade."""
        self.env["res.company"]._create_missing_aftersales_locations()
        warehouses = self.with_context(active_test=False).search(
            Domain.OR(
                Domain(fname, "=", False)
                for fname in (
                    "aftersales_centers_location_id",
                    *AFTERSALES_PICKING_TYPES,
                )
            )
        )
        for warehouse in warehouses:
            warehouse._create_missing_locations({})
            picking_type_vals = (
                warehouse._create_or_update_sequences_and_picking_types()
            )
            if picking_type_vals:
                warehouse.write(picking_type_vals)
        # Centers' parts stocks made before they were replenish locations: the
        # parts their repairs wait for show in Inventory > Replenishment.
        centers_locations = (
            self.with_context(active_test=False)
            .search([("aftersales_centers_location_id", "!=", False)])
            .aftersales_centers_location_id
        )
        parts_stocks = self.env["stock.location"].search(
            [
                ("aftersales_center_id", "!=", False),
                ("usage", "=", "internal"),
                ("replenish_location", "=", False),
                ("location_id", "in", centers_locations.ids),
            ]
        )
        parts_stocks.filtered(
            lambda loc: loc.aftersales_center_id.stock_location_id == loc
        ).replenish_location = True
        # Service desks that existed before the desks had a location for the
        # customers' units.
        self.env["aftersales.center"].with_context(active_test=False).search(
            [("receives_units", "=", True), ("desk_location_id", "=", False)]
        )._create_desk_location()

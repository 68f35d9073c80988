from odoo.tests import new_test_user, tagged

from .common import FieldCommon

PARTS_TYPES = (
    "aftersales_consume_type_id",
    "aftersales_warranty_consume_type_id",
    "aftersales_defective_type_id",
)


@tagged("post_install", "-at_install")
class TestStockSetup(FieldCommon):
    """The operation types of parts and the parent of the centers' stock
    belong to each warehouse from its creation (or the addon's install) on,
    as repair's operation type does; the defective parts location belongs to
    each company, like Odoo's scrap."""

    def assertWarehouseReady(self, warehouse):
        company = warehouse.company_id
        customers = self.env.ref("stock.stock_location_customers")
        defective = company.aftersales_defective_location_id
        self.assertEqual(
            (defective.usage, defective.location_id, defective.company_id),
            ("inventory", self.env["stock.location"], company),
            "virtual, outside the warehouse: not on hand",
        )
        centers = warehouse.aftersales_centers_location_id
        self.assertEqual(
            (centers.usage, centers.location_id, centers.company_id),
            ("view", warehouse.view_location_id, company),
        )
        expected = {
            "aftersales_consume_type_id": (
                "outgoing",
                "SVP",
                warehouse.lot_stock_id,
                customers,
            ),
            "aftersales_warranty_consume_type_id": (
                "outgoing",
                "SVW",
                warehouse.lot_stock_id,
                customers,
            ),
            "aftersales_defective_type_id": ("incoming", "SVD", customers, defective),
        }
        for fname, (code, sequence_code, source, destination) in expected.items():
            picking_type = warehouse[fname]
            with self.subTest(warehouse=warehouse.code, type=fname):
                self.assertEqual(
                    (
                        picking_type.code,
                        picking_type.sequence_code,
                        picking_type.warehouse_id,
                        picking_type.company_id,
                        picking_type.default_location_src_id,
                        picking_type.default_location_dest_id,
                    ),
                    (code, sequence_code, warehouse, company, source, destination),
                )
                self.assertEqual(
                    picking_type.sequence_id.prefix,
                    f"{warehouse.code}/{sequence_code}/",
                )

    def test_main_warehouse_has_them_from_install(self):
        self.assertWarehouseReady(self.warehouse)
        self.assertFalse(
            self.env["stock.warehouse"]
            .with_context(active_test=False)
            .search([(fname, "=", False) for fname in PARTS_TYPES]),
            "every warehouse of the database",
        )
        self.assertEqual(
            self.location_a1.location_id,
            self.warehouse.aftersales_centers_location_id,
        )

    def test_new_warehouse_gets_them(self):
        # A database with several warehouses already (switching that on is
        # the administrator's, through the settings).
        self.env.ref("base.group_user").implied_ids |= self.env.ref(
            "stock.group_stock_multi_warehouses"
        ) | self.env.ref("stock.group_stock_multi_locations")
        stock_manager = new_test_user(
            self.env,
            "as_stock_manager",
            groups="stock.group_stock_manager",
            company_id=self.company.id,
        )
        warehouse = (
            self.env["stock.warehouse"]
            .with_user(stock_manager)
            .create({"name": "Second Depot", "code": "WH2"})
        )
        self.assertEqual(warehouse.company_id, self.company)
        self.assertWarehouseReady(warehouse)
        for fname in PARTS_TYPES:
            self.assertNotEqual(warehouse[fname], self.warehouse[fname])

        warehouse.code = "WH3"
        self.assertEqual(warehouse.aftersales_consume_type_id.barcode, "WH3SVP")
        # Back to one warehouse: the groups again, the administrator's.
        warehouse.sudo().active = False
        self.assertFalse(warehouse.aftersales_defective_type_id.active)

    def test_new_company_gets_them(self):
        warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", self.company_b.id)]
        )
        self.assertEqual(len(warehouse), 1)
        self.assertWarehouseReady(warehouse)
        self.assertNotEqual(
            self.company_b.aftersales_defective_location_id,
            self.company.aftersales_defective_location_id,
        )
        self.assertEqual(
            self.center_b.stock_location_id.location_id,
            warehouse.aftersales_centers_location_id,
        )

    def test_install_gives_existing_warehouses_theirs_once(self):
        # A company and warehouse as they were before the addon.
        company = self.env["res.company"].create({"name": "Older Brand"})
        warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", company.id)]
        )
        warehouse.write(
            dict.fromkeys((*PARTS_TYPES, "aftersales_centers_location_id"), False)
        )
        company.aftersales_defective_location_id = False
        PickingType = self.env["stock.picking.type"].with_context(active_test=False)
        types_before = PickingType.search_count([])

        self.env["stock.warehouse"]._create_missing_aftersales_setup()

        self.assertWarehouseReady(warehouse)
        self.assertEqual(PickingType.search_count([]), types_before + 3)
        self.env["stock.warehouse"]._create_missing_aftersales_setup()
        self.assertEqual(PickingType.search_count([]), types_before + 3, "once")

    def test_parts_follow_the_warehouse_holding_their_stock(self):
        """A center's stock is in its company's first warehouse; its parts
        leave through that warehouse's operation types, even once another
        warehouse comes first."""
        second = self.env["stock.warehouse"].create(
            {"name": "Second Depot", "code": "WH2", "sequence": 0}
        )
        center = self._create_center("Center A3", self.company)
        self.assertEqual(center.stock_location_id.warehouse_id, second)
        center.service_type_ids = self.type_repair
        self.env["aftersales.technician"].create(
            {"name": "Tech A3", "center_id": center.id, "mobile": "+905321110033"}
        )
        self.env["stock.quant"]._update_available_quantity(
            self.part_belt, center.stock_location_id, 1
        )
        there = self._repair_in_progress(center=center)
        here = self._repair_in_progress()
        belts = self._add_part(there, self.part_belt) | self._add_part(
            here, self.part_belt, user=self.user_technician
        )
        there.action_done()
        here.with_user(self.user_technician).action_done()
        self.assertEqual(
            belts.move_id.picking_type_id,
            second.aftersales_consume_type_id
            | self.warehouse.aftersales_consume_type_id,
        )
        self.assertEqual(
            belts.picking_id.mapped("name")[0][:8], "WH2/SVP/", "numbered there"
        )

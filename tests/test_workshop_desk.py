"""Issue 19: the workshop flow (desk): the customer's unit in the desk's
stock, the parts an accepted estimate reserves, the unit handed back."""

from contextlib import contextmanager

from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import Form, tagged

from .common import WorkshopCommon


@tagged("post_install", "-at_install")
class TestWorkshopDesk(WorkshopCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.desk_location = cls.center_a1.desk_location_id
        cls.warehouse = cls.desk_location.warehouse_id
        cls.customer_b = cls.env["res.partner"].create(
            {"name": "Test Second Customer", "phone": "+905301114455"}
        )
        # A sale's delivery of the product starts a warranty: the hand-back
        # must not.
        cls.product.aftersales_warranty_type_id = cls.warranty_type
        # Valued at a cost: a unit counted as ours would change the value.
        cls.product.standard_price = 300.0
        cls.lots = cls.env["stock.lot"].create(
            [{"name": f"TWM-D{n}", "product_id": cls.product.id} for n in range(1, 4)]
        )

    def _quants(self, lot):
        return self.env["stock.quant"].search(
            [("lot_id", "=", lot.id), ("quantity", ">", 0)]
        )

    def _unit_pickings(self, order, type_field):
        return order.picking_ids.filtered(
            lambda p: p.picking_type_id == self.warehouse[type_field]
        )

    def _valued(self, product):
        """The company's value and valued quantity of ``product`` (stock
        owned by others is excluded, as stock_account does)."""
        product = product.with_company(self.company)
        return product.total_value, product._with_valuation_context().qty_available

    @contextmanager
    def _refused(self, pattern):
        """A UserError matching ``pattern``, rolled back (Odoo's assertRaises)."""
        with self.assertRaises(UserError) as caught:
            yield
        self.assertRegex(str(caught.exception), pattern)

    # ------------------------------------------------------------
    # Receipt
    # ------------------------------------------------------------

    def test_desk_location_is_not_our_stock(self):
        self.assertTrue(self.desk_location)
        self.assertEqual(self.desk_location.usage, "internal")
        self.assertEqual(self.warehouse.company_id, self.company)
        self.assertFalse(
            self.desk_location._child_of(self.warehouse.lot_stock_id),
            "customers' units must never be reservable as our stock",
        )
        self.assertEqual(self.warehouse.aftersales_unit_in_type_id.code, "incoming")
        self.assertEqual(self.warehouse.aftersales_unit_out_type_id.code, "outgoing")
        # A center that becomes a desk gets its location.
        self.assertFalse(self.center_a2.desk_location_id)
        self.center_a2.receives_units = True
        self.assertTrue(self.center_a2.desk_location_id)
        # The upgrade's setup is idempotent and fills desks that lack it.
        self.env["stock.warehouse"]._create_missing_aftersales_setup()
        self.assertEqual(self.center_a1.desk_location_id, self.desk_location)

    def test_receive_unit_as_customer_property(self):
        # Desk staff have no stock rights: the desk moves stock for them.
        self.assertFalse(self.user_center.has_group("stock.group_stock_user"))
        # One unit of our own in the warehouse: the value to keep.
        own_lot = self.env["stock.lot"].create(
            {"name": "TWM-OWN", "product_id": self.product.id}
        )
        self.env["stock.quant"]._update_available_quantity(
            self.product, self.warehouse.lot_stock_id, 1, lot_id=own_lot
        )
        value_before = self._valued(self.product)
        self.assertEqual(value_before, (300.0, 1.0))
        order = self._workshop_order(lot_id=self.lots[0].id)
        order.with_user(self.user_center).action_receive()
        receipt = self._unit_pickings(order, "aftersales_unit_in_type_id")
        self.assertEqual(len(receipt), 1)
        self.assertEqual(receipt.state, "done")
        self.assertEqual(receipt.owner_id, self.customer.commercial_partner_id)
        quant = self._quants(self.lots[0])
        self.assertEqual(len(quant), 1)
        self.assertEqual(quant.location_id, self.desk_location)
        self.assertEqual(quant.owner_id, self.customer.commercial_partner_id)
        self.assertEqual(quant.quantity, 1.0)
        # Owned stock is not the company's: neither valued nor counted.
        self.assertEqual(quant.value, 0.0)
        self.assertEqual(self._valued(self.product), value_before)
        # Not reservable as ours: a delivery from the warehouse's stock finds
        # our own unit only.
        self.assertEqual(
            self.env["stock.quant"]._get_available_quantity(
                self.product, self.warehouse.lot_stock_id
            ),
            1.0,
        )

    def test_batch_receipt_one_picking_per_owner(self):
        orders = (
            self._workshop_order(lot_id=self.lots[0].id)
            | self._workshop_order(lot_id=self.lots[1].id)
            | self._workshop_order(
                lot_id=self.lots[2].id,
                partner_id=self.customer_b.id,
                address_id=self.customer_b.id,
            )
        )
        orders.with_user(self.user_center).action_receive()
        receipts = orders.picking_ids
        self.assertEqual(len(receipts), 2)
        by_owner = {p.owner_id: p for p in receipts}
        self.assertEqual(len(by_owner[self.customer].move_ids), 2)
        self.assertEqual(len(by_owner[self.customer_b].move_ids), 1)
        self.assertEqual(by_owner[self.customer_b].move_line_ids.lot_id, self.lots[2])
        for lot in self.lots:
            self.assertEqual(self._quants(lot).location_id, self.desk_location)

    def test_dealer_batch_received_one_picking_per_customer(self):
        dealer = self.env["res.partner"].create(
            {"name": "Test Dealer", "is_company": True, "aftersales_is_dealer": True}
        )
        self.product.default_code = "TWM-DLR"
        Order = self.env["aftersales.order"]
        # Two customers of the dealer, the second with two units.
        for name, phone, serial in (
            ("One", "+905551000001", "DLR-1"),
            ("Two", "+905551000002", "DLR-2"),
            ("Two", "+905551000002", "DLR-3"),
        ):
            Order._dealer_register_sale(
                dealer,
                {
                    "customer_name": f"Dealer Customer {name}",
                    "phone": phone,
                    "product_code": "TWM-DLR",
                    "serial": serial,
                },
            )
        rows = Order._dealer_validate_rows(
            dealer,
            [
                (n, [serial, self.type_workshop.code, "Does not spin"])
                for n, serial in enumerate(("DLR-1", "DLR-2", "DLR-3"), 1)
            ],
        )
        self.assertFalse([row["error"] for row in rows if row["error"]])
        orders = Order.sudo()._dealer_create_requests(dealer, rows, self.center_a1)
        self.assertEqual(len(orders), 3)
        orders = orders.with_user(self.user_center)
        # The desk receives the dealer's batch at once.
        orders.action_receive()
        self.assertEqual(set(orders.mapped("workshop_state")), {"awaiting_estimate"})
        receipts = orders.sudo().picking_ids
        self.assertEqual(len(receipts), 2)
        self.assertEqual(receipts.owner_id, orders.partner_id.commercial_partner_id)
        self.assertEqual(sorted(len(p.move_ids) for p in receipts), [1, 2])
        quants = self.env["stock.quant"].search(
            [("lot_id", "in", orders.lot_id.ids), ("quantity", ">", 0)]
        )
        self.assertEqual(quants.location_id, self.desk_location)

    def test_receive_refusals(self):
        Picking = self.env["stock.picking"]
        pickings_before = Picking.search_count([])
        # No serial of a serial-tracked unit: refused, nothing created.
        order = self._workshop_order(lot_id=False)
        with self._refused("serial number"):
            order.with_user(self.user_center).action_receive()
        self.assertEqual(order.workshop_state, "to_receive")
        self.assertEqual(Picking.search_count([]), pickings_before)
        # The same unit received twice: refused.
        first = self._received_order(lot_id=self.lots[0].id)
        again = self._workshop_order(lot_id=self.lots[0].id)
        with self._refused("already in stock"):
            again.with_user(self.user_center).action_receive()
        self.assertEqual(again.workshop_state, "to_receive")
        self.assertEqual(len(first.picking_ids), 1)
        self.assertEqual(self._quants(self.lots[0]).quantity, 1.0)
        # A unit already in our own stock: refused.
        self.env["stock.quant"]._update_available_quantity(
            self.product, self.warehouse.lot_stock_id, 1, lot_id=self.lots[1]
        )
        ours = self._workshop_order(lot_id=self.lots[1].id)
        with self._refused("already in stock"):
            ours.with_user(self.user_center).action_receive()
        # Not a desk: refused by the flow, nothing moves.
        self.center_a1.receives_units = False
        other = self._workshop_order(lot_id=self.lots[2].id)
        with self._refused("service desk"):
            other.with_user(self.user_center).action_receive()
        self.assertFalse(self._quants(self.lots[2]))

    # ------------------------------------------------------------
    # Parts
    # ------------------------------------------------------------

    def _accepted(self, order):
        order.with_user(self.user_technician).action_send_estimate()
        order.with_user(self.user_dispatcher).action_accept_estimate()

    def test_accepted_estimate_reserves_parts_consumed_once(self):
        order = self._received_order(lot_id=self.lots[0].id)
        part = self._add_part(order, self.part_belt, quantity=2)
        self._accepted(order)
        self.assertEqual(order.workshop_state, "repair")
        self.assertEqual(part.state, "draft")
        self.assertEqual(part.move_id.state, "assigned")
        self.assertEqual(part.move_id.picking_id.state, "assigned")
        self.assertEqual(
            self.env["stock.quant"]._get_available_quantity(
                self.part_belt, self.location_a1
            ),
            3.0,
        )
        reserved = part.move_id.picking_id
        order.with_user(self.user_technician).action_finish_repair()
        self._qc_check(order, "pass")
        self.assertEqual(order.state, "done")
        self.assertEqual(part.state, "done")
        # The reserved transfer moved the parts, once.
        self.assertEqual(part.move_id.picking_id, reserved)
        self.assertEqual(reserved.state, "done")
        self.assertEqual(
            order.picking_ids.filtered(
                lambda p: p.picking_type_id != self.warehouse.aftersales_unit_in_type_id
            ),
            reserved,
        )
        self.assertEqual(
            self.part_belt.with_context(location=self.location_a1.id).qty_available, 3.0
        )
        self.assertEqual(
            self.env["stock.quant"]._get_available_quantity(
                self.part_belt, self.location_a1
            ),
            3.0,
        )

    def test_missing_parts_wait_and_need_replenishment(self):
        order = self._received_order(lot_id=self.lots[0].id)
        part = self._add_part(order, self.part_belt, quantity=7)
        at_warehouse = self.part_belt.with_context(warehouse_id=self.warehouse.id)
        self.assertEqual(at_warehouse.virtual_available, 5.0)
        self._accepted(order)
        self.assertEqual(order.workshop_state, "waiting_parts")
        self.assertIn(part.move_id.state, ("confirmed", "partially_available"))
        # A need the replenishment report sees: the forecast goes negative.
        at_warehouse.invalidate_recordset()
        self.assertEqual(at_warehouse.virtual_available, -2.0)
        # Inventory > Replenishment shows the center's need.
        Orderpoint = self.env["stock.warehouse.orderpoint"]
        Orderpoint.action_open_orderpoints()
        need = Orderpoint.search(
            [
                ("product_id", "=", self.part_belt.id),
                ("location_id", "=", self.location_a1.id),
            ]
        )
        self.assertEqual(len(need), 1)
        self.assertEqual(need.qty_forecast, -2.0)
        self.assertEqual(need.warehouse_id, self.warehouse)
        # Checking before the parts came: still waiting.
        order.with_user(self.user_technician).action_check_parts()
        self.assertEqual(order.workshop_state, "waiting_parts")
        # The parts arrive through a receipt; checking again reserves them.
        receipt = self.env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.in_type_id.id,
                "location_id": self.env.ref("stock.stock_location_suppliers").id,
                "location_dest_id": self.location_a1.id,
                "move_ids": [
                    Command.create(
                        {
                            "product_id": self.part_belt.id,
                            "product_uom_qty": 2,
                            "location_id": self.env.ref(
                                "stock.stock_location_suppliers"
                            ).id,
                            "location_dest_id": self.location_a1.id,
                        }
                    )
                ],
            }
        )
        receipt.action_confirm()
        receipt.move_ids.quantity = 2
        receipt.move_ids.picked = True
        receipt.button_validate()
        self.assertEqual(receipt.state, "done")
        order.with_user(self.user_technician).action_check_parts()
        self.assertEqual(order.workshop_state, "repair")
        self.assertEqual(part.move_id.state, "assigned")
        self.assertEqual(
            len(order.picking_ids.filtered(lambda p: p.state != "cancel")), 2
        )

    def test_cancelled_order_frees_reserved_parts(self):
        order = self._received_order(lot_id=self.lots[0].id)
        part = self._add_part(order, self.part_belt, quantity=2)
        self._accepted(order)
        self.assertEqual(part.move_id.state, "assigned")
        order.with_user(self.user_dispatcher).action_cancel("Customer moved away")
        self.assertEqual(order.state, "cancelled")
        self.assertEqual(part.move_id.state, "cancel")
        self.assertEqual(self._quant_qty(self.part_belt, self.location_a1), 5.0)

    # ------------------------------------------------------------
    # Hand back
    # ------------------------------------------------------------

    def _ready(self, lot):
        order = self._received_order(lot_id=lot.id)
        self._accepted(order)
        order.with_user(self.user_technician).action_finish_repair()
        self._qc_check(order, "pass")
        self.assertEqual(order.workshop_state, "ready")
        return order

    def _hand_back_form(self, order):
        action = order.with_user(self.user_center).action_open_hand_back_wizard()
        return Form(
            self.env[action["res_model"]]
            .with_user(self.user_center)
            .with_context(**action["context"])
        )

    def test_hand_back_delivers_unit_without_new_warranty(self):
        order = self._ready(self.lots[0])
        Warranty = self.env["aftersales.warranty"]
        warranties_before = Warranty.search_count([("lot_id", "=", self.lots[0].id)])
        # A wrong code: refused, the unit stays.
        form = self._hand_back_form(order)
        self.assertEqual(form.picked_up_by, self.customer.name)
        form.pickup_code = "000000"
        wizard = form.save()
        with self._refused("pickup code"):
            wizard.action_confirm()
        self.assertEqual(self._quants(self.lots[0]).location_id, self.desk_location)
        form = self._hand_back_form(order)
        form.pickup_code = order.pickup_code
        form.picked_up_by = "Ayşe"
        form.save().action_confirm()
        self.assertEqual(order.workshop_state, "delivered")
        self.assertEqual(order.picked_up_by, "Ayşe")
        delivery = self._unit_pickings(order, "aftersales_unit_out_type_id")
        self.assertEqual(delivery.state, "done")
        self.assertEqual(delivery.owner_id, self.customer)
        self.assertEqual(delivery.move_line_ids.lot_id, self.lots[0])
        self.assertEqual(delivery.location_dest_id.usage, "customer")
        self.assertFalse(
            self._quants(self.lots[0]).filtered(
                lambda q: q.location_id.usage == "internal"
            )
        )
        self.assertEqual(
            Warranty.search_count([("lot_id", "=", self.lots[0].id)]),
            warranties_before,
        )

    def test_hand_back_unit_not_at_desk_refused(self):
        order = self._ready(self.lots[0])
        # The unit left the desk behind the desk's back.
        quant = self._quants(self.lots[0])
        quant.sudo().location_id = self.warehouse.lot_stock_id
        with self._refused("not at the service desk"):
            order.with_user(self.user_center).action_hand_back(order.pickup_code)
        self.assertEqual(order.workshop_state, "ready")
        self.assertFalse(self._unit_pickings(order, "aftersales_unit_out_type_id"))

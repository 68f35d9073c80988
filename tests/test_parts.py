from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import FieldCommon


@tagged("post_install", "-at_install")
class TestParts(FieldCommon):
    """Parts used on site leave the center's stock through real transfers."""

    def test_parts_consumed_from_the_center_with_their_serial(self):
        order = self._repair_in_progress()
        board = self._add_part(
            order,
            self.part_board,
            user=self.user_technician,
            lot_id=self.board_lots[1].id,
        )
        belt = self._add_part(
            order, self.part_belt, user=self.user_technician, quantity=2
        )
        self.assertEqual(board.location_id, self.location_a1)
        self.assertEqual((board.coverage, belt.coverage), ("charged", "charged"))
        self.assertEqual(board.available_quantity, 1)

        order.with_user(self.user_technician).action_done()

        self.assertEqual(order.state, "done")
        self.assertEqual((board | belt).mapped("state"), ["done", "done"])
        move_line = board.move_id.move_line_ids
        self.assertEqual(board.move_id.state, "done")
        self.assertEqual(
            move_line.lot_id, self.board_lots[1], "the serial given, not FIFO"
        )
        self.assertEqual(move_line.location_id, self.location_a1)
        self.assertEqual(move_line.location_dest_id.usage, "customer")
        picking = board.move_id.picking_id
        self.assertEqual(picking, belt.move_id.picking_id, "one transfer per type")
        self.assertEqual(
            picking.picking_type_id, self.warehouse.aftersales_consume_type_id
        )
        self.assertEqual(picking.aftersales_order_id, order)
        self.assertEqual(picking.partner_id, order.address_id)
        self.assertEqual(picking.origin, order.name)
        self.assertEqual(
            self._quant_qty(self.part_board, self.location_a1, self.board_lots[1]), 0
        )
        self.assertEqual(
            self._quant_qty(self.part_board, self.location_a1, self.board_lots[0]), 1
        )
        self.assertEqual(self._quant_qty(self.part_belt, self.location_a1), 3)
        self.assertEqual(order.picking_ids, picking)

    def test_consumption_is_not_announced_as_a_delivery(self):
        self.company.stock_move_email_validation = True
        order = self._repair_in_progress()
        self._add_part(order, self.part_belt)
        order.action_done()
        template = self.company.stock_mail_confirmation_template_id
        self.assertTrue(template)
        self.assertFalse(
            order.picking_ids.message_ids.filtered(
                lambda m: "Delivery Order" in (m.subject or "")
            ),
            "no shipping notice for parts used on site",
        )

    def test_two_serials_of_the_same_part_are_two_moves(self):
        order = self._repair_in_progress()
        first = self._add_part(order, self.part_board, lot_id=self.board_lots[0].id)
        second = self._add_part(order, self.part_board, lot_id=self.board_lots[1].id)
        order.action_done()
        self.assertNotEqual(first.move_id, second.move_id)
        self.assertEqual(
            (first | second).move_id.move_line_ids.lot_id, self.board_lots[:2]
        )

    def test_parts_come_only_from_the_centers_stock(self):
        order = self._repair_in_progress()
        for location in (
            self.center_a2.stock_location_id,  # another center
            self.warehouse.lot_stock_id,  # the company's warehouse
            self.env.ref("stock.stock_location_customers"),
        ):
            with (
                self.subTest(location=location.name),
                self.assertRaises(ValidationError),
            ):
                self._add_part(
                    order,
                    self.part_belt,
                    user=self.user_technician,
                    location_id=location.id,
                )
        with self.assertRaises(ValidationError):
            self.technician_a1.with_user(
                self.user_center
            ).van_location_id = self.center_a2.stock_location_id

    def test_stock_fields_are_not_for_users(self):
        order = self._repair_in_progress()
        other = self._repair_in_progress()
        belt = self._add_part(
            order, self.part_belt, user=self.user_technician, state="done"
        )
        self.assertEqual(
            belt.state, "draft", "a part is consumed by the work order only"
        )
        for vals in ({"state": "cancel"}, {"order_id": other.id}, {"move_id": False}):
            with self.subTest(vals=vals), self.assertRaises(UserError):
                belt.with_user(self.user_technician).write(vals)

    def test_van_stock_comes_first(self):
        self.technician_a1.with_user(self.user_center).action_create_van_location()
        van = self.technician_a1.van_location_id
        self.assertEqual(van.location_id, self.location_a1)
        self.assertEqual(van.aftersales_center_id, self.center_a1)
        self.env["stock.quant"]._update_available_quantity(self.part_belt, van, 1)
        order = self._repair_in_progress()
        belt = self._add_part(order, self.part_belt, user=self.user_technician)
        self.assertEqual(belt.location_id, van)
        order.with_user(self.user_technician).action_done()
        self.assertEqual(self._quant_qty(self.part_belt, van), 0)
        self.assertEqual(self._quant_qty(self.part_belt, self.location_a1), 5)

    def test_warranty_covers_parts_through_their_own_operation(self):
        order = self._repair_in_progress(lot=self.covered_lot)
        self.assertTrue(order.parts_covered)
        board = self._add_part(order, self.part_board, lot_id=self.board_lots[0].id)
        belt = self._add_part(order, self.part_belt, coverage="charged")
        self.assertEqual(board.coverage, "covered", "the warranty decides")
        self.assertEqual(board.price_subtotal, 0.0)
        self.assertEqual(belt.price_subtotal, 15.0)

        order.action_done()

        warehouse = self.warehouse
        self.assertEqual(
            board.move_id.picking_type_id, warehouse.aftersales_warranty_consume_type_id
        )
        self.assertEqual(
            belt.move_id.picking_type_id, warehouse.aftersales_consume_type_id
        )
        self.assertNotEqual(board.picking_id, belt.picking_id)
        warranty_moves = self.env["stock.move"].search(
            [
                (
                    "picking_type_id",
                    "=",
                    warehouse.aftersales_warranty_consume_type_id.id,
                ),
                ("state", "=", "done"),
            ]
        )
        self.assertEqual(warranty_moves, board.move_id, "reported on its own")

    def test_out_of_warranty_parts_are_charged(self):
        order = self._repair_in_progress()
        self.assertFalse(order.under_warranty)
        belt = self._add_part(order, self.part_belt)
        self.assertEqual((belt.coverage, belt.price_subtotal), ("charged", 15.0))

    def test_defective_part_received_into_the_defective_location(self):
        order = self._repair_in_progress()
        self._add_part(
            order,
            self.part_board,
            user=self.user_technician,
            lot_id=self.board_lots[0].id,
            defective_return=True,
            defective_lot_name="CB-OLD-77",
        )
        board = self.part_board.with_context(warehouse_id=self.warehouse.id)
        self.assertEqual(board.qty_available, 3)
        order.with_user(self.user_technician).action_done()
        part = order.part_ids
        receipt = part.defective_move_id
        self.assertEqual(receipt.state, "done")
        self.assertEqual(
            receipt.picking_id.picking_type_id,
            self.warehouse.aftersales_defective_type_id,
        )
        self.assertEqual(
            receipt.location_dest_id, self.company.aftersales_defective_location_id
        )
        self.assertEqual(receipt.move_line_ids.lot_id.name, "CB-OLD-77")
        self.assertEqual(
            self._quant_qty(
                self.part_board,
                self.company.aftersales_defective_location_id,
                receipt.move_line_ids.lot_id,
            ),
            1,
        )
        self.assertEqual(len(order.picking_ids), 2)
        self.assertEqual(
            sorted(name[:7] for name in order.picking_ids.mapped("name")),
            ["WH/SVD/", "WH/SVP/"],
        )
        board.invalidate_recordset(["qty_available"])
        self.assertEqual(board.qty_available, 2, "one used, the old one not on hand")

    def test_defective_serial_is_required(self):
        order = self._repair_in_progress()
        self._add_part(
            order, self.part_board, lot_id=self.board_lots[0].id, defective_return=True
        )
        with self.assertRaisesRegex(UserError, "defective Test Control Board"):
            order.action_done()
        self.assertEqual(order.state, "in_progress")

    def test_unavailable_parts_block_the_step_and_change_nothing(self):
        order = self._repair_in_progress()
        # The third board is in Center A2's stock, not here.
        board = self._add_part(order, self.part_board, lot_id=self.board_lots[2].id)
        belt = self._add_part(order, self.part_belt, quantity=6)
        self.assertEqual(board.available_quantity, 0)
        with self.assertRaises(UserError) as caught:
            order.with_user(self.user_technician).action_done()
        message = str(caught.exception)
        self.assertIn("not in stock", message)
        self.assertIn("Test Control Board (CB-3): 1.0 needed, 0", message)
        self.assertIn("Test Drive Belt: 6.0 needed, 5.0", message)
        self.assertEqual(order.state, "in_progress")
        self.assertEqual((board | belt).mapped("state"), ["draft", "draft"])
        self.assertFalse(order.picking_ids)
        self.assertEqual(self._quant_qty(self.part_belt, self.location_a1), 5)

        with self.assertRaisesRegex(UserError, "not in stock"):
            order.action_request_approval()
        belt.quantity = 5
        board.lot_id = self.board_lots[0]
        order.action_done()
        self.assertEqual(self._quant_qty(self.part_belt, self.location_a1), 0)

    def test_two_lines_cannot_take_the_same_last_unit(self):
        order = self._repair_in_progress()
        self._add_part(order, self.part_belt, quantity=3)
        self._add_part(order, self.part_belt, quantity=3)
        with self.assertRaisesRegex(UserError, "6.0 needed, 5.0"):
            order.action_done()

    def test_tracked_part_needs_its_serial(self):
        order = self._repair_in_progress()
        self._add_part(order, self.part_board)
        with self.assertRaisesRegex(
            UserError, "serial or lot number of Test Control Board"
        ):
            order.action_done()

    def test_parts_consumed_when_approval_is_requested(self):
        order = self._repair_in_progress()
        belt = self._add_part(order, self.part_belt)
        order.action_request_approval()
        self.assertEqual(belt.state, "done")
        with self.assertRaisesRegex(UserError, "stock moves are done"):
            belt.with_user(self.user_technician).quantity = 2
        with self.assertRaisesRegex(UserError, "stock moves are done"):
            belt.unlink()

    def test_parts_of_a_closed_order_cannot_change(self):
        order = self._order_in_state("done", service_type_id=self.type_repair.id)
        with self.assertRaisesRegex(UserError, "can no longer change"):
            self._add_part(order, self.part_belt, user=self.user_technician)

    def test_spare_parts_suggested_from_the_product(self):
        self.product.product_tmpl_id.aftersales_spare_part_ids = (
            self.part_board | self.part_belt
        )
        order = self._repair_in_progress()
        self.assertEqual(order.suggested_part_ids, self.part_board | self.part_belt)

    # Access

    def test_technicians_do_not_set_prices_or_coverage(self):
        order = self._repair_in_progress()
        belt = self._add_part(
            order,
            self.part_belt,
            user=self.user_technician,
            price_unit=0.0,
            coverage="covered",
        )
        self.assertEqual((belt.price_unit, belt.coverage), (15.0, "charged"), "ignored")
        for vals in ({"price_unit": 1.0}, {"coverage": "covered"}):
            with self.assertRaises(AccessError):
                belt.with_user(self.user_technician).write(vals)
        belt.with_user(self.user_center).write({"coverage": "covered"})
        self.assertEqual(belt.price_subtotal, 0.0, "the center decides")

    def test_technician_adds_parts_only_to_their_own_orders(self):
        other = self._repair_in_progress()
        other.technician_id = self.technician_a1_bis
        with self.assertRaises(AccessError):
            self._add_part(other, self.part_belt, user=self.user_technician)
        with self.assertRaises(AccessError):
            self._add_part(other, self.part_belt, user=self.user_technician_a2)
        mine = self._repair_in_progress()
        part = self._add_part(mine, self.part_belt, user=self.user_technician)
        self.assertFalse(
            self.env["aftersales.order.part"]
            .with_user(self.user_technician_a2)
            .search([("id", "=", part.id)])
        )

    def test_center_staff_see_only_their_centers_stock(self):
        Location = self.env["stock.location"].with_user(self.user_center)
        visible = Location.search([("aftersales_center_id", "!=", False)])
        self.assertIn(self.location_a1, visible)
        self.assertNotIn(self.center_a2.stock_location_id, visible)
        with self.assertRaises(AccessError):
            self.center_a2.stock_location_id.with_user(self.user_center).read(["name"])
        quants = (
            self.env["stock.quant"]
            .with_user(self.user_center)
            .search([("product_id", "=", self.part_board.id)])
        )
        self.assertEqual(quants.location_id, self.location_a1, "nor its quants")
        # A technician of the other center sees theirs, not ours.
        tech_a2 = Location.with_user(self.user_technician_a2).search(
            [("aftersales_center_id", "!=", False)]
        )
        self.assertIn(self.center_a2.stock_location_id, tech_a2)
        self.assertNotIn(self.location_a1, tech_a2)
        # Dispatchers see all.
        self.assertIn(
            self.center_a2.stock_location_id,
            Location.with_user(self.user_dispatcher).search([]),
        )

    def test_each_center_gets_its_stock_location(self):
        center = self._create_center("Center A3", self.company)
        location = center.stock_location_id
        self.assertEqual(location.usage, "internal")
        self.assertEqual(location.aftersales_center_id, center)
        self.assertEqual(
            location.location_id, self.warehouse.aftersales_centers_location_id
        )
        self.assertEqual(
            self.center_b.stock_location_id.company_id, self.company_b, "per company"
        )

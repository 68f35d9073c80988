"""Issue 19, item 5: replacing the unit at the desk instead of repairing it.

The dispatcher replaces, desk staff hand the new serial back against the
pickup code. The customer's unit is put in the desk's stock the way the desk
receives it (a quant of its serial, owned by the customer, in an internal
location outside the warehouse's stock) unless the desk already did."""

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import WorkshopCommon


@tagged("post_install", "-at_install")
class TestWorkshopReplace(WorkshopCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Lot = cls.env["stock.lot"]
        Quant = cls.env["stock.quant"]
        # Deliveries of the product start its warranty: the replacement's
        # must not start a second one.
        cls.product.product_tmpl_id.aftersales_warranty_type_id = cls.warranty_type
        cls.product.standard_price = 300.0
        cls.desk_location = cls.env["stock.location"].create(
            {
                "name": "Desk A1 (test)",
                "usage": "internal",
                "location_id": cls.warehouse.view_location_id.id,
                "company_id": cls.company.id,
            }
        )
        cls.stock = cls.warehouse.lot_stock_id
        cls.new_lots = Lot.create(
            [{"name": f"TWM-NEW-{n}", "product_id": cls.product.id} for n in (1, 2)]
        )
        for lot in cls.new_lots:
            Quant._update_available_quantity(cls.product, cls.stock, 1, lot_id=lot)
        # In stock but someone's property (a consignment): not the company's.
        cls.owned_lot = Lot.create({"name": "TWM-OWNED", "product_id": cls.product.id})
        Quant._update_available_quantity(
            cls.product,
            cls.stock,
            1,
            lot_id=cls.owned_lot,
            owner_id=cls.env["res.partner"].create({"name": "Consignor"}),
        )
        # Known but in no stock.
        cls.gone_lot = Lot.create({"name": "TWM-GONE", "product_id": cls.product.id})
        # The customer's unit under a warranty started a year ago.
        cls.old_lot = Lot.create({"name": "TWM-OLD", "product_id": cls.product.id})
        cls.old_warranty = cls.env["aftersales.warranty"].create(
            {
                "lot_id": cls.old_lot.id,
                "partner_id": cls.customer.id,
                "warranty_type_id": cls.warranty_type.id,
            }
        )
        cls.today = fields.Date.context_today(cls.old_warranty)
        cls.old_warranty.action_activate(cls.today - relativedelta(years=1))
        cls.defective = cls.company.aftersales_defective_location_id

    # ------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------

    def _unit_quants(self, lot):
        """Where ``lot`` is, as {(location, owner): quantity}: its quants
        with a quantity, the customers' location apart (_customer_qty)."""
        quants = self.env["stock.quant"].search(
            [("lot_id", "=", lot.id), ("location_id.usage", "!=", "customer")]
        )
        return {(q.location_id, q.owner_id): q.quantity for q in quants if q.quantity}

    def _customer_qty(self, lot, owner=None):
        """The quantity of ``lot`` at the customers' (of ``owner``, or all)."""
        quants = self.env["stock.quant"].search(
            [("lot_id", "=", lot.id), ("location_id.usage", "=", "customer")]
        )
        if owner is not None:
            quants = quants.filtered(lambda q: q.owner_id == owner)
        return sum(quants.mapped("quantity"))

    def _stock_value(self):
        return self.product.with_company(self.company).total_value

    def _at_desk(self, lot=None):
        """A received workshop order whose unit (``lot``) is in the desk's
        stock as the customer's property."""
        order = self._received_order(lot_id=(lot or self.old_lot).id)
        if not order._get_unit_quant():  # the desk seam did not receive it
            self.env["stock.quant"]._update_available_quantity(
                self.product,
                self.desk_location,
                1,
                lot_id=order.lot_id,
                owner_id=self.customer,
            )
        self.assertTrue(order._get_unit_quant())
        return order

    def _replace(self, order, lot, user=None):
        """Replace through the dialog, as the dispatcher."""
        user = user or self.user_dispatcher
        action = order.with_user(user).action_open_replace_wizard()
        form = Form(
            self.env[action["res_model"]]
            .with_user(user)
            .with_context(**action["context"])
        )
        form.lot_id = lot
        wizard = form.save()
        wizard.action_confirm()
        return wizard

    def _snapshot(self, order):
        return (
            order.state,
            order.workshop_state,
            order.workshop_outcome,
            order.replacement_lot_id,
            self.env["stock.picking"].search_count(
                [("aftersales_order_id", "=", order.id)]
            ),
            order.lot_id.aftersales_warranty_ids.mapped("state"),
        )

    # ------------------------------------------------------------
    # The exchange
    # ------------------------------------------------------------

    def test_replace_then_hand_back_remaining_term(self):
        self.company.aftersales_replacement_warranty = "remaining"
        order = self._at_desk()
        new_lot = self.new_lots[0]
        value_before = self._stock_value()
        # The receipt took the unit from the customers' location (the desk
        # seam's receipt), or nothing did (the unit put at the desk by hand).
        customers_before = self._customer_qty(self.old_lot)
        self._replace(order, new_lot)
        self.assertEqual(order.state, "done")
        self.assertEqual(order.workshop_state, "ready")
        self.assertEqual(order.workshop_outcome, "replaced")
        self.assertEqual(order.replacement_lot_id, new_lot)

        # The old unit is the company's, in the defective location, no longer
        # anywhere in stock as the customer's.
        self.assertEqual(
            self._unit_quants(self.old_lot),
            {(self.defective, self.env["res.partner"]): 1.0},
        )
        self.assertFalse(order._get_unit_quant())
        # It passed the customers' location only to change hands: nothing of
        # it is left there, neither the customer's nor the company's.
        self.assertEqual(self._customer_qty(self.old_lot), customers_before)
        pickings = self.env["stock.picking"].search(
            [("aftersales_order_id", "=", order.id)]
        )
        self.assertEqual(
            pickings.filtered(lambda p: p.state == "done").move_line_ids.lot_id,
            self.old_lot,
        )
        self.assertEqual(
            pickings.filtered(
                lambda p: p.location_dest_id == self.defective
            ).picking_type_id,
            self.warehouse.aftersales_defective_type_id,
        )
        # Valuation: the customer's unit was never the company's stock, and the
        # defective location is not valued: the exchange changed nothing yet.
        self.assertFalse(any(pickings.move_ids.mapped("is_in")))
        self.assertFalse(any(pickings.move_ids.mapped("is_out")))
        self.assertAlmostEqual(self._stock_value(), value_before)
        # The new serial waits for the customer, reserved.
        new_quant = self.env["stock.quant"].search(
            [("lot_id", "=", new_lot.id), ("location_id", "=", self.stock.id)]
        )
        self.assertEqual((new_quant.quantity, new_quant.reserved_quantity), (1, 1))
        delivery = order.sudo().replacement_picking_id
        self.assertEqual(delivery.state, "assigned")
        self.assertEqual(delivery.move_line_ids.lot_id, new_lot)

        # The warranty moved: the old one void with the reason, the new one
        # for the same customer, type and end date.
        self.assertEqual(self.old_warranty.state, "void")
        self.assertIn("TWM-NEW-1", self.old_warranty.void_reason)
        self.assertIn(order.name, self.old_warranty.void_reason)
        self.assertIn(
            "TWM-NEW-1", " ".join(self.old_warranty.message_ids.mapped("body"))
        )
        new_warranty = new_lot.aftersales_warranty_ids
        self.assertEqual(len(new_warranty), 1)
        self.assertEqual(new_warranty.state, "active")
        self.assertEqual(new_warranty.partner_id, self.customer)
        self.assertEqual(new_warranty.warranty_type_id, self.warranty_type)
        self.assertEqual(new_warranty.date_end, self.old_warranty.date_end)
        self.assertGreater(new_warranty.date_end, self.today)
        self.assertEqual(new_warranty.previous_warranty_id, self.old_warranty)

        # Pickup, as desk staff, with the code: the new serial is delivered.
        order.with_user(self.user_center).action_hand_back(order.pickup_code)
        self.assertEqual(order.workshop_state, "replaced")
        self.assertEqual(delivery.state, "done")
        self.assertEqual(delivery.location_dest_id.usage, "customer")
        self.assertFalse(self._unit_quants(new_lot))
        # The new serial left the company's stock: valued out at its cost.
        self.assertTrue(delivery.move_ids.is_out)
        self.assertAlmostEqual(self._stock_value(), value_before - 300.0)
        self.assertEqual(self._customer_qty(new_lot, self.env["res.partner"]), 1)
        # The delivery started no second warranty; the old unit got none.
        self.assertEqual(new_lot.aftersales_warranty_ids, new_warranty)
        self.assertEqual(new_warranty.picking_id, delivery)
        self.assertEqual(self.old_lot.aftersales_warranty_ids, self.old_warranty)

    def test_new_term(self):
        self.company.aftersales_replacement_warranty = "new"
        order = self._at_desk()
        self._replace(order, self.new_lots[1])
        new_warranty = self.new_lots[1].aftersales_warranty_ids
        self.assertEqual(new_warranty.state, "active")
        self.assertEqual(new_warranty.date_start, self.today)
        self.assertEqual(
            new_warranty.date_end, self.warranty_type._get_end_date(self.today)
        )
        self.assertGreater(new_warranty.date_end, self.old_warranty.date_end)
        self.assertEqual(self.old_warranty.state, "void")

    def test_unit_without_warranty_passes_none_on(self):
        self.assertFalse(self.lot.aftersales_warranty_ids)
        order = self._at_desk(self.lot)
        new_lot = self.new_lots[0]
        self._replace(order, new_lot)
        self.assertFalse(new_lot.aftersales_warranty_ids)
        order.with_user(self.user_center).action_hand_back(order.pickup_code)
        self.assertEqual(order.workshop_state, "replaced")
        # Neither the delivery of the new serial nor the old unit's way out
        # of the customer's property started a warranty.
        self.assertFalse(new_lot.aftersales_warranty_ids)
        self.assertFalse(self.lot.aftersales_warranty_ids)
        self.assertEqual(
            self._unit_quants(self.lot),
            {(self.defective, self.env["res.partner"]): 1.0},
        )

    def test_wizard_shows_threshold_and_free_serials(self):
        self.company.aftersales_replacement_repairs = 1
        self._order_in_state(
            "done", service_type_id=self.type_repair.id, lot_id=self.old_lot.id
        )
        order = self._at_desk()
        self.assertTrue(order.replacement_suggested)
        self.assertTrue(
            order.activity_ids.filtered(
                lambda a: (
                    a.activity_type_id
                    == self.env.ref("aftersales.mail_activity_type_replacement")
                )
            )
        )
        action = order.with_user(self.user_dispatcher).action_open_replace_wizard()
        form = Form(
            self.env[action["res_model"]]
            .with_user(self.user_dispatcher)
            .with_context(**action["context"])
        )
        self.assertEqual(form.previous_repair_count, 1)
        self.assertTrue(form.replacement_suggested)
        # Free serials of the product in the company's stock, nothing else.
        self.assertEqual(set(form.available_lot_ids.ids), set(self.new_lots.ids))
        form.lot_id = self.new_lots[0]
        form.save().action_confirm()
        self.assertEqual(order.workshop_outcome, "replaced")
        # The offer was taken: its to-do is done.
        self.assertFalse(order.activity_ids)

    # ------------------------------------------------------------
    # Refusals
    # ------------------------------------------------------------

    def test_technician_may_not_replace(self):
        order = self._at_desk()
        before = self._snapshot(order)
        with self.assertRaises(AccessError):
            order.with_user(self.user_technician).action_replace(self.new_lots[0])
        with self.assertRaises(AccessError):
            order.with_user(self.user_technician).action_open_replace_wizard()
        # Nor may desk staff: replacing is a dispatcher's decision.
        with self.assertRaises(AccessError):
            order.with_user(self.user_center).action_replace(self.new_lots[0])
        self.assertEqual(self._snapshot(order), before)
        self.assertTrue(order._get_unit_quant())

    def test_refused_serials(self):
        order = self._at_desk()
        before = self._snapshot(order)
        dispatcher_order = order.with_user(self.user_dispatcher)
        cases = {
            "another product": self.board_lots[0],
            "not in stock": self.gone_lot,
            "someone's property": self.owned_lot,
            "the unit itself": self.old_lot,
        }
        for case, lot in cases.items():
            with self.subTest(case), self.assertRaises(UserError):
                dispatcher_order.action_replace(lot)
        self.assertEqual(self._snapshot(order), before)
        self.assertTrue(order._get_unit_quant())
        self.assertEqual(self.old_warranty.state, "active")

    def test_serial_with_a_live_warranty_refused(self):
        order = self._at_desk()
        self.env["aftersales.warranty"].create(
            {
                "lot_id": self.new_lots[0].id,
                "partner_id": self.env["res.partner"].create({"name": "Former"}).id,
                "warranty_type_id": self.warranty_type.id,
            }
        )
        with self.assertRaisesRegex(UserError, "still has warranty"):
            order.with_user(self.user_dispatcher).action_replace(self.new_lots[0])
        self.assertFalse(order.replacement_lot_id)

    def test_unit_not_at_the_desk_refused(self):
        # Never received.
        waiting = self._workshop_order(lot_id=self.old_lot.id)
        with self.assertRaises(UserError):
            waiting.with_user(self.user_dispatcher).action_replace(self.new_lots[0])
        self.assertEqual(waiting.workshop_state, "to_receive")
        self.assertFalse(waiting.replacement_lot_id)

        # Already handed back.
        order = self._at_desk(self.lot)
        order.with_user(self.user_technician).action_send_estimate()
        order.with_user(self.user_dispatcher).action_reject_estimate("Too dear")
        order.with_user(self.user_center).action_close_unrepaired()
        order.with_user(self.user_center).action_hand_back(order.pickup_code)
        self.assertEqual(order.workshop_state, "delivered")
        with self.assertRaises(UserError):
            order.with_user(self.user_dispatcher).action_replace(self.new_lots[0])
        self.assertEqual(order.workshop_outcome, "unrepaired")
        self.assertFalse(order.replacement_lot_id)

    def test_unit_missing_from_desk_stock_refused(self):
        order = self._at_desk()
        quant = order._get_unit_quant()
        # The unit left the desk's stock by other means (a stock correction).
        self.env["stock.quant"]._update_available_quantity(
            quant.product_id,
            quant.location_id,
            -1,
            lot_id=quant.lot_id,
            owner_id=quant.owner_id,
        )
        before = self._snapshot(order)
        with self.assertRaisesRegex(UserError, "not in the desk's stock"):
            order.with_user(self.user_dispatcher).action_replace(self.new_lots[0])
        self.assertEqual(self._snapshot(order), before)
        self.assertEqual(self.old_warranty.state, "active")

    def test_replacing_twice_refused(self):
        order = self._at_desk()
        self._replace(order, self.new_lots[0])
        before = self._snapshot(order)
        with self.assertRaises(UserError):
            order.with_user(self.user_dispatcher).action_replace(self.new_lots[1])
        self.assertEqual(self._snapshot(order), before)
        self.assertEqual(order.replacement_lot_id, self.new_lots[0])

    def test_reserved_serial_not_given_twice(self):
        first = self._at_desk()
        self._replace(first, self.new_lots[0])
        second = self._at_desk(self.lot)
        with self.assertRaisesRegex(UserError, "not available"):
            second.with_user(self.user_dispatcher).action_replace(self.new_lots[0])
        self.assertFalse(second.replacement_lot_id)
        self.assertNotIn(self.new_lots[0], second._get_replacement_candidates())

    def test_reservation_undone_before_pickup(self):
        order = self._at_desk()
        self._replace(order, self.new_lots[0])
        # Someone in the warehouse undid the reservation: pickup reserves the
        # serial again and delivers it.
        order.sudo().replacement_picking_id.do_unreserve()
        order.with_user(self.user_center).action_hand_back(order.pickup_code)
        self.assertEqual(order.workshop_state, "replaced")
        self.assertEqual(self._customer_qty(self.new_lots[0]), 1)
        self.assertEqual(order.sudo().replacement_picking_id.state, "done")

    def test_replacement_gone_before_pickup_refused(self):
        order = self._at_desk()
        self._replace(order, self.new_lots[0])
        delivery = order.sudo().replacement_picking_id
        delivery.do_unreserve()
        # The serial was taken from stock in the meantime.
        self.env["stock.quant"]._update_available_quantity(
            self.product, self.stock, -1, lot_id=self.new_lots[0]
        )
        with self.assertRaisesRegex(UserError, "no longer available"):
            order.with_user(self.user_center).action_hand_back(order.pickup_code)
        self.assertEqual(order.workshop_state, "ready")

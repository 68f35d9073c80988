from odoo import Command
from odoo.tests import Form, new_test_user, tagged

from .common import AssignmentCommon


@tagged("post_install", "-at_install")
class TestSale(AssignmentCommon):
    """Work orders born from sales: one per unit, serials at delivery,
    automatic assignment, cancellation."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesperson = new_test_user(
            cls.env, "as_salesperson", groups="sales_team.group_sale_salesman"
        )
        cls.product.product_tmpl_id.aftersales_service_type_id = cls.type_install
        cls.untracked_product = cls.env["product.product"].create(
            {
                "name": "Test Air Conditioner",
                "type": "consu",
                "categ_id": cls.categ_appliance.id,
                "aftersales_service_type_id": cls.type_maintenance.id,
            }
        )
        cls.plain_product = cls.env["product.product"].create(
            {"name": "Cable", "type": "consu"}
        )
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )

    def _sale(self, lines, user=None, **vals):
        sale = (
            self.env["sale.order"]
            .with_user(user or self.env.user)
            .create(
                {
                    "partner_id": self.bursa_customer.id,
                    "order_line": [
                        Command.create(
                            {"product_id": product.id, "product_uom_qty": qty}
                        )
                        for product, qty in lines
                    ],
                    **vals,
                }
            )
        )
        return sale

    def test_one_work_order_per_unit(self):
        sale = self._sale(
            [(self.untracked_product, 3), (self.plain_product, 5)],
            user=self.salesperson,
        )
        # As in a new request: nothing cached for the salesperson.
        self.env.invalidate_all()
        sale.action_confirm()
        orders = sale.order_line.aftersales_order_ids.sudo()
        self.assertEqual(len(orders), 3)
        self.assertEqual(set(orders.mapped("channel")), {"sale"})
        self.assertEqual(orders.sale_line_id.product_id, self.untracked_product)
        self.assertEqual(orders.partner_id, self.bursa_customer)
        self.assertEqual(orders.address_id, sale.partner_shipping_id)
        self.assertEqual(set(orders.mapped("phone")), {"+905321112299"})
        self.assertEqual(orders.service_type_id, self.type_maintenance)
        self.assertEqual(orders.team_id, sale.team_id)
        self.assertEqual(sale.aftersales_order_count, 3)
        action = sale.action_view_aftersales_orders()
        self.assertEqual(self.env["aftersales.order"].search(action["domain"]), orders)

    def test_sale_without_service_products_creates_nothing(self):
        sale = self._sale([(self.plain_product, 2)])
        sale.action_confirm()
        self.assertEqual(sale.aftersales_order_count, 0)

    def test_automatic_assignment_on_confirmation(self):
        sale = self._sale([(self.untracked_product, 2)])
        sale.action_confirm()
        orders = sale.order_line.aftersales_order_ids
        self.assertEqual(set(orders.mapped("state")), {"assigned"})
        # Customer addresses are not geolocated here: load decides, and spreads.
        self.assertEqual(orders.center_id, self.center_near | self.center_far)
        self.assertTrue(
            all(orders.mapped("scheduled_date")), "the next opening is proposed"
        )

    def test_dispatcher_assigns_when_the_company_says_so(self):
        self.company.aftersales_auto_assign = False
        sale = self._sale([(self.untracked_product, 1)])
        sale.action_confirm()
        order = sale.order_line.aftersales_order_ids
        self.assertEqual(order.state, "new")
        self.assertFalse(order.center_id)

    def test_date_requested_from_the_commitment_date(self):
        sale = self._sale(
            [(self.untracked_product, 1)], commitment_date="2030-06-03 10:00:00"
        )
        sale.action_confirm()
        order = sale.order_line.aftersales_order_ids
        self.assertEqual(str(order.date_requested), "2030-06-03 10:00:00")
        self.assertEqual(
            str(order.scheduled_date), "2030-06-03 10:00:00", "always-open center"
        )

    def test_serials_attached_when_the_delivery_is_validated(self):
        stock = self.warehouse.lot_stock_id
        lots = self.env["stock.lot"].create(
            [{"name": f"SN-{n}", "product_id": self.product.id} for n in range(3)]
        )
        for lot in lots:
            self.env["stock.quant"]._update_available_quantity(
                self.product, stock, 1, lot_id=lot
            )
        sale = self._sale([(self.product, 2)])
        sale.action_confirm()
        orders = sale.order_line.aftersales_order_ids
        self.assertEqual(len(orders), 2)
        self.assertFalse(orders.lot_id, "serials are known at delivery")
        picking = sale.picking_ids
        picking.action_assign()
        picking.move_ids.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        delivered = picking.move_line_ids.lot_id
        self.assertEqual(len(delivered), 2)
        self.assertEqual(orders.lot_id, delivered)
        self.assertEqual(
            len(set(orders.mapped("lot_id"))), 2, "one serial per work order"
        )

    def test_cancelling_the_sale_cancels_its_open_work_orders(self):
        sale = self._sale([(self.untracked_product, 3)])
        sale.action_confirm()
        done, started, assigned = sale.order_line.aftersales_order_ids.sorted("id")
        for order in done | started:
            order.action_accept()
            order.technician_id = self.env["aftersales.technician"].create(
                {"name": "Bursa Tech", "center_id": order.center_id.id}
            )
            order.action_start()
        done.action_done()
        sale.with_context(disable_cancel_warning=True).action_cancel()
        self.assertEqual(sale.state, "cancel")
        self.assertEqual(
            (done.state, started.state, assigned.state),
            ("done", "cancelled", "cancelled"),
        )
        self.assertIn(sale.name, assigned.cancel_reason)

    def test_reconfirming_does_not_duplicate(self):
        sale = self._sale([(self.untracked_product, 2)])
        sale.action_confirm()
        sale.order_line._create_aftersales_orders()
        self.assertEqual(sale.aftersales_order_count, 2)

    def test_product_form_offers_the_service_type(self):
        with Form(self.plain_product.product_tmpl_id) as form:
            form.aftersales_service_type_id = self.type_maintenance
        self.assertEqual(
            self.plain_product.aftersales_service_type_id, self.type_maintenance
        )

"""Issue 19: the workshop estimate as a native quotation, as the users who
prepare, answer and invoice it (technician, customer, dispatcher, desk,
accountant), and the refusals."""

from odoo import http
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, HttpCase, new_test_user, tagged

from .common import PIXEL_PNG, WorkshopCommon

SIGNATURE = PIXEL_PNG


class EstimateCommon(WorkshopCommon):
    """Labour priced by the hour (40 per hour), the customer reachable by
    e-mail, an accountant."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.type_workshop.labour_pricing = "time"
        cls.customer.email = "ws.customer@example.com"
        cls.user_accountant = new_test_user(
            cls.env,
            "as_ws_accountant",
            groups="account.group_account_invoice",
            company_id=cls.company.id,
        )

    def _sent_estimate(self, hours=2.0, **vals):
        """A received unit the technician estimated (a belt, ``hours`` of
        labour, the inspection fee) and sent the estimate of."""
        order = self._received_order(**vals)
        self._add_part(order, self.part_belt, user=self.user_technician)
        order.with_user(self.user_technician).write({"estimate_hours": hours})
        order.with_user(self.user_technician).action_send_estimate()
        return order

    def _repair_and_hand_back(self, order):
        if order.workshop_state == "waiting_parts":
            order.with_user(self.user_technician).action_check_parts()
        order.with_user(self.user_technician).action_finish_repair()
        self._qc_check(order, "pass")
        self.assertEqual(order.workshop_state, "ready")
        order.with_user(self.user_center).action_hand_back(order.pickup_code)
        self.assertEqual(order.workshop_state, "delivered")

    def _invoices(self, order):
        return self.env["account.move"].search(
            [("invoice_origin", "=", order.name), ("move_type", "=", "out_invoice")]
        )


@tagged("post_install", "-at_install")
class TestWorkshopEstimate(EstimateCommon):
    def test_technician_prepares_and_sends_the_quotation(self):
        order = self._sent_estimate(hours=2.0)
        sale = order.estimate_sale_id
        self.assertEqual(sale.aftersales_estimate_order_id, order)
        self.assertEqual(sale.partner_id, self.customer)
        self.assertEqual(sale.state, "sent")
        self.assertTrue(sale.require_signature)
        self.assertTrue(sale.access_token)
        self.assertEqual(
            sorted(
                (line.product_id, line.product_uom_qty, line.price_unit)
                for line in sale.order_line
            ),
            sorted(
                [
                    (self.part_belt, 1.0, 15.0),
                    (self.labour, 2.0, 40.0),
                    (self.inspection_fee, 1.0, 25.0),
                ]
            ),
        )
        self.assertAlmostEqual(sale.amount_untaxed, 120.0)
        self.assertAlmostEqual(sale.amount_total, 144.0)
        self.assertAlmostEqual(
            order.with_user(self.user_technician).estimate_amount, 120.0
        )
        # E-mailed with sale's quotation template, to the customer.
        mails = sale.message_ids.filtered(lambda m: self.customer in m.partner_ids)
        self.assertTrue(mails)
        self.assertIn(sale.name, mails[0].subject or "")
        self.assertEqual(order.workshop_state, "estimate_sent")

    def test_technician_may_not_link_another_quotation_nor_change_a_sent_one(self):
        order = self._sent_estimate()
        sale = order.estimate_sale_id
        other = self.env["sale.order"].create({"partner_id": self.customer.id})
        with self.assertRaises(UserError):
            order.with_user(self.user_technician).write({"estimate_sale_id": other.id})
        self.assertEqual(order.estimate_sale_id, sale)
        # Nobody changes the prices the customer was sent, not even a manager.
        with self.assertRaisesRegex(UserError, "new version"):
            sale.order_line[:1].write({"price_unit": 1.0})
        with self.assertRaises(UserError):
            sale.order_line[:1].unlink()
        self.assertAlmostEqual(sale.amount_untaxed, 120.0)
        # The technician has no sales rights on the quotation itself.
        with self.assertRaises(AccessError):
            sale.with_user(self.user_technician).write({"note": "cheaper"})

    def test_technician_estimates_the_hours_on_the_form(self):
        order = self._received_order()
        with Form(order.with_user(self.user_technician)) as form:
            form.estimate_hours = 1.5
        self.assertEqual(order.estimate_hours, 1.5)
        # The customer estimates nothing.
        with self.assertRaises(AccessError):
            order.with_user(self.user_customer).write({"estimate_hours": 0.25})
        self.assertEqual(order.estimate_hours, 1.5)
        order.with_user(self.user_technician).action_send_estimate()
        labour = order.estimate_sale_id.order_line.filtered(
            lambda line: line.product_id == self.labour
        )
        self.assertEqual(labour.product_uom_qty, 1.5)
        # Once sent, the form shows the estimate and no longer edits the hours.
        form = Form(order.with_user(self.user_technician))
        self.assertAlmostEqual(form.estimate_amount, 85.0)
        with self.assertRaises(AssertionError):
            form.estimate_hours = 3.0

    def test_empty_estimate_is_refused(self):
        self.type_workshop.inspection_fee_product_id = False
        order = self._received_order()
        with self.assertRaisesRegex(UserError, "estimate of .* is empty"):
            order.with_user(self.user_technician).action_send_estimate()
        self.assertEqual(order.workshop_state, "awaiting_estimate")
        self.assertFalse(order.estimate_sale_id)
        self.assertFalse(
            self.env["sale.order"].search(
                [("aftersales_estimate_order_id", "=", order.id)]
            )
        )

    def test_covered_items_at_zero_and_nothing_invoiced(self):
        order = self._sent_estimate(lot_id=self.covered_lot.id)
        self.assertTrue(order.parts_covered and order.labour_covered)
        sale = order.estimate_sale_id
        self.assertTrue(sale.order_line)
        self.assertTrue(all(line.price_unit == 0.0 for line in sale.order_line))
        self.assertTrue(
            all("covered by warranty" in line.name for line in sale.order_line),
            sale.order_line.mapped("name"),
        )
        order.with_user(self.user_dispatcher).action_accept_estimate()
        self._repair_and_hand_back(order)
        self.assertFalse(self._invoices(order))
        self.assertEqual(order.invoice_status, "no")

    def test_dispatcher_records_acceptance_once(self):
        order = self._sent_estimate()
        sale = order.estimate_sale_id
        orders_before = self.env["aftersales.order"].search_count([])
        order.with_user(self.user_dispatcher).action_accept_estimate()
        self.assertEqual(sale.state, "sale")
        self.assertEqual(order.state, "in_progress")
        self.assertIn(order.workshop_state, ("repair", "waiting_parts"))
        self.assertEqual(order.approval_ids.mapped("channel"), ["backend"])
        # No delivery of the parts (sale_stock), no work order for the labour.
        self.assertFalse(sale.picking_ids)
        self.assertEqual(self.env["aftersales.order"].search_count([]), orders_before)
        # Accepted twice: refused, nothing recorded, the quotation unchanged.
        with self.assertRaisesRegex(UserError, "must be"):
            order.with_user(self.user_dispatcher).action_accept_estimate()
        self.assertEqual(len(order.approval_ids), 1)
        self.assertEqual(sale.state, "sale")
        # A technician may not record the customer's decision (another unit:
        # the first is still at the desk).
        lot2 = self.env["stock.lot"].create(
            {"name": "TWM-0002", "product_id": self.product.id}
        )
        order2 = self._sent_estimate(lot_id=lot2.id)
        with self.assertRaises(AccessError):
            order2.with_user(self.user_technician).action_accept_estimate()
        self.assertEqual(order2.estimate_sale_id.state, "sent")
        self.assertFalse(order2.approval_ids)

    def test_answer_by_text_confirms_the_quotation(self):
        order = self._sent_estimate()
        # The inbound SMS flow records the reply as superuser.
        order.sudo()._record_customer_decision("approve", "sms", phone="+905551112233")
        self.assertEqual(order.estimate_sale_id.state, "sale")
        self.assertEqual(order.approval_ids.channel, "sms")
        self.assertIn(order.workshop_state, ("repair", "waiting_parts"))
        self.assertFalse(order.estimate_sale_id.picking_ids)

    def test_salesperson_confirming_the_quotation_needs_dispatcher_rights(self):
        order = self._sent_estimate()
        sale = order.estimate_sale_id
        salesman = new_test_user(
            self.env,
            "as_ws_salesman",
            groups="sales_team.group_sale_salesman_all_leads",
        )
        with self.assertRaises(AccessError):
            sale.with_user(salesman).action_confirm()
        self.assertEqual(order.workshop_state, "estimate_sent")
        self.assertFalse(order.approval_ids)
        # A dispatcher who sells confirms it: the backend decision.
        dispatcher_sales = new_test_user(
            self.env,
            "as_ws_dispatcher_sales",
            groups="aftersales.group_dispatcher,sales_team.group_sale_salesman_all_leads",
        )
        sale.with_user(dispatcher_sales).action_confirm()
        self.assertEqual(order.workshop_state, "repair")
        self.assertEqual(order.approval_ids.mapped("channel"), ["backend"])
        self.assertEqual(len(order.approval_ids), 1)

    def test_accountant_reads_the_one_invoice_of_the_estimate(self):
        order = self._sent_estimate()
        sale = order.estimate_sale_id
        order.with_user(self.user_dispatcher).action_accept_estimate()
        # Before pickup, sale's own invoicing finds nothing to invoice.
        with self.assertRaisesRegex(UserError, "No items are available to invoice"):
            sale.with_user(self.user_accountant)._create_invoices()
        self._repair_and_hand_back(order)

        # The accountant has no after-sales rights: the invoice is theirs to
        # read in Accounting, found by its origin (not through the order).
        self.env.invalidate_all()
        invoice = self._invoices(order).with_user(self.user_accountant)
        self.assertEqual(order.invoice_ids, invoice)
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.partner_id, self.customer)
        self.assertAlmostEqual(invoice.amount_total, sale.amount_total)
        self.assertAlmostEqual(invoice.amount_total, 144.0)
        self.assertEqual(invoice.invoice_line_ids.sale_line_ids, sale.order_line)
        self.assertEqual(order.invoice_status, "invoiced")
        sale_acc = sale.with_user(self.user_accountant)
        self.assertEqual(sale_acc.invoice_status, "invoiced")
        self.assertEqual(sale_acc.invoice_ids, invoice)
        # No second invoice: neither from the sale nor from the order.
        with self.assertRaisesRegex(UserError, "No items are available to invoice"):
            sale_acc._create_invoices()
        with self.assertRaisesRegex(UserError, "already invoiced"):
            order.with_user(self.user_dispatcher).action_create_invoices()
        self.assertEqual(self._invoices(order), invoice)

    def test_declined_estimate_invoices_the_inspection_fee(self):
        order = self._sent_estimate()
        sale = order.estimate_sale_id
        order.with_user(self.user_dispatcher).action_reject_estimate("Too dear")
        self.assertEqual(sale.state, "cancel")
        self.assertEqual(order.workshop_state, "cost_rejected")
        self.assertEqual(order.approval_ids.feedback, "Too dear")
        order.with_user(self.user_center).action_close_unrepaired()
        order.with_user(self.user_center).action_hand_back(order.pickup_code)
        self.env.invalidate_all()
        invoice = self._invoices(order).with_user(self.user_accountant)
        self.assertEqual(order.invoice_ids, invoice)
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.invoice_line_ids.product_id, self.inspection_fee)
        self.assertAlmostEqual(invoice.amount_total, 30.0)

    def test_declined_estimate_without_fee_setting_invoices_nothing(self):
        self.company.aftersales_inspection_fee_on_rejection = False
        order = self._sent_estimate()
        order.with_user(self.user_dispatcher).action_reject_estimate("No")
        order.with_user(self.user_center).action_close_unrepaired()
        order.with_user(self.user_center).action_hand_back(order.pickup_code)
        self.assertFalse(self._invoices(order))
        self.assertEqual(order.invoice_status, "no")

    def test_approval_page_shows_the_estimate(self):
        order = self._sent_estimate()
        labels = [label for label, _qty, _price in order._get_approval_page_lines()]
        self.assertEqual(labels, order.estimate_sale_id.order_line.mapped("name"))
        self.assertIn("144", order._get_approval_page_total())


class EstimatePortalCommon(HttpCase, EstimateCommon):
    def _accept(self, sale, token=None, name="Ayşe Customer"):
        url = f"/my/orders/{sale.id}/accept"
        if token:
            url += f"?access_token={token}"
        result = self.make_jsonrpc_request(url, {"name": name, "signature": SIGNATURE})
        # The server wrote through its own environment.
        self.env.invalidate_all()
        return result

    def _decline(self, sale, message, token=None):
        response = self.url_open(
            f"/my/orders/{sale.id}/decline",
            data={
                "csrf_token": http.Request.csrf_token(self),
                "decline_message": message,
                **({"access_token": token} if token else {}),
            },
            allow_redirects=False,
        )
        self.env.invalidate_all()
        return response


@tagged("post_install", "-at_install")
class TestWorkshopEstimatePortal(EstimatePortalCommon):
    def test_customer_accepts_on_the_portal_once(self):
        order = self._sent_estimate()
        sale = order.estimate_sale_id
        self.authenticate("as_ws_customer", "as_ws_customer")
        result = self._accept(sale)
        self.assertNotIn("error", result)
        self.assertEqual(sale.state, "sale")
        self.assertEqual(order.state, "in_progress")
        self.assertIn(order.workshop_state, ("repair", "waiting_parts"))
        approval = order.approval_ids
        self.assertEqual(len(approval), 1)
        self.assertEqual(approval.channel, "portal")
        self.assertEqual(approval.decision, "approved")
        self.assertEqual(approval.user_id, self.user_customer)
        self.assertTrue(approval.ip_address)
        self.assertFalse(sale.picking_ids)
        # Accepted twice: sale refuses, nothing is recorded.
        result = self._accept(sale)
        self.assertIn("error", result)
        self.assertEqual(len(order.approval_ids), 1)

    def test_token_holder_accepts_through_the_link_channel(self):
        order = self._sent_estimate()
        sale = order.estimate_sale_id
        result = self._accept(sale, token=sale.access_token)
        self.assertNotIn("error", result)
        self.assertEqual(order.approval_ids.channel, "link")
        self.assertEqual(order.workshop_state, "repair")

    def test_customer_declines_with_a_reason(self):
        order = self._sent_estimate()
        sale = order.estimate_sale_id
        self.authenticate("as_ws_customer", "as_ws_customer")
        self._decline(sale, "Cheaper to buy a new one")
        self.assertEqual(sale.state, "cancel")
        self.assertEqual(order.workshop_state, "cost_rejected")
        approval = order.approval_ids
        self.assertEqual(approval.channel, "portal")
        self.assertEqual(approval.decision, "rejected")
        self.assertEqual(approval.feedback, "Cheaper to buy a new one")

    def test_estimate_of_an_order_no_longer_waiting_is_refused(self):
        order = self._sent_estimate()
        sale = order.estimate_sale_id
        # The desk replaced the unit meanwhile: the order waits no more.
        new_lot = self.env["stock.lot"].create(
            {"name": "TWM-NEW", "product_id": self.product.id}
        )
        # The replacement waits in the company's own stock.
        self.env["stock.quant"]._update_available_quantity(
            self.product, self.warehouse.lot_stock_id, 1, lot_id=new_lot
        )
        order.with_user(self.user_dispatcher).action_replace(new_lot)
        self.assertNotEqual(order.state, "awaiting_approval")
        # The moot quotation is cancelled, without a decision of the customer.
        self.assertEqual(sale.state, "cancel")
        self.authenticate("as_ws_customer", "as_ws_customer")
        # Sale's portal refuses to sign a cancelled quotation.
        result = self._accept(sale)
        self.assertIn("error", result)
        self.assertEqual(sale.state, "cancel")
        self.assertFalse(order.approval_ids)

    def test_other_portal_user_cannot_accept(self):
        order = self._sent_estimate()
        sale = order.estimate_sale_id
        other = self.env["res.partner"].create({"name": "Someone Else"})
        self._create_portal_user("as_ws_other", other)
        self.authenticate("as_ws_other", "as_ws_other")
        result = self._accept(sale)
        self.assertIn("error", result)
        self.assertEqual(sale.state, "sent")
        self.assertFalse(order.approval_ids)


@tagged("post_install", "-at_install")
class TestWorkshopEstimateTour(EstimatePortalCommon):
    def test_customer_accepts_the_estimate_in_the_browser(self):
        order = self._sent_estimate()
        sale = order.estimate_sale_id
        self.start_tour(
            f"/my/orders/{sale.id}",
            "aftersales_workshop_estimate_tour",
            login="as_ws_customer",
        )
        self.env.invalidate_all()
        self.assertEqual(sale.state, "sale")
        self.assertEqual(sale.signed_by, "Ayse Customer")
        self.assertIn(order.workshop_state, ("repair", "waiting_parts"))
        self.assertEqual(order.state, "in_progress")
        self.assertEqual(order.approval_ids.channel, "portal")
        self.assertEqual(order.approval_ids.decision, "approved")

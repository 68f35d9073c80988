from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import FieldCommon


@tagged("post_install", "-at_install")
class TestInvoicing(FieldCommon):
    """Chargeable parts, labour and travel end in a native customer invoice."""

    def _done_repair(self, lot=None, parts=True, **vals):
        order = self._repair_in_progress(lot=lot, **vals)
        if parts:
            self._add_part(order, self.part_board, lot_id=self.board_lots[0].id)
            self._add_part(order, self.part_belt, quantity=2, coverage="charged")
        order.action_done()
        return order

    def _invoice(self, orders, user=None):
        orders.with_user(user or self.user_dispatcher).action_create_invoices()
        return orders.invoice_ids

    def test_out_of_warranty_work_is_invoiced_with_taxes(self):
        order = self._done_repair()
        self.assertEqual(order.invoice_status, "to_invoice")
        # Board 120 + belts 2 x 15 + labour 40 + travel 10.
        self.assertEqual(order.amount_chargeable, 200.0)
        invoice = self._invoice(order)
        self.assertEqual(invoice.move_type, "out_invoice")
        self.assertEqual(invoice.state, "draft")
        self.assertEqual(invoice.partner_id, self.customer)
        self.assertEqual(invoice.invoice_origin, order.name)
        self.assertEqual(invoice.aftersales_order_ids, order)
        lines = invoice.invoice_line_ids
        self.assertEqual(
            sorted(
                (line.product_id.name, line.quantity, line.price_unit) for line in lines
            ),
            sorted(
                [
                    ("Test Control Board", 1.0, 120.0),
                    ("Test Drive Belt", 2.0, 15.0),
                    ("Test Repair Labour", 1.0, 40.0),
                    ("Test Travel", 1.0, 10.0),
                ]
            ),
        )
        self.assertEqual(lines.tax_ids, self.tax_sale, "the products' taxes")
        self.assertTrue(all(line.account_id.account_type == "income" for line in lines))
        self.assertEqual(lines.aftersales_order_id, order)
        self.assertEqual(invoice.amount_untaxed, 200.0)
        self.assertEqual(invoice.amount_tax, 40.0)
        self.assertEqual(invoice.amount_total, 240.0)
        self.assertEqual(order.invoice_status, "invoiced")
        invoice.action_post()
        self.assertEqual(invoice.state, "posted")

    def test_covered_items_at_zero_or_left_out(self):
        # Parts and labour covered, travel not (the warranty type says so).
        order = self._done_repair(lot=self.covered_lot)
        self.assertEqual(order.amount_chargeable, 30.0 + 10.0, "belts charged + travel")
        invoice = self._invoice(order)
        by_product = {line.product_id: line for line in invoice.invoice_line_ids}
        self.assertEqual(by_product[self.part_board].price_unit, 0.0)
        self.assertIn("(covered)", by_product[self.part_board].name)
        self.assertEqual(by_product[self.labour].price_unit, 0.0)
        self.assertEqual(by_product[self.travel].price_unit, 10.0)
        self.assertEqual(by_product[self.part_belt].price_unit, 15.0)
        self.assertEqual(invoice.amount_untaxed, 40.0)

        self.company.aftersales_invoice_covered = "hide"
        other = self._done_repair(lot=self.covered_lot, parts=False)
        invoice = self._invoice(other)
        self.assertEqual(invoice.invoice_line_ids.product_id, self.travel)

    def test_fully_covered_work_has_nothing_to_invoice(self):
        self.warranty_type.covers_travel = True
        order = self._done_repair(lot=self.covered_lot, parts=False)
        self.assertEqual(order.invoice_status, "no")
        with self.assertRaisesRegex(UserError, "Nothing to invoice"):
            order.with_user(self.user_dispatcher).action_create_invoices()

    def test_labour_by_the_hour(self):
        self.type_repair.write({"labour_pricing": "time", "labour_price": 30.0})
        order = self._repair_in_progress()
        order.visit_ids.write(
            {"date_start": "2026-11-20 08:00:00", "date_end": "2026-11-20 10:20:00"}
        )
        order.action_done()
        invoice = self._invoice(order)
        labour = invoice.invoice_line_ids.filtered(
            lambda line: line.product_id == self.labour
        )
        self.assertEqual((labour.quantity, labour.price_unit), (2.25, 30.0))

    def test_one_invoice_per_customer_when_grouped(self):
        self.company.aftersales_invoice_grouping = "customer"
        first = self._done_repair(parts=False)
        second = self._done_repair(parts=False)
        invoices = self._invoice(first | second)
        self.assertEqual(len(invoices), 1)
        self.assertEqual(invoices.aftersales_order_ids, first | second)
        self.assertEqual(
            invoices.invoice_line_ids.filtered(
                lambda line: line.display_type == "line_section"
            )
            .mapped("name")[0]
            .split(" - ")[0],
            first.name,
        )
        self.assertEqual(invoices.amount_untaxed, 100.0)

        self.company.aftersales_invoice_grouping = "order"
        third = self._done_repair(parts=False)
        fourth = self._done_repair(parts=False)
        self.assertEqual(len(self._invoice(third | fourth)), 2)

    def test_invoice_once_and_only_completed_work(self):
        order = self._done_repair()
        self._invoice(order)
        with self.assertRaisesRegex(UserError, "already invoiced"):
            order.with_user(self.user_dispatcher).action_create_invoices()
        running = self._repair_in_progress()
        with self.assertRaisesRegex(UserError, "not done"):
            running.with_user(self.user_dispatcher).action_create_invoices()

    def test_technicians_and_centers_do_not_invoice(self):
        order = self._done_repair()
        for user in (self.user_technician, self.user_center):
            with self.assertRaises(AccessError):
                order.with_user(user).action_create_invoices()
        self.assertFalse(order.invoice_ids)

    def test_return_after_invoicing_drafts_a_credit_note(self):
        order = self._done_repair()
        invoice = self._invoice(order)
        invoice.action_post()
        order.with_user(self.user_center).action_return("Fault came back, unit swapped")
        refund = order.invoice_ids.filtered(lambda m: m.move_type == "out_refund")
        self.assertEqual(refund.state, "draft")
        self.assertEqual(refund.reversed_entry_id, invoice)
        self.assertEqual(refund.amount_total, invoice.amount_total)
        self.assertIn("Fault came back", refund.ref)

    def test_return_of_one_order_of_a_grouped_invoice(self):
        self.company.aftersales_invoice_grouping = "customer"
        kept, returned = self._done_repair(parts=False), self._done_repair(parts=False)
        invoice = self._invoice(kept | returned)
        invoice.action_post()
        returned.action_return("Unit swapped")
        refund = returned.invoice_ids.filtered(lambda m: m.move_type == "out_refund")
        self.assertEqual(
            refund.amount_untaxed, 50.0, "this order's labour and travel only"
        )
        self.assertEqual(refund.reversed_entry_id, invoice)
        self.assertFalse(
            kept.invoice_ids.filtered(lambda m: m.move_type == "out_refund")
        )

        # Still a draft: the returned order's lines leave it, the rest stays.
        first, second = self._done_repair(parts=False), self._done_repair(parts=False)
        draft = self._invoice(first | second)
        second.action_return("Customer refused")
        self.assertEqual(draft.state, "draft")
        self.assertEqual(draft.amount_untaxed, 50.0)
        self.assertEqual(draft.invoice_line_ids.aftersales_order_id, first)
        self.assertFalse(second.invoice_ids)
        self.assertEqual(second.invoice_status, "no")

    def test_return_cancels_a_draft_invoice(self):
        order = self._done_repair()
        invoice = self._invoice(order)
        order.action_return("Customer refused")
        self.assertEqual(invoice.state, "cancel")
        self.assertFalse(
            order.invoice_ids.filtered(lambda m: m.move_type == "out_refund")
        )

    def test_approval_page_lists_the_charges(self):
        order = self._repair_in_progress(lot=self.covered_lot)
        self._add_part(order, self.part_board, lot_id=self.board_lots[0].id)
        self._add_part(order, self.part_belt, coverage="charged")
        lines = order._get_approval_page_lines()
        labels = [line[0] for line in lines]
        self.assertIn("Test Control Board (CB-1)", labels)
        self.assertEqual(
            dict((line[0], line[2]) for line in lines)["Test Control Board (CB-1)"],
            "Covered",
        )
        self.assertIn(
            "15.00", dict((line[0], line[2]) for line in lines)["Test Drive Belt"]
        )

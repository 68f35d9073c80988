from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import AftersalesCommon


@tagged("post_install", "-at_install")
class TestMultiCompany(AftersalesCommon):
    def test_order_cannot_mix_companies(self):
        with self.assertRaisesRegex(UserError, "no company crossover"):
            self._create_order(center_id=self.center_b.id)
        order = self._create_order(center_id=self.center_a1.id)
        with self.assertRaises(UserError):
            order.technician_id = self.technician_b
        self.assertFalse(order.technician_id)

    def test_company_b_dispatcher_sees_only_company_b(self):
        order_a = self._order_in_state("assigned")
        order_b = self._order_in_state(
            "assigned", center=self.center_b, company_id=self.company_b.id
        )
        Order = self.env["aftersales.order"].with_user(self.user_dispatcher_b)
        self.assertEqual(Order.search([("id", "in", (order_a | order_b).ids)]), order_b)
        with self.assertRaises(AccessError):
            order_a.with_user(self.user_dispatcher_b).read(["name"])
        Center = self.env["aftersales.center"].with_user(self.user_dispatcher_b)
        self.assertEqual(Center.search([]), self.center_b)
        Technician = self.env["aftersales.technician"].with_user(self.user_dispatcher_b)
        self.assertEqual(Technician.search([]), self.technician_b)

    def test_user_of_both_companies_sees_only_active_companies(self):
        user = new_test_user(
            self.env,
            "as_dispatcher_ab",
            groups="aftersales.group_dispatcher",
            company_id=self.company.id,
            company_ids=[Command.set((self.company | self.company_b).ids)],
        )
        order_a = self._order_in_state("assigned")
        order_b = self._order_in_state(
            "assigned", center=self.center_b, company_id=self.company_b.id
        )
        orders = order_a | order_b
        Order = self.env["aftersales.order"].with_user(user)
        self.assertEqual(
            Order.with_company(self.company).search([("id", "in", orders.ids)]), order_a
        )
        both = Order.with_context(
            allowed_company_ids=(self.company | self.company_b).ids
        )
        self.assertEqual(both.search([("id", "in", orders.ids)]), orders)

    def test_order_number_and_type_sharing(self):
        order_b = self._create_order(
            company_id=self.company_b.id, center_id=self.center_b.id
        )
        self.assertEqual(order_b.company_id, self.company_b)
        self.assertTrue(
            order_b.name.startswith("WO/"), "the shared sequence serves every company"
        )
        private_type = self.env["aftersales.service.type"].create(
            {"name": "Company A only", "code": "A-ONLY", "company_id": self.company.id}
        )
        Type = self.env["aftersales.service.type"].with_user(self.user_dispatcher_b)
        self.assertIn(
            self.type_install, Type.search([]), "shared types are visible everywhere"
        )
        self.assertNotIn(private_type, Type.search([]))

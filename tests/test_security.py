from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import AftersalesCommon


@tagged("post_install", "-at_install", "security")
class TestSecurity(AftersalesCommon):
    """Who can read and change what, rung by rung of the group ladder."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # technician_a1 works for center_a1; technician_a2 for center_a2.
        cls.order_mine = cls._order_in_state("accepted")
        cls.order_colleague = cls._order_in_state(
            "accepted", technician=cls.technician_a1_bis
        )
        cls.order_other_center = cls._order_in_state("accepted", center=cls.center_a2)
        cls.order_unassigned = cls._create_order()
        cls.order_company_b = cls._order_in_state(
            "assigned", center=cls.center_b, company_id=cls.company_b.id
        )
        cls.all_orders = (
            cls.order_mine
            | cls.order_colleague
            | cls.order_other_center
            | cls.order_unassigned
            | cls.order_company_b
        )
        # Customer decision on the colleague's order, for approval visibility
        # (a rejection: the order stays in progress).
        cls.order_colleague.action_start()
        cls.approval_colleague = cls.env["aftersales.approval"].create(
            {
                "order_id": cls.order_colleague.id,
                "decision": "rejected",
                "feedback": "Still noisy",
            }
        )

    def _visible_orders(self, user):
        return (
            self.env["aftersales.order"]
            .with_user(user)
            .search([("id", "in", self.all_orders.ids)])
        )

    # Technician

    def test_technician_sees_only_own_orders(self):
        self.assertEqual(self._visible_orders(self.user_technician), self.order_mine)
        for order in (
            self.order_colleague,
            self.order_other_center,
            self.order_unassigned,
        ):
            with self.subTest(order=order.name), self.assertRaises(AccessError):
                order.with_user(self.user_technician).read(["name"])

    def test_technician_changes_only_own_orders(self):
        self.order_mine.with_user(self.user_technician).write(
            {"description": "<p>Noise at spin</p>"}
        )
        with self.assertRaises(AccessError):
            self.order_colleague.with_user(self.user_technician).write(
                {"description": "<p>x</p>"}
            )
        with self.assertRaises(AccessError):
            self.order_colleague.with_user(self.user_technician).action_start()
        self.assertEqual(self.order_colleague.state, "in_progress")

    def test_technician_works_own_order_through_to_done(self):
        order = self.order_mine.with_user(self.user_technician)
        order.action_start_travel()
        order.action_start()
        order.action_done()
        self.assertEqual(self.order_mine.state, "done")

    def test_technician_cannot_create_assign_cancel_or_reject(self):
        with self.assertRaises(AccessError):
            self.env["aftersales.order"].with_user(self.user_technician).create(
                {
                    "partner_id": self.customer.id,
                    "product_id": self.product.id,
                    "service_type_id": self.type_maintenance.id,
                }
            )
        order = self.order_mine.with_user(self.user_technician)
        with self.assertRaisesRegex(AccessError, "not allowed to cancel"):
            order.action_cancel("No")
        with self.assertRaisesRegex(AccessError, "not allowed to reject"):
            order.action_reject("No")
        self.assertEqual(self.order_mine.state, "accepted")

    def test_technician_sees_own_record_and_center_only(self):
        Technician = self.env["aftersales.technician"].with_user(self.user_technician)
        self.assertEqual(Technician.search([]), self.technician_a1)
        with self.assertRaises(AccessError):
            self.technician_a1_bis.with_user(self.user_technician).read(["name"])
        with self.assertRaises(AccessError):
            self.technician_a1.with_user(self.user_technician).write({"role": "master"})
        Center = self.env["aftersales.center"].with_user(self.user_technician)
        self.assertEqual(Center.search([]), self.center_a1)
        with self.assertRaises(AccessError):
            self.center_a2.with_user(self.user_technician).read(["name"])

    def test_technician_sees_decisions_of_own_orders_only(self):
        Approval = self.env["aftersales.approval"]
        self.assertFalse(Approval.with_user(self.user_technician).search([]))
        self.assertEqual(
            Approval.with_user(self.user_center).search([]), self.approval_colleague
        )

    # Center user

    def test_center_user_sees_only_own_center_orders(self):
        self.assertEqual(
            self._visible_orders(self.user_center),
            self.order_mine | self.order_colleague,
        )
        for order in (
            self.order_other_center,
            self.order_unassigned,
            self.order_company_b,
        ):
            with self.subTest(order=order.name), self.assertRaises(AccessError):
                order.with_user(self.user_center).read(["name"])

    def test_center_user_accepts_and_rejects_but_cannot_assign(self):
        order = self._order_in_state("assigned").with_user(self.user_center)
        order.action_accept()
        self.assertEqual(order.state, "accepted")
        order.action_reject("We have no spare parts")
        self.assertEqual(order.sudo().state, "new")
        with self.assertRaises(AccessError, msg="a rejected order leaves the center"):
            order.read(["name"])
        new_order = self._create_order(center_id=self.center_a1.id).with_user(
            self.user_center
        )
        with self.assertRaisesRegex(AccessError, "not allowed to assign"):
            new_order.action_assign()
        with self.assertRaisesRegex(AccessError, "not allowed to cancel"):
            new_order.action_cancel("No")

    def test_center_user_cannot_reject_other_center_order(self):
        with self.assertRaises(AccessError):
            self.order_other_center.with_user(self.user_center).action_reject(
                "Not ours"
            )
        self.assertEqual(self.order_other_center.state, "accepted")

    def test_center_user_manages_own_staff_only(self):
        Technician = self.env["aftersales.technician"].with_user(self.user_center)
        self.assertEqual(
            Technician.search([]), self.technician_a1 | self.technician_a1_bis
        )
        with self.assertRaises(AccessError):
            self.technician_a2.with_user(self.user_center).read(["name"])

        hired = Technician.create(
            {
                "name": "New Hire",
                "center_id": self.center_a1.id,
                "mobile": "05321234567",
            }
        )
        self.assertEqual(hired.resource_id.sudo().name, "New Hire")
        hired.write({"name": "New Hire Renamed", "role": "assistant"})
        self.assertEqual(hired.resource_id.sudo().name, "New Hire Renamed")
        hired.action_archive()
        self.assertFalse(hired.active)

        resources_before = self.env["resource.resource"].search_count([])
        with self.assertRaises(AccessError):
            Technician.create({"name": "Poached", "center_id": self.center_a2.id})
        self.assertEqual(
            self.env["resource.resource"].search_count([]), resources_before
        )
        with self.assertRaises(AccessError):
            self.technician_a2.with_user(self.user_center).write({"name": "Renamed"})
        self.assertEqual(self.technician_a2.name, "Tech A2")

    def test_center_user_cannot_change_centers(self):
        with self.assertRaises(AccessError):
            self.center_a1.with_user(self.user_center).write({"capacity": 99})
        with self.assertRaises(AccessError):
            self.center_a2.with_user(self.user_center).read(["name"])

    # Dispatcher and manager

    def test_dispatcher_sees_all_orders_of_own_company(self):
        self.assertEqual(
            self._visible_orders(self.user_dispatcher),
            self.all_orders - self.order_company_b,
        )
        with self.assertRaises(AccessError):
            self.order_company_b.with_user(self.user_dispatcher).read(["name"])

    def test_dispatcher_assigns_and_cancels(self):
        order = self.order_unassigned.with_user(self.user_dispatcher)
        order.center_id = self.center_a2
        order.action_assign()
        self.assertEqual(order.state, "assigned")
        order.action_cancel("Duplicate request")
        self.assertEqual(order.state, "cancelled")

    def test_dispatcher_cannot_configure_or_delete(self):
        with self.assertRaises(AccessError):
            self.env["aftersales.center"].with_user(self.user_dispatcher).create(
                {"name": "Rogue", "partner_id": self.customer.id}
            )
        with self.assertRaises(AccessError):
            self.type_install.with_user(self.user_dispatcher).write(
                {"approval_required": False}
            )
        with self.assertRaises(AccessError):
            self.order_unassigned.with_user(self.user_dispatcher).unlink()

    def test_manager_configures(self):
        Center = self.env["aftersales.center"].with_user(self.user_manager)
        center = Center.create(
            {"name": "New Center", "partner_id": self.customer.id, "kind": "private"}
        )
        self.assertEqual(center.company_id, self.company)
        self.type_install.with_user(self.user_manager).approval_required = False
        self.order_unassigned.with_user(self.user_manager).unlink()
        self.assertFalse(self.order_unassigned.exists())

    # Workflow fields: only the actions change them

    def test_state_cannot_be_written_directly(self):
        for user in (
            self.user_technician,
            self.user_center,
            self.user_dispatcher,
            self.user_manager,
        ):
            order = self.order_mine.with_user(user)
            for vals in (
                {"state": "done"},
                {"date_done": "2026-11-22 10:00:00"},
                {"cancel_reason": "x"},
                {"rejected_center_ids": [(6, 0, [])]},
            ):
                with (
                    self.subTest(user=user.login, vals=vals),
                    self.assertRaisesRegex(
                        UserError, "change only through its actions"
                    ),
                ):
                    order.write(vals)
        forged = self.order_mine.with_user(self.user_dispatcher).with_context(
            aftersales_workflow=True
        )
        with self.assertRaisesRegex(UserError, "change only through its actions"):
            forged.write({"state": "done"})
        self.assertEqual(self.order_mine.state, "accepted")

    def test_orders_cannot_be_created_in_another_state(self):
        with self.assertRaisesRegex(UserError, "change only through its actions"):
            self.env["aftersales.order"].with_user(self.user_dispatcher).create(
                {
                    "partner_id": self.customer.id,
                    "product_id": self.product.id,
                    "service_type_id": self.type_maintenance.id,
                    "state": "done",
                }
            )

    def test_only_dispatchers_choose_the_center(self):
        for user in (self.user_technician, self.user_center):
            with (
                self.subTest(user=user.login),
                self.assertRaisesRegex(AccessError, "Only dispatchers"),
            ):
                self.order_mine.with_user(user).write({"center_id": self.center_a2.id})
        self.assertEqual(self.order_mine.center_id, self.center_a1)
        self.order_unassigned.with_user(self.user_dispatcher).center_id = self.center_a2
        self.assertEqual(self.order_unassigned.center_id, self.center_a2)

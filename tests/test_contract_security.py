from lxml import etree

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from .test_contract import ContractCommon


@tagged("post_install", "-at_install", "security")
class TestContractSecurity(ContractCommon):
    """Who may create, change and start contracts, who sees which, and who
    sees their price."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user = cls._create_portal_user("as_contract_portal", cls.customer)
        cls.user_accountant = new_test_user(
            cls.env,
            "as_contract_accountant",
            groups="account.group_account_invoice",
            company_id=cls.company.id,
        )
        cls.lot_3 = cls.env["stock.lot"].create(
            {"name": "TWM-0003", "product_id": cls.product.id}
        )
        # Preferred center A1: its staff see it.
        cls.contract_center = cls._running(
            [cls.lot], template_id=cls.template_gold.id, center_id=cls.center_a1.id
        )
        # No preferred center, but an order of A1 by technician A1 under it.
        cls.contract_order = cls._running([cls.lot_2], kind="cmc")
        cls.order = cls._create_order(
            lot_id=cls.lot_2.id,
            center_id=cls.center_a1.id,
            technician_id=cls.technician_a1.id,
            contract_id=cls.contract_order.id,
        )
        # Nothing of A1's: A1 sees it not.
        cls.contract_other = cls._running(
            [cls.lot_3], kind="extended_warranty", center_id=cls.center_a2.id
        )
        cls.lot_4 = cls.env["stock.lot"].create(
            {"name": "TWM-0004", "product_id": cls.product.id}
        )
        cls.contract_draft = cls._contract([cls.lot_4], kind="call_based")
        cls.contract_foreign = cls.Contract.create(
            {"partner_id": cls.other_customer.id, "scope": "customer"}
        )
        cls.contract_foreign.action_start()
        cls.all_a = (
            cls.contract_center
            | cls.contract_order
            | cls.contract_other
            | cls.contract_draft
            | cls.contract_foreign
        )

    def _visible(self, user, model="aftersales.contract", records=None):
        records = records if records is not None else self.all_a
        return self.env[model].with_user(user).search([("id", "in", records.ids)])

    def _new_vals(self):
        return {"partner_id": self.customer.id, "scope": "customer", "kind": "cmc"}

    # ------------------------------------------------------------------
    # Who does what
    # ------------------------------------------------------------------

    def test_dispatcher_creates_edits_starts_cancels(self):
        contract = self.Contract.create(
            {**self._new_vals(), "date_start": "2030-01-01"}
        )
        contract.write({"price": 99.0, "center_id": self.center_a1.id})
        contract.action_start()
        self.assertEqual(contract.state, "running")
        contract.action_cancel("Customer moved abroad")
        self.assertEqual(contract.state, "cancelled")
        self.assertEqual(contract.price, 99.0)
        with self.assertRaises(AccessError):
            contract.unlink()  # managers delete
        contract.with_user(self.user_manager).unlink()
        self.assertFalse(contract.exists())

    def test_center_and_technician_cannot_create_write_or_start(self):
        for user in (self.user_center, self.user_technician):
            Contract = self.env["aftersales.contract"].with_user(user)
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    Contract.create(self._new_vals())
                mine = self.contract_order.with_user(user)
                with self.assertRaises(AccessError):
                    mine.write({"note": "<p>changed</p>"})
                with self.assertRaises(AccessError):
                    mine.action_expire()
                with self.assertRaises(AccessError):
                    self.contract_draft.with_user(user).action_start()
                with self.assertRaises(AccessError):
                    mine.unit_ids.write({"note": "moved"})
                self.assertEqual(self.contract_order.state, "running")
                self.assertEqual(self.contract_draft.state, "draft")

    def test_center_sees_contracts_of_its_work(self):
        self.assertEqual(
            self._visible(self.user_center),
            self.contract_center | self.contract_order,
        )
        # The units and plan lines follow their contracts.
        self.assertEqual(
            self._visible(
                self.user_center, "aftersales.contract.unit", self.all_a.unit_ids
            ),
            (self.contract_center | self.contract_order).unit_ids,
        )
        with self.assertRaises(AccessError):
            self.contract_other.with_user(self.user_center).read(["name"])
        plans = self.env["aftersales.contract.plan"].create(
            [
                {
                    "contract_id": contract.id,
                    "service_type_id": self.type_maintenance.id,
                }
                for contract in (self.contract_center, self.contract_other)
            ]
        )
        self.assertEqual(
            self._visible(self.user_center, "aftersales.contract.plan", plans),
            plans[0],
        )
        self.assertFalse(
            self._visible(self.user_technician, "aftersales.contract.plan", plans)
        )
        self.assertEqual(
            self._visible(self.portal_user, "aftersales.contract.plan", plans), plans
        )

    def test_technician_sees_contracts_of_their_orders(self):
        self.assertEqual(self._visible(self.user_technician), self.contract_order)
        self.assertEqual(
            self._visible(
                self.user_technician, "aftersales.contract.unit", self.all_a.unit_ids
            ),
            self.contract_order.unit_ids,
        )
        self.assertFalse(self._visible(self.user_technician_a2))
        # The technician's order shows its contract.
        self.assertEqual(
            self.order.with_user(self.user_technician).contract_id.name,
            self.contract_order.name,
        )

    def test_price_for_dispatchers_and_accountants_only(self):
        for user in (self.user_center, self.user_technician, self.portal_user):
            with self.subTest(user=user.login):
                contract = self.contract_order.with_user(user)
                with self.assertRaises(AccessError):
                    contract.read(["price"])
                with self.assertRaises(AccessError):
                    _price = contract.price
                self.assertNotIn("price", contract.fields_get())
        self.assertEqual(
            self.contract_center.with_user(self.user_accountant).price, 1200.0
        )

    def test_center_opens_the_form_without_the_price(self):
        Contract = self.env["aftersales.contract"].with_user(self.user_center)
        arch = Contract.get_views([(False, "form"), (False, "list")])["views"]
        for view in ("form", "list"):
            self.assertFalse(
                etree.fromstring(arch[view]["arch"]).xpath("//field[@name='price']"),
                view,
            )
        form = Form(self.contract_center.with_user(self.user_center))
        self.assertEqual(form.partner_id, self.customer)
        self.assertEqual(len(form.unit_ids), 1)

    def test_portal_sees_own_started_contracts_and_cannot_write(self):
        visible = self._visible(self.portal_user)
        self.assertEqual(
            visible,
            self.contract_center | self.contract_order | self.contract_other,
            "not the draft, not the other customer's",
        )
        self.assertEqual(
            self._visible(
                self.portal_user, "aftersales.contract.unit", self.all_a.unit_ids
            ),
            visible.unit_ids,
        )
        with self.assertRaises(AccessError):
            self.contract_draft.with_user(self.portal_user).read(["name"])
        with self.assertRaises(AccessError):
            self.contract_foreign.with_user(self.portal_user).read(["name"])
        with self.assertRaises(AccessError):
            self.contract_center.with_user(self.portal_user).write({"note": "x"})
        with self.assertRaises(AccessError):
            self.env["aftersales.contract"].with_user(self.portal_user).create(
                self._new_vals()
            )

    def test_accountant_reads_all_of_the_company_and_writes_nothing(self):
        self.assertEqual(self._visible(self.user_accountant), self.all_a)
        with self.assertRaises(AccessError):
            self.contract_center.with_user(self.user_accountant).write({"note": "x"})
        with self.assertRaises(AccessError):
            self.contract_draft.with_user(self.user_accountant).action_start()

    # ------------------------------------------------------------------
    # Companies
    # ------------------------------------------------------------------

    def test_company_b_contract_invisible_in_company_a(self):
        contract_b = (
            self.env["aftersales.contract"]
            .with_user(self.user_dispatcher_b)
            .create({"partner_id": self.customer.id, "scope": "customer"})
        )
        self.assertEqual(contract_b.company_id, self.company_b)
        for user in (self.user_dispatcher, self.user_accountant, self.user_manager):
            with self.subTest(user=user.login):
                self.assertFalse(
                    self._visible(user, records=contract_b),
                    "another company's contract",
                )
                with self.assertRaises(AccessError):
                    contract_b.with_user(user).read(["name"])
        self.assertEqual(
            self._visible(self.user_dispatcher_b, records=self.all_a | contract_b),
            contract_b,
        )

    def test_unit_of_another_company_refused(self):
        lot_b = self.env["stock.lot"].create(
            {
                "name": "TWM-B-0001",
                "product_id": self.product.id,
                "company_id": self.company_b.id,
            }
        )
        with self.assertRaisesRegex(UserError, "compan"), self.env.cr.savepoint():
            self._contract([lot_b], kind="cmc", start="2030-01-01", end="2030-12-31")
        center_b = self.center_b
        with self.assertRaisesRegex(UserError, "compan"), self.env.cr.savepoint():
            self.Contract.create(
                {
                    **self._new_vals(),
                    "center_id": center_b.id,
                    "date_start": "2030-01-01",
                }
            )

    # ------------------------------------------------------------------
    # Which contract covers an order, whoever creates it
    # ------------------------------------------------------------------

    def test_find_covering_for_users_who_cannot_read_the_contract(self):
        unit = {
            "key": "k",
            "company_id": self.company.id,
            "partner_id": self.customer.id,
            "product_id": self.product.id,
            "lot_id": self.lot_3.id,
            "address_id": self.customer.id,
            "date": self.contract_other.date_start,
        }
        for user in (self.portal_user, self.user_technician, self.user_center):
            with self.subTest(user=user.login):
                Contract = self.env["aftersales.contract"].with_user(user)
                found = Contract._find_covering([unit])
                self.assertEqual(found["k"].id, self.contract_other.id)

    def test_portal_request_for_a_covered_unit(self):
        """A customer asks for service on a unit their contract covers: the
        order is created (the coverage lookup runs whoever creates it)."""
        Order = self.env["aftersales.order"].with_user(self.portal_user)
        order = Order._portal_create_request(
            self.customer,
            {
                "serial": self.lot_3.name,
                "service_type_id": self.type_maintenance.id,
                "description": "Leaks water",
            },
        )
        self.assertEqual(order.lot_id, self.lot_3)
        found = self.env["aftersales.contract"].with_user(self.portal_user)
        found = found._find_covering(
            [
                {
                    "key": order.id,
                    "company_id": order.company_id.id,
                    "partner_id": order.partner_id.commercial_partner_id.id,
                    "product_id": order.product_id.id,
                    "lot_id": order.lot_id.id,
                    "address_id": order.partner_id.id,
                    "date": self.contract_other.date_start,
                }
            ]
        )
        self.assertEqual(found[order.id].id, self.contract_other.id)

    def test_renewal_link_not_writable(self):
        with self.assertRaisesRegex(UserError, "only through its actions"):
            self.contract_other.write({"previous_contract_id": self.contract_center.id})
        with self.assertRaisesRegex(UserError, "only through its actions"):
            self.contract_center.write(
                {"next_contract_ids": [Command.link(self.contract_other.id)]}
            )


@tagged("post_install", "-at_install", "security")
class TestContractSalesperson(ContractCommon):
    """A salesperson (and nothing else) reads the contracts they sell, with
    their price, and changes none; other salespeople's stay hidden."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_salesman = new_test_user(
            cls.env,
            "as_contract_salesman_only",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
        )
        cls.mine = cls._running(
            [cls.lot], template_id=cls.template_gold.id, user_id=cls.user_salesman.id
        )
        cls.theirs = cls._running([cls.lot_2], kind="cmc")

    def test_reads_own_contracts_with_price(self):
        Contract = self.env["aftersales.contract"].with_user(self.user_salesman)
        self.assertEqual(
            Contract.search([("id", "in", (self.mine | self.theirs).ids)]), self.mine
        )
        self.assertEqual(self.mine.with_user(self.user_salesman).price, 1200.0)
        units = self.env["aftersales.contract.unit"].with_user(self.user_salesman)
        self.assertEqual(
            units.search([("contract_id", "in", (self.mine | self.theirs).ids)]),
            self.mine.unit_ids,
        )

    def test_changes_no_contract(self):
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            self.mine.with_user(self.user_salesman).write({"note": "<p>x</p>"})
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            self.env["aftersales.contract"].with_user(self.user_salesman).create(
                {"partner_id": self.customer.id, "scope": "customer"}
            )
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            self.theirs.with_user(self.user_salesman).read(["name"])

from dateutil.relativedelta import relativedelta

from odoo.tests import tagged
from odoo.tools import convert_file

from odoo.addons.aftersales.models.aftersales_contract_template import (
    CONTRACT_KINDS,
)
from odoo.addons.aftersales.models.aftersales_order.states import ORDER_STATES

from .common import AftersalesCommon


@tagged("post_install", "-at_install")
class TestDemo(AftersalesCommon):
    """The demo data loads on a database without any other demo data and shows
    every part of the app."""

    def _load_demo(self, files=("demo/aftersales_demo.xml",)):
        for path in files:
            convert_file(
                self.env, "aftersales", path, idref={}, mode="init", noupdate=True
            )

    def test_demo_data_loads(self):
        self.company.aftersales_auto_assign = True  # the default, off in the fixtures
        self._load_demo()
        centers = self.env["aftersales.center"].search(
            [("code", "in", ("IST-01", "ANK-01", "IZM-01"))]
        )
        self.assertEqual(len(centers), 3)
        self.assertEqual(len(set(centers.mapped("city"))), 3, "three different cities")
        self.assertEqual(
            centers.filtered(lambda c: c.kind == "private").mapped("code"), ["IZM-01"]
        )
        self.assertTrue(
            all(center.holiday_ids for center in centers), "every center has a holiday"
        )
        technicians = centers.technician_ids
        self.assertEqual(len(technicians), 6)
        self.assertTrue(all(t.mobile.startswith("+90") for t in technicians))
        products = (
            self.env.ref("aftersales.demo_product_washing_machine")
            | self.env.ref("aftersales.demo_product_refrigerator")
            | self.env.ref("aftersales.demo_product_air_conditioner")
            | self.env.ref("aftersales.demo_product_dishwasher")
        )
        self.assertEqual(set(products.mapped("tracking")), {"serial"})
        orders = (
            self.env["aftersales.order"].search([("center_id", "in", centers.ids)])
            | self.env.ref("aftersales.demo_order_1")
            | self.env.ref("aftersales.demo_order_2")
        )
        self.assertGreaterEqual(len(orders), 15)
        self.assertEqual(
            set(orders.mapped("state")), {state for state, _label in ORDER_STATES}
        )
        self.assertEqual(
            self.env.ref("aftersales.demo_order_2").rejected_center_ids.code, "ANK-01"
        )
        engine_orders = self.env.ref("aftersales.demo_order_16") | self.env.ref(
            "aftersales.demo_order_17"
        )
        self.assertEqual(engine_orders.mapped("state"), ["assigned", "assigned"])
        self.assertEqual(
            engine_orders.mapped("center_id.code"),
            ["IST-01", "ANK-01"],
            "by distance, by rule",
        )
        self.assertEqual(
            engine_orders[1].assignment_rule_id,
            self.env.ref("aftersales.demo_rule_climate_ankara"),
        )
        from_sales = (
            self.env.ref("aftersales.demo_sale_ayse")
            | self.env.ref("aftersales.demo_sale_leyla")
        ).order_line.aftersales_order_ids
        self.assertEqual(from_sales.mapped("state"), ["assigned", "new"])
        self.assertTrue(
            from_sales[1].needs_dispatch, "no İzmir center installs dishwashers"
        )
        covered = self.env.ref("aftersales.demo_order_13")
        self.assertTrue(covered.under_warranty)
        self.assertEqual(
            covered.warranty_id, self.env.ref("aftersales.demo_warranty_13")
        )
        self.assertFalse(
            self.env.ref("aftersales.demo_order_15").under_warranty, "expired"
        )
        logins = self.env["res.users"].search(
            [("login", "in", ("dispatcher", "center.istanbul", "tech.ahmet"))]
        )
        self.assertEqual(len(logins), 3)
        repair = self.env.ref("aftersales.demo_order_repair_parts")
        self.assertEqual(repair.state, "done")
        self.assertEqual(repair.part_ids.mapped("state"), ["done", "done"])
        self.assertEqual(
            len(repair.picking_ids), 2, "consumption and defective receipt"
        )
        self.assertEqual(repair.media_ids.media_type, "image")
        self.assertEqual(len(repair.visit_ids), 2)
        invoice = repair.invoice_ids
        self.assertEqual(invoice.state, "draft")
        # Pump 450 + board 1850 + labour 600 + travel for two visits 2 x 150.
        self.assertEqual(invoice.amount_untaxed, 3200.0)
        settlement = repair.settlement_line_ids.settlement_id
        self.assertEqual(settlement.state, "pending")
        self.assertEqual(settlement.center_id, repair.center_id)
        self.assertEqual(
            repair.settlement_line_ids.tariff_id,
            self.env.ref("aftersales.demo_tariff_repair_authorized"),
        )

    def test_demo_has_a_login_for_every_role(self):
        """Issue 16: the demo shows every role with data of its own; its SMS
        go to the local sink (nothing shows as failed)."""
        self._load_demo()
        user = self.env.ref
        customer = user("aftersales.demo_user_customer")
        dealer = user("aftersales.demo_user_dealer")
        accountant = user("aftersales.demo_user_accountant")
        inspector = user("aftersales.demo_user_inspector")
        Order = self.env["aftersales.order"]
        self.assertTrue(customer._is_portal() and dealer._is_portal())
        self.assertTrue(accountant.has_group("account.group_account_invoice"))
        self.assertFalse(accountant.has_group("aftersales.group_technician"))
        self.assertTrue(inspector.has_group("aftersales.group_qc"))
        self.assertFalse(inspector.has_group("aftersales.group_dispatcher"))
        to_check = Order.with_user(inspector).search(
            [
                ("qc_state", "in", ("pending", "failed")),
                ("state", "in", ("in_progress", "awaiting_approval")),
            ]
        )
        self.assertTrue(to_check, "the inspector has work to check")
        # Each portal user sees data of its own through the record rules.
        own = Order.with_user(customer).search([])
        self.assertTrue(own)
        self.assertEqual(own.partner_id, customer.partner_id)
        dealt = Order.with_user(dealer).search([])
        self.assertTrue(dealt)
        self.assertEqual(dealt.dealer_id, user("aftersales.demo_dealer"))
        self.assertTrue(dealer.partner_id.commercial_partner_id.aftersales_is_dealer)
        gateway = user("aftersales.demo_sms_gateway_sink")
        self.assertEqual(self.env.company.aftersales_sms_gateway_id, gateway)
        self.assertTrue(gateway.url.startswith("http://127.0.0.1:"))

    def test_demo_contracts(self):
        """Issue 18: templates and contracts of every kind, with units and
        plans; running ones cover their units, one expired, one draft."""
        self._load_demo(
            ("demo/aftersales_demo.xml", "demo/aftersales_contract_demo.xml")
        )
        ref = self.env.ref
        kinds = {kind for kind, _label in CONTRACT_KINDS}
        templates = self.env["aftersales.contract.template"].search(
            [
                (
                    "name",
                    "in",
                    (
                        "Gold AMC (parts included)",
                        "Labour-only CMC",
                        "Extended Warranty 2 Years",
                        "Call-Based Service",
                    ),
                )
            ]
        )
        self.assertEqual(set(templates.mapped("kind")), kinds)
        contracts = self.env["aftersales.contract"].search(
            [("template_id", "in", templates.ids)]
        )
        for kind in kinds:
            with self.subTest(kind=kind):
                self.assertGreaterEqual(
                    len(contracts.filtered(lambda c, k=kind: c.kind == k)), 2
                )
        self.assertEqual(
            set(contracts.mapped("state")), {"draft", "running", "expired"}
        )
        self.assertEqual(
            ref("aftersales.demo_contract_ew_omer_expired").state, "expired"
        )
        self.assertEqual(ref("aftersales.demo_contract_cmc_omer_draft").state, "draft")
        running = contracts.filtered(lambda c: c.state == "running")
        self.assertTrue(all(c.date_end >= c.date_start for c in contracts))
        self.assertTrue(running.plan_ids, "planned visits")
        extended = ref("aftersales.demo_contract_ew_ali")
        self.assertEqual(
            extended.date_end,
            extended.date_start + relativedelta(years=2, days=-1),
            "two years",
        )
        # Each running contract covers its units.
        Contract = self.env["aftersales.contract"]
        today = ref("aftersales.demo_contract_amc_ayse").date_start
        ayse_lot = ref("aftersales.demo_lot_1")
        mustafa = ref("aftersales.demo_customer_mustafa")
        found = Contract._find_covering(
            [
                {
                    "key": "serial",
                    "company_id": self.env.company.id,
                    "partner_id": ref("aftersales.demo_customer_ayse").id,
                    "product_id": ayse_lot.product_id.id,
                    "lot_id": ayse_lot.id,
                    "address_id": ref("aftersales.demo_customer_ayse").id,
                    "date": today,
                },
                {
                    "key": "site",
                    "company_id": self.env.company.id,
                    "partner_id": mustafa.id,
                    "product_id": ref("aftersales.demo_product_air_conditioner").id,
                    "lot_id": False,
                    "address_id": mustafa.id,
                    "date": ref("aftersales.demo_contract_amc_mustafa").date_end,
                },
            ]
        )
        self.assertEqual(found["serial"], ref("aftersales.demo_contract_amc_ayse"))
        self.assertEqual(found["site"], ref("aftersales.demo_contract_amc_mustafa"))
        # The portal customer (Leyla) sees her started contract.
        customer = ref("aftersales.demo_user_customer")
        self.assertEqual(
            Contract.with_user(customer).search([]),
            ref("aftersales.demo_contract_amc_leyla"),
        )
        # The visits of the coming days are work orders, the invoices due are
        # there, and the contract ending soon has its renewal offer.
        visits = running.order_ids.filtered(lambda o: o.channel == "contract")
        self.assertIn(ref("aftersales.demo_contract_amc_mustafa"), visits.contract_id)
        self.assertGreaterEqual(sum(running.mapped("invoice_count")), 1)
        mustafa_contract = ref("aftersales.demo_contract_amc_mustafa")
        self.assertEqual(mustafa_contract.renewal_state, "offered")
        self.assertEqual(
            mustafa_contract.renewal_order_id.aftersales_contract_id, mustafa_contract
        )

    def test_demo_workshop_desk(self):
        """Issue 19: a service desk with units at each step of the workshop
        flow, moved there by the flow's own actions."""
        self._load_demo(
            ("demo/aftersales_demo.xml", "demo/aftersales_workshop_demo.xml")
        )
        ref = self.env.ref
        desk = ref("aftersales.demo_center_desk")
        self.assertTrue(desk.receives_units)
        workshop = ref("aftersales.demo_service_type_workshop")
        self.assertEqual(workshop.work_place, "workshop")
        self.assertIn(workshop, desk.service_type_ids)
        self.assertTrue(workshop.inspection_fee_product_id)
        self.assertIn(ref("aftersales.demo_user_center_istanbul"), desk.user_ids)
        steps = {
            "to_receive": ("assigned", "to_receive"),
            "awaiting_estimate": ("accepted", "awaiting_estimate"),
            "estimate_sent": ("awaiting_approval", "estimate_sent"),
            # waiting for parts once the stock seam finds parts missing
            "repair": ("in_progress", ("repair", "waiting_parts")),
            "ready": ("done", "ready"),
            "delivered": ("done", "delivered"),
            "replaced": ("done", "ready"),
        }
        for name, (state, workshop_state) in steps.items():
            order = ref(f"aftersales.demo_ws_order_{name}")
            with self.subTest(order=name):
                self.assertEqual(order.center_id, desk)
                self.assertEqual(order.state, state)
                if isinstance(workshop_state, tuple):
                    self.assertIn(order.workshop_state, workshop_state)
                else:
                    self.assertEqual(order.workshop_state, workshop_state)
                self.assertIn(order.stage_id.work_place, ("workshop", "both"))
        received = ref("aftersales.demo_ws_order_awaiting_estimate")
        self.assertEqual(len(received.pickup_code), 6)
        self.assertTrue(received.unit_accessories and received.handed_in_by)
        self.assertFalse(ref("aftersales.demo_ws_order_to_receive").date_received)
        delivered = ref("aftersales.demo_ws_order_delivered")
        self.assertEqual(delivered.picked_up_by, "Hasan Korkmaz")
        self.assertEqual(delivered.workshop_outcome, "repaired")
        replaced = ref("aftersales.demo_ws_order_replaced")
        self.assertEqual(replaced.workshop_outcome, "replaced")
        self.assertEqual(
            replaced.replacement_lot_id, ref("aftersales.demo_ws_lot_replacement")
        )
        # The estimate waits for the portal customer (Leyla).
        sent = ref("aftersales.demo_ws_order_estimate_sent")
        self.assertEqual(
            sent.partner_id, ref("aftersales.demo_user_customer").partner_id
        )
        # The workshop reports have a row per unit of the desk.
        self.env.flush_all()
        rows = self.env["aftersales.workshop.report"].search(
            [("center_id", "=", desk.id)]
        )
        self.assertEqual(len(rows), 7)
        self.assertEqual(rows.filtered("replaced").order_id, replaced)
        self.assertEqual(
            set(rows.mapped("estimate_decision")) - {False}, {"accepted", "none"}
        )

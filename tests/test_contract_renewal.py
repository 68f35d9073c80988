import threading
import uuid
from ast import literal_eval

import psycopg2.errors
from dateutil.relativedelta import relativedelta

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.exceptions import AccessError, UserError
from odoo.sql_db import db_connect
from odoo.tests import BaseCase, HttpCase, new_test_user, tagged
from odoo.tests.common import get_db_name
from odoo.tools.misc import format_date

from .common import PIXEL_PNG
from .test_contract_billing import ContractMoneyCommon


class RenewalCommon(ContractMoneyCommon):
    """A template, a salesperson at center A1, renewals 30 days ahead."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env["aftersales.contract"])
        cls.company.write(
            {
                "aftersales_contract_renewal_days": 30,
                "aftersales_dispatcher_id": cls.user_dispatcher.id,
            }
        )
        # A salesperson and nothing else: reads the contracts they sell.
        cls.user_salesman = new_test_user(
            cls.env,
            "as_contract_salesman",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
        )
        cls.template = cls.env["aftersales.contract.template"].create(
            {
                "name": "Gold AMC",
                "kind": "amc",
                "duration_months": 12,
                "billing_plan": "yearly",
                "price": 1200.0,
                "product_id": cls.contract_product.id,
            }
        )

    def _ending(self, days, **vals):
        """A running contract of the template ending in ``days`` days, with a
        listed serial and a plan line visiting it."""
        date_end = self.today + relativedelta(days=days)
        start = date_end + relativedelta(days=1) - relativedelta(months=12)
        partner = self._customer()
        lot = self.env["stock.lot"].create(
            {"name": f"RN-{partner.id}", "product_id": self.product.id}
        )
        contract = self._contract(
            start=str(start),
            plan="yearly",
            partner_id=partner.id,
            template_id=self.template.id,
            scope="units",
            user_id=self.user_salesman.id,
            unit_ids=[
                Command.create({"lot_id": lot.id, "product_id": self.product.id})
            ],
            **vals,
        )
        self.assertEqual(contract.date_end, date_end)
        contract.plan_ids = [
            Command.create(
                {
                    "service_type_id": self.type_maintenance.id,
                    "interval": 6,
                    "interval_unit": "months",
                    "unit_ids": [Command.set(contract.unit_ids.ids)],
                }
            )
        ]
        return contract

    def _offers(self, contract):
        return self.env["sale.order"].search(
            [("aftersales_contract_id", "in", contract.ids)]
        )


@tagged("post_install", "-at_install")
class TestContractRenewal(RenewalCommon):
    """Renewal offers: drafted before the end, accepted on the portal into
    the next contract, refused or lapsed into expiry; new contracts sold
    from a template quotation."""

    def test_renewal_offer_drafted_once_with_activity_and_mail(self):
        contract = self._ending(20)
        later = self._ending(60)
        # The template's price changed since the contract was sold.
        self.template.price = 1500.0

        self.env["aftersales.contract"]._offer_renewals()
        self.env["aftersales.contract"]._offer_renewals()  # twice: still one

        order = self._offers(contract)
        self.assertEqual(len(order), 1)
        self.assertFalse(self._offers(later), "60 days out: not yet")
        self.assertEqual(
            (contract.renewal_state, contract.renewal_order_id),
            ("offered", order),
        )
        self.assertEqual(
            (order.partner_id, order.user_id, order.state, order.validity_date),
            (contract.partner_id, self.user_salesman, "sent", contract.date_end),
        )
        line = order.order_line
        self.assertEqual(
            (line.product_id, line.product_uom_qty, line.price_unit, line.tax_ids),
            (self.contract_product, 1, 1500.0, self.tax),
        )
        start = contract.date_end + relativedelta(days=1)
        end = start + relativedelta(years=1, days=-1)
        self.assertEqual(
            line.name,
            f"Renewal of contract {contract.name}: "
            f"{format_date(self.env, start, 'en_US', 'd MMM y')} to "
            f"{format_date(self.env, end, 'en_US', 'd MMM y')}",
        )
        activity = order.activity_ids
        self.assertEqual(activity.user_id, self.user_salesman)
        mail = order.message_ids.filtered(
            lambda m: m.subject and contract.name in m.subject
        )
        self.assertEqual(len(mail), 1)
        self.assertIn(contract.partner_id, mail.notified_partner_ids)
        self.assertIn(order.get_portal_url(), mail.body)
        # The customer finds it on the contract's portal page.
        self.assertIn(order.name, [d["name"] for d in contract._get_portal_documents()])

    def test_accept_on_portal_creates_the_next_contract(self):
        contract = self._ending(20)
        action = contract.with_user(self.user_salesman).action_offer_renewal()
        order = contract.renewal_order_id
        self.assertEqual(action["res_id"], order.id)

        portal = self._create_portal_user("as_renewal_portal", contract.partner_id)
        # What sale/controllers/portal.py does once the customer signed.
        order.with_user(portal).sudo()._validate_order()

        self.assertEqual(order.state, "sale")
        self.assertEqual(contract.renewal_state, "accepted")
        self.assertEqual(contract.state, "running", "it runs to its end")
        renewal = contract.next_contract_ids
        self.assertEqual(len(renewal), 1)
        self.assertEqual(
            (
                renewal.state,
                renewal.previous_contract_id,
                renewal.sale_order_id,
                renewal.partner_id,
                renewal.template_id,
                renewal.kind,
                renewal.billing_plan,
                renewal.price,
                renewal.tax_ids,
            ),
            (
                "running",
                contract,
                order,
                contract.partner_id,
                self.template,
                "amc",
                "yearly",
                1200.0,
                self.tax,
            ),
        )
        self.assertEqual(renewal.date_start, contract.date_end + relativedelta(days=1))
        self.assertEqual(
            renewal.date_end,
            renewal.date_start + relativedelta(months=12) - relativedelta(days=1),
        )
        self.assertEqual(renewal.unit_ids.lot_id, contract.unit_ids.lot_id)
        self.assertNotEqual(renewal.unit_ids, contract.unit_ids)
        self.assertEqual(len(renewal.plan_ids), 1)
        self.assertEqual(
            renewal.plan_ids.unit_ids, renewal.unit_ids, "visits its own units"
        )
        # The contract bills the term, not the sale.
        self.assertEqual(order.order_line.qty_to_invoice, 0)
        self.assertEqual(order.invoice_status, "no")
        with self.assertRaisesRegex(UserError, "already renewed"):
            contract.with_user(self.user_salesman).action_offer_renewal()

    def test_refused_or_lapsed_offer_lets_the_contract_expire(self):
        # Declined on the portal: refused, and the contract expires at its end.
        ended = self._ending(-1)
        ended.with_user(self.user_dispatcher).action_offer_renewal()
        order = ended.renewal_order_id
        portal = self._create_portal_user("as_refusal_portal", ended.partner_id)
        order.with_user(portal).sudo()._action_cancel()
        self.assertEqual(ended.renewal_state, "refused")
        self.assertEqual(ended.state, "running")
        self.env["aftersales.contract"]._expire_ended()
        self.assertEqual(ended.state, "expired")
        self.assertFalse(ended.next_contract_ids)

        # Let lapse: the cron cancels the quotation, the contract counts it
        # refused and is not offered again.
        lapsing = self._ending(20)
        self.env["aftersales.contract"]._offer_renewals()
        lapsed_order = lapsing.renewal_order_id
        lapsed_order.validity_date = self.today - relativedelta(days=1)
        self.env["aftersales.contract"]._offer_renewals()
        self.assertEqual(lapsed_order.state, "cancel")
        self.assertEqual(lapsing.renewal_state, "refused")
        self.assertEqual(len(self._offers(lapsing)), 1)
        self.assertIn("lapsed", lapsing.message_ids[0].body)

        # A salesperson may offer again after a refusal.
        lapsing.with_user(self.user_salesman).action_offer_renewal()
        self.assertEqual(lapsing.renewal_state, "offered")
        self.assertEqual(len(self._offers(lapsing)), 2)

    def test_refused_renewals(self):
        contract = self._ending(20)
        cancelled = self._ending(25)
        cancelled.with_user(self.user_dispatcher).action_cancel("Customer moved")
        with self.assertRaisesRegex(UserError, "only a running or expired"):
            cancelled.with_user(self.user_dispatcher).action_offer_renewal()
        self.assertEqual(cancelled.renewal_state, "none")

        for user in (self.user_center, self.user_technician):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                contract.with_user(user).action_offer_renewal()
        self.assertFalse(self._offers(contract | cancelled))

        contract.with_user(self.user_dispatcher).action_offer_renewal()
        with self.assertRaisesRegex(UserError, "already has a renewal offer"):
            contract.with_user(self.user_salesman).action_offer_renewal()
        self.assertEqual(len(self._offers(contract)), 1)

        # Cancelling the contract withdraws its open offer.
        contract.with_user(self.user_dispatcher).action_cancel("Customer moved")
        self.assertEqual(contract.renewal_order_id.state, "cancel")
        self.assertEqual(contract.renewal_state, "refused")

    def test_new_contract_from_template_quotation(self):
        Sale = self.env["sale.order"].with_user(self.user_salesman)
        customer = self._customer()
        order = Sale.create(
            {
                "partner_id": customer.id,
                "aftersales_contract_template_id": self.template.id,
                "order_line": [
                    Command.create(
                        {"product_id": self.contract_product.id, "price_unit": 1800.0}
                    )
                ],
            }
        )
        order.action_confirm()

        contract = order.aftersales_new_contract_ids.with_env(self.env)
        self.assertEqual(len(contract), 1)
        self.assertEqual(
            (
                contract.state,
                contract.partner_id,
                contract.template_id,
                contract.kind,
                contract.price,
                contract.sale_order_id,
                contract.user_id,
            ),
            (
                "draft",
                customer,
                self.template,
                "amc",
                1800.0,
                order,
                self.user_salesman,
            ),
        )
        activity = contract.activity_ids
        self.assertEqual(activity.user_id, self.user_dispatcher)
        self.assertIn("List the units", activity.summary)
        self.assertEqual(order.order_line.qty_to_invoice, 0)
        # Confirming again (e.g. a second hook) creates nothing more.
        order._create_aftersales_contracts()
        self.assertEqual(len(order.aftersales_new_contract_ids), 1)

        # The offer pipeline lists renewal and new-contract quotations only.
        renewing = self._ending(20)
        renewing.with_user(self.user_salesman).action_offer_renewal()
        plain = Sale.create(
            {
                "partner_id": customer.id,
                "order_line": [
                    Command.create({"product_id": self.contract_product.id})
                ],
            }
        )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales.aftersales_contract_offer_action"
        )
        listed = Sale.search(literal_eval(action["domain"]))
        self.assertIn(order, listed)
        self.assertIn(renewing.renewal_order_id, listed)
        self.assertNotIn(plain, listed)
        # An ordinary sale of the product is invoiced as usual.
        plain.action_confirm()
        self.assertEqual(plain.order_line.qty_to_invoice, 1)


@tagged("post_install", "-at_install")
class TestRenewalOnPortal(HttpCase, RenewalCommon):
    def test_customer_signs_and_accepts_the_offer_on_the_portal(self):
        contract = self._ending(20)
        contract.with_user(self.user_dispatcher).action_offer_renewal()
        order = contract.renewal_order_id
        self._create_portal_user("as_renewal_signer", contract.partner_id)
        self.authenticate("as_renewal_signer", "as_renewal_signer")
        result = self.make_jsonrpc_request(
            f"/my/orders/{order.id}/accept",
            {
                "name": "The Customer",
                "signature": PIXEL_PNG,
                "access_token": order._portal_ensure_token(),
            },
        )
        self.assertFalse(result.get("error"), result)
        self.assertEqual(order.state, "sale")
        self.assertEqual(contract.renewal_state, "accepted")
        renewal = contract.next_contract_ids
        self.assertEqual((renewal.state, renewal.sale_order_id), ("running", order))


@tagged("post_install", "-at_install")
class TestConcurrentRenewalOffers(BaseCase):
    """Two workers offer the renewal of the same contract at once, each in
    its own real transaction: one offer is drafted."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dbname = get_db_name()
        tag = uuid.uuid4().hex[:8]
        with db_connect(cls.dbname).cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            partner = env["res.partner"].create({"name": f"Race renewal {tag}"})
            product = env["product.product"].create(
                {"name": f"Race renewal {tag}", "type": "service"}
            )
            today = fields.Date.context_today(env["aftersales.contract"])
            contract = env["aftersales.contract"].create(
                {
                    "partner_id": partner.id,
                    "scope": "customer",
                    "kind": "call_based",
                    "date_start": today - relativedelta(months=11),
                    "date_end": today + relativedelta(days=20),
                    "price": 400.0,
                    "product_id": product.id,
                }
            )
            contract.action_start()
            cls.contract_id = contract.id
            cls.partner_id = partner.id
            cls.product_id = product.id
            cr.commit()  # pylint: disable=invalid-commit
        cls.addClassCleanup(cls._remove_data)

    @classmethod
    def _remove_data(cls):
        with db_connect(cls.dbname).cursor() as cr:
            cr.execute(
                "SELECT id FROM sale_order WHERE aftersales_contract_id = %s",
                [cls.contract_id],
            )
            order_ids = tuple(row[0] for row in cr.fetchall()) or (0,)
            # The offers' activities and messages name them by id only.
            cr.execute(
                "DELETE FROM mail_activity WHERE res_model = 'sale.order'"
                " AND res_id IN %s",
                [order_ids],
            )
            cr.execute(
                "DELETE FROM mail_message WHERE model = 'sale.order' AND res_id IN %s",
                [order_ids],
            )
            cr.execute(
                "UPDATE aftersales_contract SET renewal_order_id = NULL WHERE id = %s",
                [cls.contract_id],
            )
            cr.execute("DELETE FROM sale_order WHERE id IN %s", [order_ids])
            cr.execute(
                "DELETE FROM aftersales_contract WHERE id = %s", [cls.contract_id]
            )
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["product.product"].browse(cls.product_id).unlink()
            env["res.partner"].browse(cls.partner_id).unlink()
            cr.commit()  # pylint: disable=invalid-commit

    def _run_in_parallel(self, offer):
        """Run ``offer(env)`` in two threads and transactions that both read
        their snapshot before either writes; return each one's error."""
        barrier = threading.Barrier(2, timeout=30)
        errors = [None, None]

        def worker(index):
            with db_connect(self.dbname).cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})

                def run():
                    env["aftersales.contract"].browse(self.contract_id).read(
                        ["renewal_state"]
                    )
                    barrier.wait()
                    offer(env)

                try:
                    run()
                    cr.commit()  # pylint: disable=invalid-commit
                except Exception as exc:  # noqa: BLE001 - the refused worker
                    cr.rollback()
                    errors[index] = exc

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        return errors

    def _offers(self):
        with db_connect(self.dbname).cursor() as cr:
            cr.execute(
                "SELECT count(*) FROM sale_order WHERE aftersales_contract_id = %s",
                [self.contract_id],
            )
            return cr.fetchone()[0]

    def test_two_workers_draft_one_offer(self):
        # Without the cron's lock: the open-offer index refuses the second.
        errors = self._run_in_parallel(
            lambda env: (
                env["aftersales.contract"]
                .browse(self.contract_id)
                ._action_offer_renewal()
            )
        )
        self.assertEqual(self._offers(), 1)
        self.assertEqual(sum(1 for error in errors if error), 1, errors)
        self.assertIsInstance(
            next(e for e in errors if e), psycopg2.errors.UniqueViolation
        )

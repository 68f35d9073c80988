import threading
import uuid
from datetime import date

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import AccessError, UserError
from odoo.service.model import retrying
from odoo.sql_db import db_connect
from odoo.tests import BaseCase, new_test_user, tagged
from odoo.tests.common import get_db_name

from .common import AftersalesCommon


class ContractMoneyCommon(AftersalesCommon):
    """A service product with its own income account and an 18% tax, an
    accountant, a salesperson who works at center A1, and contracts made by
    the dispatcher."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_accountant = new_test_user(
            cls.env,
            "as_contract_accountant",
            groups="base.group_user,account.group_account_invoice",
            company_id=cls.company.id,
        )
        cls.income_account = cls.env["account.account"].create(
            {
                "name": "Service Contract Income",
                "code": "700777",
                "account_type": "income",
            }
        )
        cls.tax = cls.env["account.tax"].create(
            {
                "name": "Contract VAT 18%",
                "amount": 18.0,
                "amount_type": "percent",
                "type_tax_use": "sale",
                "company_id": cls.company.id,
            }
        )
        cls.contract_product = cls.env["product.product"].create(
            {
                "name": "Annual Maintenance Contract",
                "type": "service",
                "taxes_id": [Command.set(cls.tax.ids)],
                "property_account_income_id": cls.income_account.id,
            }
        )
        cls.payment_term = cls.env.ref("account.account_payment_term_30days")
        cls.customer.write(
            {
                "email": "customer@example.com",
                "property_payment_term_id": cls.payment_term.id,
            }
        )

    @classmethod
    def _customer(cls):
        return cls.customer.copy(
            {
                "name": f"Customer {uuid.uuid4().hex[:6]}",
                "property_payment_term_id": cls.payment_term.id,
            }
        )

    @classmethod
    def _contract(cls, start="2026-01-01", plan="quarterly", price=1200.0, **vals):
        """A running whole-customer contract made and started by the
        dispatcher, for a customer of its own unless told."""
        vals.setdefault("partner_id", cls._customer().id)
        contract = (
            cls.env["aftersales.contract"]
            .with_user(cls.user_dispatcher)
            .create(
                {
                    "kind": "amc",
                    "scope": "customer",
                    "date_start": start,
                    "billing_plan": plan,
                    "price": price,
                    "product_id": cls.contract_product.id,
                    "center_id": cls.center_a1.id,
                    **vals,
                }
            )
        )
        contract.action_start()
        return contract.with_env(cls.env)


@tagged("post_install", "-at_install")
class TestContractBilling(ContractMoneyCommon):
    def _periods(self, contract):
        return [
            (str(date_from), str(date_to), amount)
            for date_from, date_to, amount in contract._get_billing_periods()
        ]

    def test_periods_and_amounts_per_plan(self):
        # Up front: the whole term at once, the price being per year.
        upfront = self._contract(plan="upfront", date_end="2026-12-31")
        self.assertEqual(self._periods(upfront), [("2026-01-01", "2026-12-31", 1200.0)])
        # A broken last month is prorated by its days: 12 months + January
        # + 14 of February's 29 days (2028 is a leap year).
        upfront_long = self._contract(
            plan="upfront", start="2027-01-01", date_end="2028-02-14"
        )
        self.assertEqual(
            self._periods(upfront_long),
            [("2027-01-01", "2028-02-14", round(1300 + 100 * 14 / 29, 2))],
        )

        monthly = self._contract(plan="monthly", date_end="2026-12-31")
        periods = self._periods(monthly)
        self.assertEqual(len(periods), 12)
        self.assertEqual(periods[0], ("2026-01-01", "2026-01-31", 100.0))
        self.assertEqual(periods[1], ("2026-02-01", "2026-02-28", 100.0))
        self.assertEqual(periods[-1], ("2026-12-01", "2026-12-31", 100.0))

        # Quarterly, cut at 15 May: the second quarter bills 45 of its 91 days.
        quarterly = self._contract(plan="quarterly", date_end="2026-05-15")
        self.assertEqual(
            self._periods(quarterly),
            [
                ("2026-01-01", "2026-03-31", 300.0),
                ("2026-04-01", "2026-05-15", round(300 * 45 / 91, 2)),
            ],
        )

        # Yearly over 18 months: the second year bills 182 of its 366 days.
        yearly = self._contract(
            plan="yearly", start="2027-01-01", date_end="2028-06-30"
        )
        self.assertEqual(
            self._periods(yearly),
            [
                ("2027-01-01", "2027-12-31", 1200.0),
                ("2028-01-01", "2028-06-30", round(1200 * 182 / 366, 2)),
            ],
        )

    def test_invoices_once_per_period_with_taxes_accounts_and_terms(self):
        contract = self._contract(plan="quarterly", date_end="2026-12-31")
        Contract = self.env["aftersales.contract"].with_user(self.user_accountant)

        Contract._invoice_due(date=date(2026, 4, 10))
        Contract._invoice_due(date=date(2026, 4, 10))  # run twice: nothing new
        contract.invalidate_recordset()
        self.assertEqual(len(contract.invoice_ids), 1, "one invoice per run")
        invoice = contract.invoice_ids
        self.assertEqual(
            (invoice.move_type, invoice.state, invoice.partner_id),
            ("out_invoice", "posted", contract.partner_id),
        )
        self.assertEqual(str(invoice.invoice_date), "2026-01-01")
        self.assertEqual(invoice.invoice_payment_term_id, self.payment_term)
        self.assertEqual(invoice.aftersales_contract_id, contract)
        lines = invoice.invoice_line_ids.sorted("id")
        self.assertEqual(
            lines.mapped("name"),
            [
                f"Contract {contract.name} — 1 Jan 2026 to 31 Mar 2026",
                f"Contract {contract.name} — 1 Apr 2026 to 30 Jun 2026",
            ],
        )
        self.assertEqual(lines.product_id, self.contract_product)
        self.assertEqual(lines.account_id, self.income_account)
        self.assertEqual(lines.tax_ids, self.tax)
        self.assertEqual(invoice.amount_untaxed, 600.0)
        self.assertEqual(invoice.amount_tax, 108.0)
        self.assertEqual(
            contract.billing_ids.mapped(lambda b: (str(b.date_from), b.move_id)),
            [("2026-01-01", invoice), ("2026-04-01", invoice)],
        )

        # The next quarter, later: a second invoice, the first ones untouched.
        Contract._invoice_due(date=date(2026, 7, 1))
        contract.invalidate_recordset()
        self.assertEqual(len(contract.invoice_ids), 2)
        self.assertEqual(len(contract.billing_ids), 3)
        self.assertEqual((contract.invoice_ids - invoice).amount_untaxed, 300.0)

        # The button bills what is due today, and says so when nothing is.
        action = contract.with_user(self.user_accountant).action_invoice()
        contract.invalidate_recordset()
        self.assertEqual(len(contract.billing_ids), 4, "today is in the 4th quarter")
        self.assertEqual(action["res_model"], "account.move")
        action = contract.with_user(self.user_accountant).action_invoice()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(len(contract.invoice_ids), 3)
        action = contract.with_user(self.user_accountant).action_view_invoices()
        self.assertEqual(action["domain"], [("id", "in", contract.invoice_ids.ids)])

    def test_invoiced_paid_and_due(self):
        contract = self._contract(plan="upfront", date_end="2026-12-31")
        as_dispatcher = contract.with_user(self.user_dispatcher)
        self.assertEqual(
            (as_dispatcher.invoice_count, as_dispatcher.amount_invoiced), (0, 0.0)
        )
        contract.with_user(self.user_accountant).action_invoice()
        invoice = contract.invoice_ids
        self.assertEqual(invoice.amount_total, 1416.0)

        self.env["account.payment.register"].with_user(
            self.user_accountant
        ).with_context(active_model="account.move", active_ids=invoice.ids).create(
            {"amount": 416.0}
        )._create_payments()
        contract.invalidate_recordset()
        as_dispatcher.invalidate_recordset()
        # Dispatchers read the amounts without reading accounting.
        self.assertEqual(
            (
                as_dispatcher.invoice_count,
                as_dispatcher.amount_invoiced,
                as_dispatcher.amount_paid,
                as_dispatcher.amount_due,
            ),
            (1, 1416.0, 416.0, 1000.0),
        )
        # Its invoices are on the customer's portal page.
        documents = contract._get_portal_documents()
        self.assertIn(invoice.name, [d["name"] for d in documents])
        # A draft invoice is counted, not invoiced.
        invoice.button_draft()
        contract.invalidate_recordset()
        self.assertEqual((contract.invoice_count, contract.amount_invoiced), (1, 0.0))

    def test_only_accountants_invoice(self):
        contract = self._contract(plan="monthly", date_end="2026-12-31")
        for user in (self.user_center, self.user_technician, self.user_dispatcher):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                contract.with_user(user).action_invoice()
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["aftersales.contract"].with_user(user)._invoice_due()
        self.assertFalse(contract.billing_ids)
        self.assertFalse(contract.invoice_ids)

        draft = (
            self.env["aftersales.contract"]
            .with_user(self.user_dispatcher)
            .create(
                {
                    "partner_id": self.customer.id,
                    "scope": "customer",
                    "kind": "cmc",
                    "date_start": "2026-01-01",
                    "price": 100.0,
                    "product_id": self.contract_product.id,
                }
            )
        )
        with self.assertRaisesRegex(UserError, "Only running contracts are billed"):
            draft.with_user(self.user_accountant).action_invoice()
        self.assertFalse(draft.billing_ids)
        # The cron bills running contracts only.
        self.env["aftersales.contract"].with_user(self.user_accountant)._invoice_due(
            date=date(2026, 3, 1)
        )
        self.assertFalse(draft.billing_ids)
        self.assertEqual(len(contract.billing_ids), 3, "January to March")


@tagged("post_install", "-at_install")
class TestConcurrentContractInvoicing(BaseCase):
    """Two workers bill the same contract at the same time, each in its own
    real transaction, retried like a cron: every period is billed once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dbname = get_db_name()
        tag = uuid.uuid4().hex[:8]
        with db_connect(cls.dbname).cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            partner = env["res.partner"].create({"name": f"Race customer {tag}"})
            product = env["product.product"].create(
                {"name": f"Race contract {tag}", "type": "service"}
            )
            contract = env["aftersales.contract"].create(
                {
                    "partner_id": partner.id,
                    "scope": "customer",
                    "kind": "call_based",
                    "date_start": "2026-01-01",
                    "date_end": "2026-12-31",
                    "billing_plan": "quarterly",
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
            # Posted invoices are evidence the ORM keeps; these are the test's.
            cr.execute(
                "DELETE FROM account_move WHERE aftersales_contract_id = %s",
                [cls.contract_id],
            )
            cr.execute(
                "DELETE FROM aftersales_contract WHERE id = %s", [cls.contract_id]
            )
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["product.product"].browse(cls.product_id).unlink()
            env["res.partner"].browse(cls.partner_id).unlink()
            cr.commit()  # pylint: disable=invalid-commit

    def _run_in_parallel(self, bill):
        """Run ``bill(env)`` in two threads and transactions that both read
        their snapshot before either writes. Return each one's attempts."""
        barrier = threading.Barrier(2, timeout=30)
        results = [None, None]

        def worker(index):
            attempts = 0
            with db_connect(self.dbname).cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})

                def run():
                    nonlocal attempts
                    attempts += 1
                    env["aftersales.contract"].browse(self.contract_id).read(["state"])
                    if attempts == 1:
                        barrier.wait()
                    bill(env)

                retrying(run, env)
            results[index] = attempts

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        return results

    def _billed(self):
        with db_connect(self.dbname).cursor() as cr:
            cr.execute(
                "SELECT date_from::text, count(*), count(DISTINCT move_id)"
                " FROM aftersales_contract_billing WHERE contract_id = %s"
                " GROUP BY date_from ORDER BY date_from",
                [self.contract_id],
            )
            periods = cr.fetchall()
            cr.execute(
                "SELECT count(*) FROM account_move WHERE aftersales_contract_id = %s",
                [self.contract_id],
            )
            return periods, cr.fetchone()[0]

    def test_two_workers_bill_each_period_once(self):
        # As the cron's batch does (only this contract: the others in the
        # database are not the test's to bill): lock what is free, bill it.
        # The second worker skips the contract the first holds, or finds it
        # billed when it comes after.
        self._run_in_parallel(
            lambda env: (
                env["aftersales.contract"]
                .browse(self.contract_id)
                .try_lock_for_update()
                ._invoice_periods(date(2026, 4, 1))
            )
        )
        periods, moves = self._billed()
        self.assertEqual(periods, [("2026-01-01", 1, 1), ("2026-04-01", 1, 1)])
        self.assertEqual(moves, 1)

        # Without the lock (two buttons at once): the unique period row
        # refuses the second insert; retried, the worker finds it billed.
        results = self._run_in_parallel(
            lambda env: (
                env["aftersales.contract"]
                .browse(self.contract_id)
                ._invoice_periods(date(2026, 7, 1))
            )
        )
        self.assertEqual(sorted(results), [1, 2], "the later worker was retried")
        periods, moves = self._billed()
        self.assertEqual(
            periods,
            [("2026-01-01", 1, 1), ("2026-04-01", 1, 1), ("2026-07-01", 1, 1)],
        )
        self.assertEqual(moves, 2)


@tagged("post_install", "-at_install")
class TestContractIncome(ContractMoneyCommon):
    def test_income_by_kind_month_customer_and_center(self):
        amc = self._contract(plan="quarterly", date_end="2026-12-31")
        cmc = self._contract(plan="upfront", kind="cmc", date_end="2026-06-30")
        self.env["aftersales.contract"].with_user(self.user_accountant)._invoice_due(
            date=date(2026, 4, 1)
        )
        Income = self.env["aftersales.contract.income.report"].with_user(
            self.user_accountant
        )
        domain = [("contract_id", "in", (amc | cmc).ids)]
        by_kind = dict(Income._read_group(domain, ["kind"], ["amount:sum"]))
        self.assertEqual(by_kind, {"amc": 600.0, "cmc": 600.0}, "before tax")
        by_month = dict(
            Income._read_group(
                domain + [("kind", "=", "amc")], ["date:month"], ["amount:sum"]
            )
        )
        self.assertEqual(list(by_month.values()), [600.0], "invoiced on 1 Jan")
        rows = Income.search(domain + [("kind", "=", "cmc")])
        self.assertEqual(
            (rows.partner_id, rows.center_id), (cmc.partner_id, self.center_a1)
        )
        # A credit note counts negative.
        invoice = cmc.invoice_ids
        self.env["account.move.reversal"].with_user(self.user_accountant).with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"journal_id": invoice.journal_id.id}).refund_moves()
        refund = self.env["account.move"].search(
            [("reversed_entry_id", "=", invoice.id)]
        )
        refund.aftersales_contract_id = cmc
        refund.action_post()
        self.assertEqual(
            sum(Income.search(domain + [("kind", "=", "cmc")]).mapped("amount")), 0.0
        )
        with self.assertRaises(AccessError):
            self.env["aftersales.contract.income.report"].with_user(
                self.user_center
            ).search([])

    def test_views_load_for_each_user(self):
        salesman = new_test_user(
            self.env,
            "as_plain_salesman",
            groups="sales_team.group_sale_salesman",
            company_id=self.company.id,
        )
        for user in (
            self.user_accountant,
            self.user_dispatcher,
            self.user_center,
            self.user_technician,
        ):
            with self.subTest(user=user.login):
                views = (
                    self.env["aftersales.contract"]
                    .with_user(user)
                    .get_views([(False, "form")])
                )
                arch = views["views"]["form"]["arch"]
                self.assertEqual("action_invoice" in arch, user == self.user_accountant)
                self.assertEqual(
                    'name="billing"' in arch,
                    user in (self.user_accountant, self.user_dispatcher),
                )
        # A salesperson outside after-sales opens quotations and the pipeline.
        self.env["sale.order"].with_user(salesman).get_views(
            [(False, "form"), (False, "kanban"), (False, "pivot")]
        )
        self.env["aftersales.contract.income.report"].with_user(
            self.user_accountant
        ).get_views([(False, "pivot"), (False, "graph"), (False, "list")])

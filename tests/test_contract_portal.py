import base64
from datetime import timedelta

from odoo import Command, fields, http
from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import PIXEL_PNG, AftersalesCommon


class ContractPortalCommon(HttpCase, AftersalesCommon):
    """Two customers with portal logins; the first has a running contract
    with a planned visit and a past one, and a draft contract; the second a
    running contract with its own planned visit."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.email = "customer@example.com"
        cls.user_portal = new_test_user(
            cls.env,
            "contract_customer",
            groups="base.group_portal",
            partner_id=cls.customer.id,
        )
        cls.other_customer = cls.env["res.partner"].create(
            {"name": "Other Contract Customer", "email": "other@example.com"}
        )
        cls.user_other = new_test_user(
            cls.env,
            "contract_other",
            groups="base.group_portal",
            partner_id=cls.other_customer.id,
        )
        cls.company.aftersales_dispatcher_id = cls.user_dispatcher
        cls.today = fields.Date.context_today(cls.env.user)
        cls.other_lot = cls.env["stock.lot"].create(
            {"name": "TWM-0002", "product_id": cls.product.id}
        )
        cls.draft_lot = cls.env["stock.lot"].create(
            {"name": "TWM-0003", "product_id": cls.product.id}
        )
        cls.contract = cls._create_contract(cls.customer, cls.lot, price=1200.0)
        cls.contract.name = "TOUR-CONTRACT"
        cls.contract.with_user(cls.user_dispatcher).action_start()
        cls.plan = cls._create_plan(cls.contract)
        cls.visit = cls._planned_visit(cls.contract, cls.plan, days=10)
        cls.visit.name = "TOUR-VISIT"
        cls.past_visit = cls._order_in_state("done", contract_id=cls.contract.id)
        cls.past_visit.name = "PAST-VISIT"

        cls.draft = cls._create_contract(cls.customer, cls.draft_lot)
        cls.draft.name = "DRAFT-CONTRACT"

        cls.other_contract = cls._create_contract(cls.other_customer, cls.other_lot)
        cls.other_contract.name = "OTHER-CONTRACT"
        cls.other_contract.with_user(cls.user_dispatcher).action_start()
        cls.other_plan = cls._create_plan(cls.other_contract)
        cls.other_visit = cls._planned_visit(
            cls.other_contract,
            cls.other_plan,
            days=12,
            partner_id=cls.other_customer.id,
            lot_id=cls.other_lot.id,
        )

    @classmethod
    def _create_contract(cls, partner, lot, **vals):
        """A comprehensive contract of ``partner`` for ``lot``, by a dispatcher."""
        return (
            cls.env["aftersales.contract"]
            .with_user(cls.user_dispatcher)
            .create(
                {
                    "partner_id": partner.id,
                    "kind": "amc",
                    "date_start": cls.today - timedelta(days=30),
                    "date_end": cls.today + timedelta(days=335),
                    "visit_cap": 4,
                    "unit_ids": [Command.create({"lot_id": lot.id})],
                    **vals,
                }
            )
            .with_env(cls.env)
        )

    @classmethod
    def _create_plan(cls, contract):
        return (
            cls.env["aftersales.contract.plan"]
            .with_user(cls.user_dispatcher)
            .create(
                {
                    "contract_id": contract.id,
                    "service_type_id": cls.type_maintenance.id,
                    "name": "Yearly check-up",
                    "interval": 6,
                    "interval_unit": "months",
                }
            )
        )

    @classmethod
    def _planned_visit(cls, contract, plan, days, **vals):
        """A visit ``plan`` set ``days`` from today, as the planning cron would
        (its fields are the planner's: written as superuser)."""
        # No responsible: the company's dispatcher hears of move requests.
        order = cls._create_order(contract_id=contract.id, user_id=False, **vals)
        order.sudo().write(
            {
                "contract_plan_id": plan.id,
                "contract_unit_id": contract.unit_ids[:1].id,
                "planned_date": cls.today + timedelta(days=days),
            }
        )
        return order

    def _post(self, url, data):
        return self.url_open(
            url,
            data={"csrf_token": http.Request.csrf_token(self), **data},
            allow_redirects=False,
        )

    def _sign(self, contract, name, signature, token=None):
        url = f"/my/contracts/{contract.id}/sign"
        if token:
            url += f"?access_token={token}"
        result = self.make_jsonrpc_request(url, {"name": name, "signature": signature})
        # The server wrote through its own environment.
        self.env.invalidate_all()
        return result

    def _move(self, contract, order, date, note="", token=None):
        data = {"date": str(date), "note": note}
        if token:
            data["access_token"] = token
        response = self._post(
            f"/my/contracts/{contract.id}/visits/{order.id}/move", data
        )
        self.env.invalidate_all()
        return response

    def _move_activities(self, order):
        return order.activity_ids.filtered(
            lambda a: (
                a.activity_type_id
                == self.env.ref("aftersales.mail_activity_type_visit_move")
            )
        )


@tagged("post_install", "-at_install")
class TestContractPortalPages(ContractPortalCommon):
    def test_my_contracts_lists_only_my_started_contracts(self):
        self.authenticate("contract_customer", "contract_customer")
        page = self.url_open("/my/contracts")
        self.assertEqual(page.status_code, 200)
        self.assertIn("TOUR-CONTRACT", page.text)
        self.assertNotIn("DRAFT-CONTRACT", page.text)
        self.assertNotIn("OTHER-CONTRACT", page.text)
        home = self.url_open("/my/home")
        self.assertIn("My Service Contracts", home.text)
        counters = self.make_jsonrpc_request(
            "/my/counters", {"counters": ["contract_count"]}
        )
        self.assertEqual(counters["contract_count"], 1)

    def test_the_list_is_sorted_by_end_date_and_paged(self):
        lots = self.env["stock.lot"].create(
            [
                {"name": f"TWM-P{index}", "product_id": self.product.id}
                for index in range(21)
            ]
        )
        contracts = self.env["aftersales.contract"]
        for index, lot in enumerate(lots):
            contract = self._create_contract(
                self.customer, lot, date_end=self.today + timedelta(days=400 + index)
            )
            contract.name = f"PAGED-{index:02d}"
            contracts |= contract
        contracts.with_user(self.user_dispatcher).action_start()
        self.authenticate("contract_customer", "contract_customer")
        first = self.url_open("/my/contracts").text
        self.assertLess(first.index("PAGED-20"), first.index("PAGED-19"))
        self.assertNotIn("TOUR-CONTRACT", first, "ends first: on the second page")
        second = self.url_open("/my/contracts/page/2").text
        self.assertIn("TOUR-CONTRACT", second)
        self.assertIn("PAGED-00", second)

    def test_the_page_shows_terms_coverage_units_and_visits(self):
        self.authenticate("contract_customer", "contract_customer")
        page = self.url_open(f"/my/contracts/{self.contract.id}")
        self.assertEqual(page.status_code, 200)
        text = page.text
        self.assertIn("TOUR-CONTRACT", text)
        self.assertIn("Comprehensive (AMC)", text)
        self.assertIn("1,200.00", text, "the price the portal may not read")
        self.assertIn("Yearly", text, "the billing plan")
        self.assertIn("TWM-0001", text, "the unit")
        self.assertIn("TOUR-VISIT", text, "the planned visit")
        self.assertIn("PAST-VISIT", text, "the past visit")
        self.assertIn("Ask to move this visit", text)
        self.assertIn('data-bs-target="#modal_contract_sign"', text, "to sign")
        self.assertNotIn(self.other_visit.name, text)
        self.assertIn('<a href="/my/contracts">Contracts</a>', text, "breadcrumbs")
        self.assertIn("My Service Contracts", self.url_open("/my").text)

    def test_other_customers_and_drafts_do_not_exist(self):
        self.authenticate("contract_customer", "contract_customer")
        for contract in (self.other_contract, self.draft):
            for suffix in ("", "?report_type=pdf", "?report_type=html"):
                response = self.url_open(f"/my/contracts/{contract.id}{suffix}")
                self.assertEqual(response.status_code, 404, (contract.name, suffix))
                self.assertNotIn(contract.name, response.text)
        self.assertEqual(self.url_open("/my/contracts/999999").status_code, 404)

    def test_the_token_opens_the_contract_without_login(self):
        token = self.contract.sudo()._portal_ensure_token()
        url = f"/my/contracts/{self.contract.id}"
        self.assertEqual(self.url_open(url).status_code, 404, "no token, no login")
        self.assertEqual(self.url_open(f"{url}?access_token=wrong").status_code, 404)
        other_token = self.other_contract.sudo()._portal_ensure_token()
        self.assertEqual(
            self.url_open(f"{url}?access_token={other_token}").status_code,
            404,
            "another contract's token",
        )
        page = self.url_open(f"{url}?access_token={token}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("TOUR-VISIT", page.text)
        self.assertIn(f"access_token={token}", page.text, "the PDF link keeps it")
        report = self.url_open(f"{url}?report_type=html&access_token={token}")
        self.assertEqual(report.status_code, 200)
        self.assertIn("Signature of the customer", report.content.decode())
        draft_token = self.draft.sudo()._portal_ensure_token()
        self.assertEqual(
            self.url_open(
                f"/my/contracts/{self.draft.id}?access_token={draft_token}"
            ).status_code,
            404,
            "a draft is not shown, even by its link",
        )

    def test_staff_read_the_page_but_do_not_act_for_the_customer(self):
        self.authenticate("as_dispatcher", "as_dispatcher")
        page = self.url_open(f"/my/contracts/{self.contract.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("TOUR-VISIT", page.text)
        self.assertNotIn('data-bs-target="#modal_contract_sign"', page.text)
        self.assertNotIn("Ask to move this visit", page.text)
        result = self._sign(self.contract, "Dispatcher", PIXEL_PNG)
        self.assertEqual(result["error"], "Only the customer signs the contract.")
        self.assertFalse(self.contract.signed_on)
        wished = self.today + timedelta(days=20)
        self.assertEqual(self._move(self.contract, self.visit, wished).status_code, 404)
        self.assertFalse(self._move_activities(self.visit))

    def test_the_documents_of_the_seams_are_listed(self):
        html = str(
            self.env["ir.qweb"]._render(
                "aftersales.portal_contract_documents",
                {
                    "contract": self.contract,
                    "documents": [
                        {
                            "name": "INV/2026/0001",
                            "label": "Invoice",
                            "date": self.today,
                            "amount": 100.0,
                            "state": "Paid",
                            "url": "/my/invoices/1",
                        },
                        {"name": "S00042", "label": "Renewal offer", "amount": 0.0},
                    ],
                },
            )
        )
        self.assertIn('href="/my/invoices/1"', html)
        for text in ("INV/2026/0001", "Invoice", "100.00", "Paid", "S00042"):
            self.assertIn(text, html)
        self.assertIn("Renewal offer", html)
        self.assertIn("0.00", html)
        empty = str(
            self.env["ir.qweb"]._render(
                "aftersales.portal_contract_documents",
                {"contract": self.contract, "documents": []},
            )
        )
        self.assertNotIn("Documents", empty)

    def test_wrong_tokens_are_limited_per_address(self):
        url = f"/my/contracts/{self.contract.id}?access_token=wrong"
        statuses = [self.url_open(url).status_code for _attempt in range(21)]
        self.assertEqual(statuses[:20], [404] * 20)
        self.assertEqual(statuses[20], 429)


@tagged("post_install", "-at_install")
class TestContractPdf(ContractPortalCommon):
    # The first PDF of a fresh database compiles the report assets, which
    # takes longer than the default 12 s on a loaded machine (the CI's first
    # run timed out there, and the next request found the server busy).
    PDF_TIMEOUT = 120

    def url_open(self, *args, **kwargs):
        kwargs.setdefault("timeout", self.PDF_TIMEOUT)
        return super().url_open(*args, **kwargs)

    def make_jsonrpc_request(self, *args, **kwargs):
        kwargs.setdefault("timeout", self.PDF_TIMEOUT)
        return super().make_jsonrpc_request(*args, **kwargs)

    def authenticate(self, user, password, **kwargs):
        # Tests get Odoo's HTML fallback for PDFs unless the session forces them.
        session = super().authenticate(user, password, **kwargs)
        if user:
            session.context["force_report_rendering"] = True
            http.root.session_store.save(session)
        return session

    def test_the_customer_downloads_the_contract_pdf(self):
        self.authenticate("contract_customer", "contract_customer")
        url = f"/my/contracts/{self.contract.id}?report_type=pdf&download=true"
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, response.text[:500])
        self.assertEqual(response.headers["Content-Type"], "application/pdf")
        self.assertTrue(response.content.startswith(b"%PDF"))
        self.assertIn("attachment", response.headers["Content-Disposition"])
        self.assertIn("Contract_TOUR_CONTRACT", response.headers["Content-Disposition"])

    def test_the_report_says_what_the_contract_is(self):
        self.authenticate("contract_customer", "contract_customer")
        html = self.url_open(
            f"/my/contracts/{self.contract.id}?report_type=html"
        ).content.decode()
        for text in (
            "Service contract",
            "TOUR-CONTRACT",
            "Comprehensive (AMC)",
            "TWM-0001",
            "Yearly check-up",
            "Every 6 months",
            "09:00 – 12:00",
            "1,200.00",
            "Signature of the customer",
        ):
            self.assertIn(text, html)
        self.assertNotIn("o_aftersales_contract_signature_image", html)

    def test_the_signed_pdf_goes_to_the_chatter(self):
        self.authenticate("contract_customer", "contract_customer")
        result = self._sign(self.contract, "Ayşe Yılmaz", PIXEL_PNG)
        self.assertNotIn("error", result, result)
        attachment = self.contract.message_ids.attachment_ids
        self.assertEqual(len(attachment), 1)
        self.assertEqual(attachment.mimetype, "application/pdf")
        self.assertTrue(base64.b64decode(attachment.datas).startswith(b"%PDF"))
        html = self.url_open(
            f"/my/contracts/{self.contract.id}?report_type=html"
        ).content.decode()
        self.assertIn("o_aftersales_contract_signature_image", html)
        self.assertIn("Ayşe Yılmaz", html)

    def test_the_plan_lines_read_as_sentences(self):
        Plan = self.env["aftersales.contract.plan"].with_user(self.user_dispatcher)
        Plan.create(
            {
                "contract_id": self.contract.id,
                "service_type_id": self.type_install.id,
                "rule_type": "weekdays",
                "mon": True,
                "thu": True,
                "hour_from": 13.5,
                "hour_to": 17.0,
            }
        )
        Plan.create(
            {
                "contract_id": self.contract.id,
                "service_type_id": self.type_maintenance.id,
                "name": "Filter change",
                "rule_type": "monthdays",
                "month_days": "1, 15",
            }
        )
        self.assertEqual(
            self.contract._get_plan_summary(),
            [
                {
                    "service": "Yearly check-up",
                    "when": "Every 6 months",
                    "window": "09:00 – 12:00",
                },
                {
                    "service": "Test Installation",
                    "when": "Mon, Thu",
                    "window": "13:30 – 17:00",
                },
                {
                    "service": "Filter change",
                    "when": "On days 1, 15",
                    "window": "09:00 – 12:00",
                },
            ],
        )

    def test_the_report_prints_from_the_backend(self):
        report = self.env.ref("aftersales.action_report_contract")
        self.assertEqual(report.binding_model_id.model, "aftersales.contract")
        html = (
            self.env["ir.actions.report"]
            .with_user(self.user_dispatcher)
            ._render_qweb_html(report.report_name, self.contract.ids)[0]
            .decode()
        )
        self.assertIn("TOUR-CONTRACT", html)
        self.assertIn("1,200.00", html)
        # A technician of the contract's work (the past visit's) sees its
        # terms, not its price.
        html = (
            self.env["ir.actions.report"]
            .with_user(self.user_technician)
            ._render_qweb_html(report.report_name, self.contract.ids)[0]
            .decode()
        )
        self.assertIn("TOUR-CONTRACT", html)
        self.assertNotIn("1,200.00", html)


@tagged("post_install", "-at_install")
class TestContractSignature(ContractPortalCommon):
    def test_the_customer_signs_once(self):
        self.authenticate("contract_customer", "contract_customer")
        result = self._sign(self.contract, "Ayşe Yılmaz", PIXEL_PNG)
        self.assertNotIn("error", result, result)
        self.assertIn("message=signed", result["redirect_url"])
        self.assertEqual(self.contract.signed_by, "Ayşe Yılmaz")
        self.assertTrue(self.contract.signed_on)
        self.assertTrue(self.contract.signature)
        message = self.contract.message_ids.filtered(
            lambda m: "signed by" in (m.body or "")
        )
        self.assertEqual(len(message), 1)
        self.assertEqual(message.author_id, self.customer)
        self.assertEqual(len(message.attachment_ids), 1)
        self.assertIn("TOUR-CONTRACT", message.attachment_ids.name)
        again = self._sign(self.contract, "Somebody Else", PIXEL_PNG)
        self.assertIn("already signed", again["error"])
        self.contract.invalidate_recordset()
        self.assertEqual(self.contract.signed_by, "Ayşe Yılmaz")
        page = self.url_open(f"/my/contracts/{self.contract.id}?message=signed").text
        self.assertIn("your contract is signed", page)
        self.assertIn("Signed by", page)
        self.assertNotIn('data-bs-target="#modal_contract_sign"', page)

    def test_bad_signatures_change_nothing(self):
        self.authenticate("contract_customer", "contract_customer")
        for name, signature, error in (
            ("", PIXEL_PNG, "Type your name"),
            ("   ", PIXEL_PNG, "Type your name"),
            ("Ayşe", "", "Draw or type your signature"),
            ("Ayşe", "not an image", "not"),
        ):
            result = self._sign(self.contract, name, signature)
            self.assertIn(error, result.get("error", ""), (name, signature))
        self.contract.invalidate_recordset()
        self.assertFalse(self.contract.signed_on)
        self.assertFalse(self.contract.signed_by)
        self.assertFalse(self.contract.signature)

    def test_nobody_signs_another_customers_contract(self):
        self.authenticate("contract_customer", "contract_customer")
        for contract in (self.other_contract, self.draft):
            result = self._sign(contract, "Intruder", PIXEL_PNG)
            self.assertEqual(result["error"], "This contract is not available.")
            self.assertFalse(contract.sudo().signed_on)

    def test_the_link_holder_signs(self):
        self.authenticate(None, None)
        token = self.contract.sudo()._portal_ensure_token()
        self.assertIn("error", self._sign(self.contract, "Anon", PIXEL_PNG, "wrong"))
        result = self._sign(self.contract, "Link Holder", PIXEL_PNG, token)
        self.assertNotIn("error", result, result)
        self.assertIn(f"access_token={token}", result["redirect_url"])
        self.assertEqual(self.contract.sudo().signed_by, "Link Holder")

    def test_only_a_running_contract_is_signed(self):
        self.contract.with_user(self.user_dispatcher).action_expire()
        with self.assertRaisesRegex(UserError, "not running"):
            self.contract.sudo()._action_sign("Ayşe", PIXEL_PNG)

    def test_the_signature_shows_on_the_backend_form(self):
        self.contract.sudo()._action_sign("Ayşe", PIXEL_PNG)
        form = self.contract.with_user(self.user_dispatcher).get_views(
            [(False, "form")]
        )["views"]["form"]["arch"]
        self.assertIn('name="signed_by"', form)
        self.assertEqual(
            self.contract.with_user(self.user_dispatcher).signed_by, "Ayşe"
        )

    def test_the_signature_fields_are_the_workflows(self):
        contract = self.contract.with_user(self.user_dispatcher)
        with self.assertRaisesRegex(UserError, "change only through its actions"):
            contract.write({"signed_by": "Forged"})
        self.assertFalse(self.contract.signed_by)


@tagged("post_install", "-at_install")
class TestContractVisitMove(ContractPortalCommon):
    def test_the_customer_asks_to_move_a_planned_visit(self):
        self.authenticate("contract_customer", "contract_customer")
        wished = self.today + timedelta(days=20)
        response = self._move(
            self.contract, self.visit, wished, "Not home <b>that</b> day"
        )
        self.assertEqual(response.status_code, 303, response.text[:300])
        self.assertIn("message=move_requested", response.headers["Location"])
        activity = self._move_activities(self.visit)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.user_dispatcher)
        self.assertIn("Not home &lt;b&gt;that&lt;/b&gt; day", activity.note)
        message = self.visit.message_ids[:1]
        self.assertEqual(message.author_id, self.customer)
        self.assertIn("asks to move this visit", message.body)
        self.assertNotIn("<b>that</b>", message.body)
        self.assertEqual(
            self.visit.planned_date,
            self.today + timedelta(days=10),
            "the visit moves when the center says so",
        )
        page = self.url_open(
            f"/my/contracts/{self.contract.id}?message=move_requested"
        ).text
        self.assertIn("Your request is sent", page)
        self.assertIn("Move requested", page)
        again = self._move(self.contract, self.visit, wished)
        self.assertEqual(again.status_code, 400)
        self.assertIn("You already asked", again.text)
        self.assertEqual(len(self._move_activities(self.visit)), 1)

    def test_bad_move_requests_change_nothing(self):
        unplanned = self._create_order(contract_id=self.contract.id)
        started = self._order_in_state("in_progress", contract_id=self.contract.id)
        started.sudo().write(
            {
                "contract_plan_id": self.plan.id,
                "contract_unit_id": self.contract.unit_ids.id,
                "planned_date": self.today + timedelta(days=15),
            }
        )
        self.authenticate("contract_customer", "contract_customer")
        in_term = self.today + timedelta(days=20)
        cases = [
            (self.visit, self.today - timedelta(days=1), "after today"),
            (self.visit, self.today, "after today"),
            (self.visit, "not a date", "after today"),
            (self.visit, self.contract.date_end + timedelta(days=1), "within"),
            (self.other_visit, in_term, "not planned by contract"),
            (unplanned, in_term, "not planned by contract"),
            (self.past_visit, in_term, "not planned by contract"),
            (started, in_term, "already under way"),
        ]
        for order, date, error in cases:
            messages = order.sudo().message_ids
            response = self._move(self.contract, order, date)
            self.assertEqual(response.status_code, 400, (order.name, date))
            self.assertIn(error, response.text, (order.name, date))
            self.assertFalse(self._move_activities(order.sudo()), order.name)
            self.assertEqual(order.sudo().message_ids, messages, order.name)
        response = self._move(self.other_contract, self.other_visit, in_term)
        self.assertEqual(response.status_code, 404, "another customer's contract")
        self.assertFalse(self._move_activities(self.other_visit))

    def test_the_visits_of_an_ended_contract_do_not_move(self):
        self.contract.with_user(self.user_dispatcher).action_expire()
        with self.assertRaisesRegex(UserError, "not running"):
            self.contract.sudo()._request_visit_move(
                self.visit.sudo(), self.today + timedelta(days=20), ""
            )
        self.assertFalse(self._move_activities(self.visit))

    def test_past_visits_show_the_newest_first(self):
        older = self._order_in_state("cancelled", contract_id=self.contract.id)
        older.sudo().write(
            {
                "contract_plan_id": self.plan.id,
                "contract_unit_id": self.contract.unit_ids.id,
                "planned_date": self.today - timedelta(days=20),
            }
        )
        planned, past = self.contract._get_portal_visits()
        self.assertEqual(planned, self.visit)
        self.assertEqual(past, older | self.past_visit, "unplanned ones last")
        self.assertEqual(past[0], older)

    def test_the_move_needs_the_csrf_token(self):
        self.authenticate("contract_customer", "contract_customer")
        response = self.url_open(
            f"/my/contracts/{self.contract.id}/visits/{self.visit.id}/move",
            data={"date": str(self.today + timedelta(days=20))},
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self._move_activities(self.visit))

    def test_the_link_holder_asks_to_move(self):
        self.authenticate(None, None)
        token = self.contract.sudo()._portal_ensure_token()
        wished = self.today + timedelta(days=20)
        self.assertEqual(
            self._move(self.contract, self.visit, wished, token="wrong").status_code,
            404,
        )
        response = self._move(self.contract, self.visit, wished, token=token)
        self.assertEqual(response.status_code, 303)
        self.assertIn(f"access_token={token}", response.headers["Location"])
        self.assertEqual(len(self._move_activities(self.visit)), 1)


@tagged("post_install", "-at_install")
class TestContractPortalTour(ContractPortalCommon):
    def test_customer_opens_and_signs_the_contract(self):
        self.start_tour(
            "/my/contracts",
            "aftersales_contract_portal_tour",
            login="contract_customer",
        )
        self.env.invalidate_all()
        self.assertEqual(self.contract.signed_by, "Tour Signer")
        self.assertTrue(self.contract.signature)
        self.assertTrue(base64.b64decode(self.contract.signature))

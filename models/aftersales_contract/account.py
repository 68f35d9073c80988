from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.misc import format_date

from ..aftersales_contract_template import BILLING_MONTHS

# Who bills contracts.
INVOICE_GROUP = "account.group_account_invoice"
# Who sees what a contract billed (the price is theirs too).
AMOUNT_GROUPS = "aftersales.group_dispatcher,account.group_account_invoice"


class AftersalesContract(models.Model):
    """The contract in accounting (depends on ``account``): invoices per
    billing plan, once per period; invoiced, paid and due.

    Billing periods (``_get_billing_periods``), the price being per year:

    - up front: one period, the whole term, billed on the first day;
    - monthly / quarterly / yearly: periods of 1 / 3 / 12 months from the
      start date (each start is ``date_start + n × months``, so a contract
      started on the 31st bills on the last day of shorter months), the last
      one cut at the end date.

    A full period costs ``price × months / 12``. A cut period costs the full
    period's amount × (days billed / days of the full period). The up-front
    amount is the sum of the monthly amounts of the term, so a term of whole
    months costs ``price × months / 12`` and a broken last month is prorated
    by its days. Amounts are rounded to the currency.
    """

    _inherit = "aftersales.contract"

    billing_ids = fields.One2many(
        "aftersales.contract.billing", "contract_id", string="Billing Periods"
    )
    invoice_ids = fields.One2many(
        "account.move",
        "aftersales_contract_id",
        string="Invoices",
        readonly=True,
        groups=INVOICE_GROUP,
    )
    invoice_count = fields.Integer(compute="_compute_amounts", groups=AMOUNT_GROUPS)
    amount_invoiced = fields.Monetary(
        compute="_compute_amounts",
        groups=AMOUNT_GROUPS,
        help="Total of the contract's posted invoices, credit notes deducted.",
    )
    amount_paid = fields.Monetary(compute="_compute_amounts", groups=AMOUNT_GROUPS)
    amount_due = fields.Monetary(
        compute="_compute_amounts",
        groups=AMOUNT_GROUPS,
        help="What the customer still owes on the contract's posted invoices.",
    )

    # ------------------------------------------------------------
    # Compute methods
    # ------------------------------------------------------------

    def _compute_amounts(self):
        # Dispatchers see what a contract billed without reading accounting.
        moves_sudo = self.env["account.move"].sudo()
        totals = defaultdict(lambda: [0, 0.0, 0.0])
        for contract, state, count, total, residual in moves_sudo._read_group(
            [
                ("aftersales_contract_id", "in", self.ids),
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("state", "!=", "cancel"),
            ],
            ["aftersales_contract_id", "state"],
            ["__count", "amount_total_signed:sum", "amount_residual_signed:sum"],
        ):
            row = totals[contract.id]
            row[0] += count
            if state == "posted":
                row[1] += total
                row[2] += residual
        for contract in self:
            count, invoiced, due = totals[contract._origin.id]
            contract.invoice_count = count
            contract.amount_invoiced = invoiced
            contract.amount_due = due
            contract.amount_paid = invoiced - due

    # ------------------------------------------------------------
    # Billing periods
    # ------------------------------------------------------------

    def _get_billing_periods(self):
        """[(date_from, date_to, amount)] of the contract's term by its
        billing plan (see the class docstring for the amounts)."""
        self.ensure_one()
        if self.billing_plan == "upfront":
            amount = sum(amount for _f, _t, amount in self._cut_periods(1))
            return [(self.date_start, self.date_end, self.currency_id.round(amount))]
        return self._cut_periods(BILLING_MONTHS[self.billing_plan])

    def _cut_periods(self, months):
        """Periods of ``months`` months from the start, the last one cut at
        the end date and prorated by days."""
        periods = []
        full_amount = (self.price or 0.0) * months / 12
        index = 0
        while True:
            date_from = self.date_start + relativedelta(months=index * months)
            if date_from > self.date_end:
                return periods
            full_to = (
                self.date_start
                + relativedelta(months=(index + 1) * months)
                - relativedelta(days=1)
            )
            date_to = min(full_to, self.date_end)
            amount = full_amount
            if date_to < full_to:
                amount *= ((date_to - date_from).days + 1) / (
                    (full_to - date_from).days + 1
                )
            periods.append((date_from, date_to, self.currency_id.round(amount)))
            index += 1

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_invoice(self):
        """Bill the contracts' periods started until today now (accountants)."""
        self._ensure_can_invoice()
        locked = self.try_lock_for_update()
        if locked != self:
            raise UserError(
                self.env._(
                    "Contracts %(contracts)s are being billed right now; try again "
                    "in a moment.",
                    contracts=", ".join((self - locked).mapped("name")),
                )
            )
        moves = self._invoice_periods(fields.Date.context_today(self))
        if not moves:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "info",
                    "message": self.env._(
                        "Nothing is due: the periods started until today are billed."
                    ),
                },
            }
        return self._get_invoices_action(moves)

    def action_view_invoices(self):
        """Open the contracts' invoices."""
        return self._get_invoices_action(self.invoice_ids)

    def _get_invoices_action(self, moves):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("id", "in", moves.ids)]
        action["context"] = {"default_move_type": "out_invoice", "create": False}
        if len(moves) == 1:
            action["views"] = [(self.env.ref("account.view_move_form").id, "form")]
            action["res_id"] = moves.id
        return action

    def _ensure_can_invoice(self):
        self.check_access("read")
        if not (self.env.su or self.env.user.has_group(INVOICE_GROUP)):
            raise AccessError(self.env._("Only accountants bill contracts."))
        not_running = self.filtered(lambda c: c.state != "running")
        if not_running:
            raise UserError(
                self.env._(
                    "Only running contracts are billed: %(contracts)s are not.",
                    contracts=", ".join(not_running.mapped("name")),
                )
            )

    # ------------------------------------------------------------
    # Crons
    # ------------------------------------------------------------

    @api.model
    def _cron_invoice(self):
        """Bill the periods due today, committing each batch."""
        self._invoice_due(after_batch=self.env["ir.cron"]._commit_progress)

    @api.model
    def _invoice_due(self, date=None, batch_size=200, after_batch=None):
        """Bill every period of a running contract started on or before
        ``date`` (today) and not billed yet: one invoice per contract, a
        batch of ``batch_size`` contracts at a time, calling
        ``after_batch(count)`` after each (the cron commits there; a false
        answer stops). Safe to run twice at once: a contract another worker
        holds is its to bill, and a period is billed once (unique row)."""
        if not (self.env.su or self.env.user.has_group(INVOICE_GROUP)):
            raise AccessError(self.env._("Only accountants bill contracts."))
        date = date or fields.Date.context_today(self)
        last_id = 0
        moves = self.env["account.move"]
        while True:
            contracts = self.search(
                [
                    ("state", "=", "running"),
                    ("date_start", "<=", date),
                    ("id", ">", last_id),
                ],
                limit=batch_size,
                order="id",
            )
            if not contracts:
                return moves
            last_id = contracts[-1].id
            locked = contracts.try_lock_for_update()
            if locked:
                moves |= locked._invoice_periods(date)
                if after_batch and not after_batch(len(locked)):
                    return moves
            if len(contracts) < batch_size:
                return moves

    # ------------------------------------------------------------
    # Workers
    # ------------------------------------------------------------

    def _invoice_periods(self, date):
        """Insert the billing rows of the periods of ``self`` (locked) due on
        ``date`` — skipping those another transaction inserted — then one
        posted invoice per contract for the rows this call inserted."""
        due = self._get_due_periods(date)
        if not due:
            return self.env["account.move"]
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                "INSERT INTO aftersales_contract_billing (contract_id, company_id, "
                "date_from, date_to, amount, create_uid, create_date, write_uid, "
                "write_date) VALUES %s ON CONFLICT (contract_id, date_from) "
                "DO NOTHING RETURNING id, contract_id",
                SQL(", ").join(
                    SQL(
                        "(%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        contract.id,
                        contract.company_id.id,
                        date_from,
                        date_to,
                        amount,
                        self.env.uid,
                        now,
                        self.env.uid,
                        now,
                    )
                    for contract, date_from, date_to, amount in due
                ),
            )
        )
        billing_ids = defaultdict(list)
        for billing_id, contract_id in self.env.cr.fetchall():
            billing_ids[contract_id].append(billing_id)
        # The contracts' period lists changed behind the ORM's back.
        self.invalidate_recordset(["billing_ids"])
        Billing = self.env["aftersales.contract.billing"]
        moves = self.env["account.move"]
        billed = self.filtered(lambda c: c.id in billing_ids)
        for company in billed.company_id:
            contracts = billed.filtered(
                lambda c, company=company: c.company_id == company
            )
            periods = [
                Billing.browse(billing_ids[contract.id]).sorted("date_from")
                for contract in contracts
            ]
            company_moves = (
                self.env["account.move"]
                .with_company(company)
                .create(
                    [
                        contract._prepare_invoice_vals(contract_periods)
                        for contract, contract_periods in zip(
                            contracts, periods, strict=True
                        )
                    ]
                )
            )
            for move, contract_periods in zip(company_moves, periods, strict=True):
                contract_periods.move_id = move
            moves |= company_moves
        moves.action_post()
        return moves

    def _get_due_periods(self, date):
        """[(contract, date_from, date_to, amount)] started on or before
        ``date`` without a billing row."""
        billed = {
            (billing.contract_id.id, billing.date_from)
            for billing in self.env["aftersales.contract.billing"].search(
                [("contract_id", "in", self.ids)]
            )
        }
        return [
            (contract, date_from, date_to, amount)
            for contract in self
            for date_from, date_to, amount in contract._get_billing_periods()
            if date_from <= date and (contract.id, date_from) not in billed
        ]

    def _prepare_invoice_vals(self, periods):
        """Values of the customer invoice billing ``periods`` (billing rows)
        of the contract (extension hook). The product's income account and
        the partner's payment terms come from the standard computations."""
        self.ensure_one()
        partner = self.partner_id
        contract = self.with_context(lang=partner.lang)
        return {
            "move_type": "out_invoice",
            "company_id": self.company_id.id,
            "partner_id": partner.id,
            "invoice_date": periods[0].date_from,
            "invoice_origin": self.name,
            "invoice_user_id": self.user_id.id,
            "aftersales_contract_id": self.id,
            "invoice_line_ids": [
                Command.create(
                    {
                        "product_id": self.product_id.id,
                        "name": contract._get_invoice_line_name(period),
                        "quantity": 1,
                        "price_unit": period.amount,
                        "tax_ids": [Command.set(self.tax_ids.ids)],
                    }
                )
                for period in periods
            ],
        }

    def _get_invoice_line_name(self, period):
        lang = self.env.context.get("lang")
        return self.env._(
            "Contract %(name)s — %(date_from)s to %(date_to)s",
            name=self.name,
            date_from=format_date(self.env, period.date_from, lang, "d MMM y"),
            date_to=format_date(self.env, period.date_to, lang, "d MMM y"),
        )

    # ------------------------------------------------------------
    # Portal
    # ------------------------------------------------------------

    def _get_portal_documents(self):
        documents = super()._get_portal_documents()
        # The customer sees the posted invoices of a contract they may read.
        moves_sudo = self.sudo().invoice_ids.filtered(lambda m: m.state == "posted")
        states = dict(
            moves_sudo._fields["payment_state"]._description_selection(self.env)
        )
        for move in moves_sudo.sorted("invoice_date"):
            documents.append(
                {
                    "name": move.name,
                    "label": self.env._("Invoice"),
                    "date": move.invoice_date,
                    "amount": move.amount_total,
                    "state": states.get(move.payment_state),
                    "url": move.get_portal_url(),
                }
            )
        return documents

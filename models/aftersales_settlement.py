from collections import defaultdict
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain
from odoo.tools import SQL

from ..tools.sequence import number_new_records
from .aftersales_order.states import STOPPED_STATES

# Fields only the settlement's actions change.
SETTLEMENT_WORKFLOW_FIELDS = {
    "state",
    "move_id",
    "date_approved",
    "approved_by_id",
    "reopen_reason",
}
PAID_STATES = ("paid", "in_payment")


def period_start(date, period):
    if period == "week":
        return date - timedelta(days=date.weekday())
    return date.replace(day=1)


def period_end(start, period):
    if period == "week":
        return start + timedelta(days=6)
    return start + relativedelta(months=1, days=-1)


class AftersalesSettlement(models.Model):
    _name = "aftersales.settlement"
    _description = "Service Center Settlement"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_from desc, center_id, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, readonly=True, copy=False, default="/")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True
    )
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    center_id = fields.Many2one(
        "aftersales.center",
        string="Service Center",
        required=True,
        index=True,
        readonly=True,
        check_company=True,
    )
    partner_id = fields.Many2one(related="center_id.partner_id", string="Payee")
    date_from = fields.Date(string="From", required=True, index=True, readonly=True)
    date_to = fields.Date(string="To", required=True, readonly=True)
    state = fields.Selection(
        [("pending", "Pending"), ("approved", "Approved"), ("paid", "Paid")],
        compute="_compute_state",
        store=True,
        readonly=True,
        index=True,
        tracking=True,
        copy=False,
        help="* Pending: lines are added as work is completed.\n"
        "* Approved: an accountant approved it; its vendor bill is posted.\n"
        "* Paid: the vendor bill is paid.",
    )
    line_ids = fields.One2many(
        "aftersales.settlement.line", "settlement_id", string="Settled Work Orders"
    )
    line_count = fields.Integer(compute="_compute_totals", store=True)
    amount_total = fields.Monetary(
        string="Total", compute="_compute_totals", store=True, tracking=True
    )

    # Payment
    move_id = fields.Many2one(
        "account.move", string="Vendor Bill", readonly=True, copy=False, index=True
    )
    payment_state = fields.Selection(
        related="move_id.payment_state", string="Payment Status"
    )
    amount_residual = fields.Monetary(
        related="move_id.amount_residual", string="Amount Due"
    )
    date_approved = fields.Datetime(readonly=True, copy=False)
    approved_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    reopen_reason = fields.Text(
        string="Reason for Reopening", readonly=True, copy=False, tracking=True
    )
    can_be_approved = fields.Boolean(compute="_compute_can_be")
    can_be_reopened = fields.Boolean(compute="_compute_can_be")

    # One open settlement per center and period. Lines completed in a period
    # already approved go to a new settlement of the current period (see
    # _get_open_settlements), so an approved period may have a later one.
    _center_period_uniq = models.UniqueIndex(
        "(center_id, date_from) WHERE state = 'pending'",
        "A center has one pending settlement per period.",
    )

    # ------------------------------------------------------------
    # Compute methods
    # ------------------------------------------------------------

    @api.depends("move_id.payment_state")
    def _compute_state(self):
        for settlement in self:
            paid = settlement.move_id.payment_state in PAID_STATES
            if not settlement.state:
                settlement.state = "pending"
            elif settlement.state == "approved" and paid:
                settlement.state = "paid"
            elif settlement.state == "paid" and not paid:
                settlement.state = "approved"

    @api.depends("line_ids.amount")
    def _compute_totals(self):
        totals = {
            settlement: (count, amount)
            for settlement, count, amount in self.env[
                "aftersales.settlement.line"
            ]._read_group(
                [("settlement_id", "in", self.ids)],
                ["settlement_id"],
                ["__count", "amount:sum"],
            )
        }
        for settlement in self:
            count, amount = totals.get(settlement, (0, 0.0))
            settlement.line_count = count
            settlement.amount_total = amount

    @api.depends("state")
    @api.depends_context("uid")
    def _compute_can_be(self):
        accountant = self._user_is_accountant()
        for settlement in self:
            settlement.can_be_approved = accountant and settlement.state == "pending"
            settlement.can_be_reopened = accountant and settlement.state == "approved"

    # ------------------------------------------------------------
    # Overrides
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        number_new_records(
            self, vals_list, "name", "aftersales.settlement", placeholder="/"
        )
        return super().create(vals_list)

    def write(self, vals):
        if SETTLEMENT_WORKFLOW_FIELDS.intersection(vals) and not self.env.su:
            raise UserError(
                self.env._("A settlement changes state only through its buttons.")
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_lines(self):
        if any(settlement.line_ids for settlement in self):
            raise UserError(self.env._("Settlements with lines are kept."))

    # ------------------------------------------------------------
    # Guards
    # ------------------------------------------------------------

    @api.model
    def _user_is_accountant(self):
        return self.env.su or self.env.user.has_group("account.group_account_invoice")

    def _ensure_accountant(self, action):
        if not self._user_is_accountant():
            raise AccessError(
                self.env._("Only accountants %(action)s settlements.", action=action)
            )

    def _ensure_can_be_approved(self):
        self._ensure_accountant(self.env._("approve"))
        not_pending = self.filtered(lambda s: s.state != "pending")
        if not_pending:
            raise UserError(
                self.env._(
                    "Only pending settlements are approved: %(names)s is not.",
                    names=", ".join(not_pending.mapped("name")),
                )
            )
        empty = self.filtered(lambda s: not s.line_ids)
        if empty:
            raise UserError(
                self.env._(
                    "%(names)s has no work to pay.",
                    names=", ".join(empty.mapped("name")),
                )
            )
        for company in self.company_id:
            if not company.aftersales_settlement_product_id:
                raise UserError(
                    self.env._(
                        "Choose the product of service center bills in the "
                        "After-Sales settings of %(company)s first.",
                        company=company.name,
                    )
                )

    def _ensure_can_be_reopened(self):
        self._ensure_accountant(self.env._("reopen"))
        not_approved = self.filtered(lambda s: s.state != "approved")
        if not_approved:
            raise UserError(
                self.env._(
                    "Only approved, unpaid settlements can be reopened: %(names)s "
                    "is %(state)s.",
                    names=", ".join(not_approved.mapped("name")),
                    state=not_approved[0].state,
                )
            )
        later = self.search(
            Domain.OR(
                [
                    ("center_id", "=", settlement.center_id.id),
                    ("date_from", "=", settlement.date_from),
                    ("state", "=", "pending"),
                ]
                for settlement in self
            )
        )
        if later:
            raise UserError(
                self.env._(
                    "%(names)s of the same center and period is still pending: "
                    "approve it before reopening this one.",
                    names=", ".join(later.mapped("name")),
                )
            )
        paying = self.filtered(lambda s: s.move_id.payment_state == "partial")
        if paying:
            raise UserError(
                self.env._(
                    "The bill of %(names)s is partly paid: undo the payment first.",
                    names=", ".join(paying.mapped("name")),
                )
            )

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_approve(self):
        """Approve the settlements: each gets its vendor bill, posted."""
        self._ensure_can_be_approved()
        self._action_approve()
        return True

    def action_reopen(self, reason=None):
        """Back to pending, with a reason: the vendor bill is cancelled."""
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Please give a reason."))
        self._ensure_can_be_reopened()
        self._action_reopen(reason)
        return True

    def action_open_reopen_wizard(self):
        self.ensure_one()
        self._ensure_can_be_reopened()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reopen %(name)s", name=self.name),
            "res_model": "aftersales.settlement.reopen",
            "view_mode": "form",
            "target": "new",
            "context": {"default_settlement_id": self.id},
        }

    def action_view_bill(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.move_id.id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------
    # Workers
    # ------------------------------------------------------------

    def _action_approve(self):
        Move = self.env["account.move"]
        for settlement in self:
            bill = Move.create(settlement._prepare_bill_vals())
            bill.action_post()
            # Accountants approve; the state fields belong to the workflow.
            settlement_sudo = settlement.sudo()
            settlement_sudo.write(
                {
                    "state": "approved",
                    "move_id": bill.id,
                    "date_approved": fields.Datetime.now(),
                    "approved_by_id": self.env.uid,
                    "reopen_reason": False,
                }
            )
            bill.message_post(
                body=self.env._("Bill of settlement %(name)s.", name=settlement.name)
            )

    def _action_reopen(self, reason):
        for settlement in self:
            bill = settlement.move_id
            if bill.state == "posted":
                bill.button_draft()
            if bill.state == "draft":
                bill.button_cancel()
            # Same as in _action_approve: workflow fields.
            settlement_sudo = settlement.sudo()
            settlement_sudo.write(
                {"state": "pending", "move_id": False, "reopen_reason": reason}
            )
            settlement.message_post(
                body=self.env._(
                    "Reopened, bill %(bill)s cancelled: %(reason)s",
                    bill=bill.display_name,
                    reason=reason,
                )
            )

    def _get_statement_bill_info(self):
        """What the statement prints of the vendor bill: its number, status and
        payment, or {} when there is no bill. Center staff print their own
        statements but may not read journal entries: the caller read the
        settlement (record rules checked), and only these values leave."""
        self.ensure_one()
        # sudo: center users cannot read account.move; see the docstring.
        bill_sudo = self.sudo().move_id
        if not bill_sudo:
            return {}
        Move = self.env["account.move"]
        selection = Move._fields["payment_state"]._description_selection(self.env)
        return {
            "name": bill_sudo.name,
            "date": bill_sudo.invoice_date,
            "state": dict(Move._fields["state"]._description_selection(self.env))[
                bill_sudo.state
            ],
            "payment_state": dict(selection).get(bill_sudo.payment_state, ""),
            "amount_residual": bill_sudo.amount_residual,
            "currency": bill_sudo.currency_id,
        }

    def _prepare_bill_vals(self):
        """The vendor bill of the settlement (extension hook): one line per
        work order, or per service type when the company groups them. A
        negative total (reversals) makes a refund instead."""
        self.ensure_one()
        refund = self.currency_id.compare_amounts(self.amount_total, 0.0) < 0
        sign = -1 if refund else 1
        product = self.company_id.aftersales_settlement_product_id
        return {
            "move_type": "in_refund" if refund else "in_invoice",
            "partner_id": self.center_id.partner_id.id,
            "company_id": self.company_id.id,
            "currency_id": self.currency_id.id,
            "invoice_date": fields.Date.context_today(self),
            "ref": self.name,
            "invoice_origin": self.name,
            "invoice_line_ids": [
                fields.Command.create({**vals, "product_id": product.id})
                for vals in self._prepare_bill_line_vals(sign)
            ],
        }

    def _prepare_bill_line_vals(self, sign):
        self.ensure_one()
        if self.company_id.aftersales_settlement_bill_grouping == "service_type":
            groups = defaultdict(lambda: [0, 0.0])
            for line in self.line_ids:
                groups[line.service_type_id][0] += 1
                groups[line.service_type_id][1] += line.amount
            return [
                {
                    "name": self.env._(
                        "%(service)s: %(count)s work orders (%(settlement)s)",
                        service=service_type.name,
                        count=count,
                        settlement=self.name,
                    ),
                    "quantity": 1,
                    "price_unit": sign * amount,
                }
                for service_type, (count, amount) in groups.items()
            ]
        return [
            {
                "name": line._get_bill_label(),
                "quantity": 1,
                "price_unit": sign * line.amount,
            }
            for line in self.line_ids.sorted(lambda line: (line.date, line.id))
        ]

    # ------------------------------------------------------------
    # Generating lines (cron)
    # ------------------------------------------------------------

    @api.model
    def _get_settleable_order_domain(self):
        """Completed work, approved by the customer where the service type
        asks for it, passed by quality control where required, not settled."""
        return Domain(
            [
                ("state", "=", "done"),
                ("center_id", "!=", False),
                ("settlement_line_ids", "=", False),
                ("qc_state", "in", ("none", "passed")),
            ]
        ) & (
            Domain("service_type_id.approval_required", "=", False)
            | Domain("approval_ids.decision", "=", "approved")
        )

    @api.model
    def _get_reversible_order_domain(self):
        """Settled work cancelled or returned afterwards, not reversed yet."""
        return Domain(
            [
                ("state", "in", STOPPED_STATES),
                ("settlement_line_ids", "any", [("kind", "=", "order")]),
                ("settlement_line_ids", "not any", [("kind", "=", "reversal")]),
            ]
        )

    @api.model
    def _cron_generate_lines(self, batch_size=1000):
        """Settle completed work and reverse what was undone, in batches that
        commit their progress; safe to run twice at once."""
        self._generate_pending_lines(
            batch_size, after_batch=self.env["ir.cron"]._commit_progress
        )

    @api.model
    def _generate_pending_lines(
        self, batch_size=5000, after_batch=None, centers_per_batch=20
    ):
        """Settle what is due, ``centers_per_batch`` centers at a time (at
        most ``batch_size`` orders per batch), calling ``after_batch(count)``
        after each batch (the cron commits there; a false answer stops).

        Batches are cut by center, not by order: the queries of a batch do
        not depend on how many orders its centers have, so the queries per
        center stay flat as a center's work grows."""
        Order = self.env["aftersales.order"]
        for kind, domain in (
            ("order", self._get_settleable_order_domain()),
            ("reversal", self._get_reversible_order_domain()),
        ):
            center_ids = [
                center.id
                for [center] in Order._read_group(
                    domain, ["center_id"], order="center_id"
                )
            ]
            for start in range(0, len(center_ids), centers_per_batch):
                chunk = Domain(domain) & Domain(
                    "center_id", "in", center_ids[start : start + centers_per_batch]
                )
                while True:
                    orders = Order.search(chunk, limit=batch_size, order="id")
                    # Orders another worker holds are its to settle.
                    locked = orders.try_lock_for_update()
                    if not locked:
                        break
                    self._generate_lines(locked, kind)
                    if after_batch and not after_batch(len(locked)):
                        return
                    if len(orders) < batch_size:
                        break

    @api.model
    def _generate_lines(self, orders, kind="order"):
        """Insert the settlement lines of ``orders`` (skipping those another
        transaction inserted) and file them in their settlements."""
        rows = (
            self._prepare_line_rows(orders)
            if kind == "order"
            else self._prepare_reversal_rows(orders)
        )
        if not rows:
            return self.env["aftersales.settlement.line"]
        columns = list(rows[0])
        now = fields.Datetime.now()
        values = SQL(", ").join(
            SQL(
                "(%s)",
                SQL(", ").join(
                    [
                        *(row[column] for column in columns),
                        self.env.uid,
                        now,
                        self.env.uid,
                        now,
                    ]
                ),
            )
            for row in rows
        )
        self.env.cr.execute(
            SQL(
                "INSERT INTO aftersales_settlement_line (%s, create_uid, "
                "create_date, write_uid, write_date) VALUES %s "
                "ON CONFLICT (order_id) WHERE kind = %s DO NOTHING RETURNING id",
                SQL(", ").join(SQL.identifier(column) for column in columns),
                values,
                kind,
            )
        )
        Line = self.env["aftersales.settlement.line"]
        lines = Line.browse([row[0] for row in self.env.cr.fetchall()])
        # The orders' line lists changed behind the ORM's back.
        orders.invalidate_recordset(["settlement_line_ids"])
        self._file_lines(lines)
        return lines

    @api.model
    def _prepare_line_rows(self, orders):
        tariffs = self.env["aftersales.tariff"]._select_for_orders(orders)
        part_counts = dict(
            self.env["aftersales.order.part"]._read_group(
                [("order_id", "in", orders.ids), ("state", "=", "done")],
                ["order_id"],
                ["__count"],
            )
        )
        rows = []
        for order in orders:
            tariff = tariffs[order]
            service, travel, parts = (
                tariff._get_amounts(order, part_counts.get(order, 0))
                if tariff
                else (0.0, 0.0, 0.0)
            )
            rows.append(
                {
                    **order._prepare_settlement_line_row(),
                    "kind": "order",
                    "currency_id": (
                        tariff.currency_id or order.company_id.currency_id
                    ).id,
                    "date": fields.Date.to_date(order.date_done),
                    "tariff_id": tariff.id or None,
                    "amount_service": service,
                    "amount_travel": travel,
                    "amount_parts": parts,
                    "amount": service + travel + parts,
                }
            )
        return rows

    @api.model
    def _prepare_reversal_rows(self, orders):
        originals = self.env["aftersales.settlement.line"].search(
            [("order_id", "in", orders.ids), ("kind", "=", "order")]
        )
        today = fields.Date.context_today(self)
        return [
            {
                **line.order_id._prepare_settlement_line_row(),
                "kind": "reversal",
                "currency_id": line.currency_id.id,
                "date": today,
                "tariff_id": line.tariff_id.id or None,
                "amount_service": -line.amount_service,
                "amount_travel": -line.amount_travel,
                "amount_parts": -line.amount_parts,
                "amount": -line.amount,
            }
            for line in originals
        ]

    @api.model
    def _file_lines(self, lines):
        """Put each line in its center's settlement for the line's period,
        or the next open one when that period is already approved. One
        search and one create for all the lines, one write per settlement."""
        groups = defaultdict(list)
        for line in lines:
            period = line.company_id.aftersales_settlement_period
            groups[
                (line.center_id, line.currency_id, period_start(line.date, period))
            ].append(line.id)
        if not groups:
            return
        settlements = self._get_open_settlements(list(groups))
        pairs = [
            (line_id, settlements[key].id)
            for key, line_ids in groups.items()
            for line_id in line_ids
        ]
        # One statement for all the lines: the ORM would update them in
        # chunks of a hundred, so the queries would grow with the orders.
        self.env.cr.execute(
            SQL(
                "UPDATE aftersales_settlement_line AS line SET settlement_id = v.sid "
                "FROM (VALUES %s) AS v(id, sid) WHERE line.id = v.id",
                SQL(", ").join(SQL("(%s, %s)", line_id, sid) for line_id, sid in pairs),
            )
        )
        filed = self.browse({sid for _line_id, sid in pairs})
        self.env["aftersales.settlement.line"].browse(
            [line_id for line_id, _sid in pairs]
        ).invalidate_recordset(["settlement_id"])
        filed.invalidate_recordset(["line_ids"])
        for fname in ("line_count", "amount_total"):
            self.env.add_to_compute(self._fields[fname], filed)

    @api.model
    def _get_open_settlements(self, keys):
        """{(center, currency, period start): pending settlement}, created
        where missing. A late line of an approved period goes to the pending
        settlement of the current period, or a new one for the current period
        when that is approved too: never into a future period, which an
        accountant would read as post-dated. One search for all the keys."""
        today = fields.Date.context_today(self)

        def current_start(center):
            return period_start(today, center.company_id.aftersales_settlement_period)

        centers = self.env["aftersales.center"].union(
            *(center for center, _currency, _start in keys)
        )
        starts = {start for _center, _currency, start in keys}
        starts |= {current_start(center) for center in centers}
        pending, closed = {}, set()
        for settlement in self.search(
            [("center_id", "in", centers.ids), ("date_from", "in", list(starts))],
            order="id",
        ):
            period_key = (settlement.center_id, settlement.date_from)
            if settlement.state == "pending":
                pending[period_key] = settlement
            else:
                closed.add(period_key)
        targets = {}
        for key in keys:
            center, currency, start = key
            if (center, start) in closed and (center, start) not in pending:
                start = current_start(center)
            targets[key] = (center, currency, start)
        missing = list(
            dict.fromkeys(
                target
                for target in targets.values()
                if (target[0], target[2]) not in pending
            )
        )
        # Two currencies of one center and period share the settlement, as
        # before: the key of a settlement is its center and period.
        missing = list({(c, s): (c, cur, s) for c, cur, s in missing}.values())
        created = self.create(
            [
                {
                    "center_id": center.id,
                    "company_id": center.company_id.id,
                    "currency_id": currency.id,
                    "date_from": start,
                    "date_to": period_end(
                        start, center.company_id.aftersales_settlement_period
                    ),
                }
                for center, currency, start in missing
            ]
        )
        for (center, _currency, start), settlement in zip(
            missing, created, strict=True
        ):
            pending[(center, start)] = settlement
        return {
            key: pending[(center, start)]
            for key, (center, _currency, start) in targets.items()
        }

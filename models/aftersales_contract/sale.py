from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.misc import format_date

from .states import CONTRACT_STATES, RENEWABLE_STATES

RENEWAL_STATES = [
    ("none", "Not Offered"),
    ("offered", "Offered"),
    ("accepted", "Accepted"),
    ("refused", "Refused"),
]

# Who offers renewals.
RENEWAL_GROUPS = ("sales_team.group_sale_salesman", "aftersales.group_dispatcher")

# Quotation states still open to the customer.
OPEN_QUOTATION_STATES = ("draft", "sent")


class AftersalesContract(models.Model):
    """Renewal offers (depends on ``sale``): a quotation for the next period,
    accepted on the portal into the next contract, or refused.

    The next term starts the day after the end and lasts as long as this
    one. Its price is the template's current price per year (the contract's
    own when it has no template) for the term: ``price × months / 12`` for a
    term of whole months, ``price × days / 365`` otherwise."""

    _inherit = "aftersales.contract"

    renewal_order_id = fields.Many2one(
        "sale.order",
        string="Renewal Offer",
        readonly=True,
        copy=False,
        index="btree_not_null",
        check_company=True,
    )
    renewal_state = fields.Selection(
        RENEWAL_STATES,
        string="Renewal",
        required=True,
        readonly=True,
        copy=False,
        default="none",
        index=True,
        tracking=True,
        help="* Not Offered: no renewal offer yet.\n"
        "* Offered: a quotation for the next term waits for the customer.\n"
        "* Accepted: the customer accepted it; the next contract follows.\n"
        "* Refused: the customer refused it or let it lapse; the contract "
        "expires at its end.",
    )
    sale_order_id = fields.Many2one(
        "sale.order",
        string="Sold By",
        readonly=True,
        copy=False,
        index="btree_not_null",
        check_company=True,
        help="The quotation the customer accepted for this contract.",
    )

    def _get_workflow_fields(self):
        return super()._get_workflow_fields() | {
            "renewal_order_id",
            "renewal_state",
            "sale_order_id",
        }

    # ------------------------------------------------------------
    # Next term
    # ------------------------------------------------------------

    def _get_next_term(self):
        """(date_start, date_end) of the term after this one."""
        self.ensure_one()
        start = self.date_end + relativedelta(days=1)
        term = relativedelta(start, self.date_start)
        if term.days:
            return start, start + (self.date_end - self.date_start)
        months = term.years * 12 + term.months
        return start, start + relativedelta(months=months, days=-1)

    @api.model
    def _get_term_years(self, date_start, date_end):
        """How many years the term from ``date_start`` to ``date_end`` lasts:
        months / 12 for whole months, days / 365 otherwise."""
        term = relativedelta(date_end + relativedelta(days=1), date_start)
        if term.days:
            return ((date_end - date_start).days + 1) / 365
        return (term.years * 12 + term.months) / 12

    def _get_renewal_price(self, date_start, date_end):
        """What the term from ``date_start`` to ``date_end`` costs before tax
        at the current price per year."""
        self.ensure_one()
        per_year = self.template_id.price if self.template_id else self.price
        return self.currency_id.round(
            per_year * self._get_term_years(date_start, date_end)
        )

    def _prepare_renewal_order_vals(self):
        """Values of the renewal quotation (extension hook): the customer,
        the salesperson, one line for the next term at its price."""
        self.ensure_one()
        date_start, date_end = self._get_next_term()
        lang = self.partner_id.lang
        contract = self.with_context(lang=lang)
        vals = {
            "partner_id": self.partner_id.id,
            "user_id": self.user_id.id,
            "company_id": self.company_id.id,
            "origin": self.name,
            "aftersales_contract_id": self.id,
            "order_line": [
                Command.create(
                    {
                        "product_id": self.product_id.id,
                        "name": contract.env._(
                            "Renewal of contract %(name)s: %(date_start)s to "
                            "%(date_end)s",
                            name=self.name,
                            date_start=format_date(
                                contract.env, date_start, lang, "d MMM y"
                            ),
                            date_end=format_date(
                                contract.env, date_end, lang, "d MMM y"
                            ),
                        ),
                        "product_uom_qty": 1,
                        "price_unit": self._get_renewal_price(date_start, date_end),
                        "tax_ids": [Command.set(self.tax_ids.ids)],
                    }
                )
            ],
        }
        # The offer holds until the contract ends.
        if self.date_end >= fields.Date.context_today(self):
            vals["validity_date"] = self.date_end
        return vals

    # ------------------------------------------------------------
    # Guards
    # ------------------------------------------------------------

    def _ensure_can_offer_renewal(self):
        self.check_access("read")
        if not (self.env.su or any(self.env.user.has_group(g) for g in RENEWAL_GROUPS)):
            raise AccessError(
                self.env._("Only salespeople and dispatchers offer renewals.")
            )
        states = dict(CONTRACT_STATES)
        for contract in self:
            if contract.state not in RENEWABLE_STATES:
                raise UserError(
                    self.env._(
                        "Contract %(name)s is %(state)s: only a running or expired "
                        "contract can be renewed.",
                        name=contract.name,
                        state=states[contract.state],
                    )
                )
            if contract.renewal_state in ("offered", "accepted"):
                # The offer's name only: dispatchers may not read quotations.
                contract_sudo = contract.sudo()
                raise UserError(
                    self.env._(
                        "Contract %(name)s already has a renewal offer "
                        "(%(offer)s): cancel it before offering another.",
                        name=contract.name,
                        offer=contract_sudo.renewal_order_id.name,
                    )
                    if contract.renewal_state == "offered"
                    else self.env._(
                        "Contract %(name)s is already renewed.", name=contract.name
                    )
                )
            if not contract.product_id:
                raise UserError(
                    self.env._(
                        "Contract %(name)s has no invoicing product to offer.",
                        name=contract.name,
                    )
                )

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_offer_renewal(self):
        """Offer the customer the next term: a quotation they accept on the
        portal, an activity for the salesperson, an e-mail to the customer."""
        self._ensure_can_offer_renewal()
        orders_sudo = self._action_offer_renewal()
        if len(orders_sudo) == 1 and orders_sudo.with_user(self.env.user).has_access(
            "read"
        ):
            return {
                "type": "ir.actions.act_window",
                "res_model": "sale.order",
                "res_id": orders_sudo.id,
                "views": [(False, "form")],
            }
        return True

    def action_view_renewal(self):
        """Open the renewal quotation."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "sale.order",
            "res_id": self.renewal_order_id.id,
            "views": [(False, "form")],
        }

    # ------------------------------------------------------------
    # Workers
    # ------------------------------------------------------------

    def _action_offer_renewal(self):
        """Draft the renewal quotations of ``self``; return them (sudo)."""
        # Dispatchers offer renewals without being salespeople: the quotation
        # is the contract's, made on its behalf.
        sale_sudo = self.env["sale.order"].sudo()
        # The open-offer index reads the states of the previous offers.
        sale_sudo.flush_model(["state", "aftersales_contract_id"])
        orders_sudo = sale_sudo.browse()
        template = self.env.ref(
            "aftersales.mail_template_contract_renewal", raise_if_not_found=False
        )
        for contract in self:
            order_sudo = sale_sudo.with_company(contract.company_id).create(
                contract._prepare_renewal_order_vals()
            )
            contract_sudo = contract.sudo()  # offering is not editing the contract
            contract_sudo._workflow_write(
                {"renewal_order_id": order_sudo.id, "renewal_state": "offered"}
            )
            order_sudo.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=min(
                    contract.date_end,
                    fields.Date.context_today(self) + relativedelta(days=7),
                ),
                summary=self.env._(
                    "Follow up the renewal of %(name)s", name=contract.name
                ),
                user_id=(contract.user_id or self.env.user).id,
            )
            if template:
                order_sudo.message_post_with_source(
                    template, subtype_xmlid="mail.mt_comment"
                )
            order_sudo.action_quotation_sent()
            contract_sudo.message_post(
                body=self.env._(
                    "Renewal offered: quotation %(order)s.", order=order_sudo.name
                )
            )
            orders_sudo |= order_sudo
        return orders_sudo

    def _renew_from(self, order_sudo):
        """Create and start the contract that follows ``self`` (sudo), sold by
        ``order_sudo``; return it."""
        self.ensure_one()
        date_start, date_end = self._get_next_term()
        line = order_sudo.order_line.filtered(lambda line: line.product_id)[:1]
        copied = {
            fname: self._fields[fname].convert_to_write(self[fname], self)
            for fname in (
                "template_id",
                "kind",
                "billing_plan",
                "product_id",
                "tax_ids",
                "covers_parts",
                "covers_labour",
                "covers_travel",
                "visit_cap",
                "parts_cap",
                "cap_period",
                "priority",
            )
        }
        # The price per year the customer accepted (the salesperson may have
        # changed the offer's).
        per_year = self.template_id.price if self.template_id else self.price
        if line:
            per_year = self.currency_id.round(
                line.price_subtotal / self._get_term_years(date_start, date_end)
            )
            copied["tax_ids"] = [Command.set(line.tax_ids.ids)]
        new_sudo = self.copy(
            {
                **copied,
                "price": per_year,
                "user_id": order_sudo.user_id.id or self.user_id.id,
                "date_start": date_start,
                "date_end": date_end,
                "previous_contract_id": self.id,
                "sale_order_id": order_sudo.id,
                # Copied below: a plan line may only name its own contract's
                # units, and the units' copies exist only after this copy.
                "plan_ids": [],
            }
        )
        unit_map = dict(zip(self.unit_ids, new_sudo.unit_ids, strict=True))
        for plan in self.plan_ids:
            plan.copy(
                {
                    "contract_id": new_sudo.id,
                    "unit_ids": [Command.set([unit_map[u].id for u in plan.unit_ids])],
                }
            )
        self._workflow_write({"renewal_state": "accepted"})
        new_sudo._action_start()
        self.message_post(
            body=self.env._(
                "Renewed by %(contract)s (quotation %(order)s accepted).",
                contract=new_sudo.name,
                order=order_sudo.name,
            )
        )
        return new_sudo

    @api.model
    def _prepare_sold_contract_vals(self, order):
        """Values of the draft contract a new-contract quotation sold
        (extension hook): the template's terms for the customer, at the
        price per year of the quotation's line of the template's product."""
        template = order.aftersales_contract_template_id
        date_start = (
            order.commitment_date.date()
            if order.commitment_date
            else fields.Date.context_today(self)
        )
        vals = {
            "partner_id": order.partner_id.id,
            "template_id": template.id,
            "company_id": order.company_id.id,
            "user_id": order.user_id.id,
            "date_start": date_start,
            "sale_order_id": order.id,
        }
        line = order.order_line.filtered(
            lambda line: line.product_id and line.product_id == template.product_id
        )[:1]
        if line and template.duration_months:
            vals["price"] = template.currency_id.round(
                line.price_subtotal * 12 / template.duration_months
            )
            vals["tax_ids"] = [Command.set(line.tax_ids.ids)]
        return vals

    @api.model
    def _create_from_sale(self, order):
        """Create the draft contract ``order`` sold, with an activity for a
        dispatcher to list its units; return it."""
        contract = self.with_company(order.company_id).create(
            self._prepare_sold_contract_vals(order)
        )
        dispatcher = order.company_id.aftersales_dispatcher_id or contract.user_id
        contract.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._(
                "List the units of contract %(name)s", name=contract.name
            ),
            note=self.env._(
                "Sold by quotation %(order)s: list the serials or products it covers, "
                "then start it.",
                order=order.name,
            ),
            user_id=(dispatcher or self.env.user).id,
        )
        contract.message_post(
            body=self.env._("Sold by quotation %(order)s.", order=order.name)
        )
        return contract

    def _action_cancel(self, reason):
        result = super()._action_cancel(reason)
        # A cancelled contract is not renewed: its open offer is withdrawn.
        orders_sudo = self.sudo().renewal_order_id.filtered(
            lambda o: o.state in OPEN_QUOTATION_STATES
        )
        orders_sudo._action_cancel()
        return result

    def _refuse_renewal(self, reason):
        """The customer refused the offer (or let it lapse): the contract
        expires at its end."""
        self._workflow_write({"renewal_state": "refused"})
        for contract in self:
            contract.message_post(body=reason)

    # ------------------------------------------------------------
    # Portal
    # ------------------------------------------------------------

    def _get_portal_documents(self):
        documents = super()._get_portal_documents()
        # The customer sees the renewal offer of a contract they may read.
        order_sudo = self.sudo().renewal_order_id
        if order_sudo and order_sudo.state != "cancel":
            states = dict(order_sudo._fields["state"]._description_selection(self.env))
            documents.append(
                {
                    "name": order_sudo.name,
                    "label": self.env._("Renewal Offer"),
                    "date": order_sudo.validity_date or order_sudo.date_order.date(),
                    "amount": order_sudo.amount_total,
                    "state": states.get(order_sudo.state),
                    "url": order_sudo.get_portal_url(),
                }
            )
        return documents

    # ------------------------------------------------------------
    # Crons
    # ------------------------------------------------------------

    @api.model
    def _cron_offer_renewals(self):
        """Offer the renewals due today and refuse lapsed ones, committing
        each batch."""
        self._offer_renewals(after_batch=self.env["ir.cron"]._commit_progress)

    @api.model
    def _offer_renewals(self, date=None, after_batch=None, batch_size=200):
        """Cancel the renewal quotations whose validity passed (the contract
        counts them refused), then offer a renewal to every running contract
        ending within its company's renewal days of ``date`` (today) without
        an offer, ``batch_size`` at a time, calling ``after_batch(count)``
        after each batch (a false answer stops). Safe to run twice at once: a
        contract another worker holds is its to offer."""
        date = date or fields.Date.context_today(self)
        lapsed_sudo = (
            self.env["sale.order"]
            .sudo()
            .search(
                [
                    ("aftersales_contract_id", "!=", False),
                    ("state", "in", OPEN_QUOTATION_STATES),
                    ("validity_date", "<", date),
                ]
            )
        )
        if lapsed_sudo:
            # The sale seam counts a cancelled offer as refused.
            lapsed_sudo.with_context(aftersales_renewal_lapsed=True)._action_cancel()
            if after_batch and not after_batch(len(lapsed_sudo)):
                return
        # The companies that have running contracts, each with its horizon.
        for [company] in self._read_group([("state", "=", "running")], ["company_id"]):
            last_id = 0
            horizon = date + relativedelta(
                days=company.aftersales_contract_renewal_days
            )
            while True:
                contracts = self.search(
                    [
                        ("company_id", "=", company.id),
                        ("state", "=", "running"),
                        ("renewal_state", "=", "none"),
                        ("date_end", "<=", horizon),
                        ("product_id", "!=", False),
                        ("id", ">", last_id),
                    ],
                    limit=batch_size,
                    order="id",
                )
                if not contracts:
                    break
                last_id = contracts[-1].id
                locked = contracts.try_lock_for_update()
                # Re-read under the lock: another worker may have offered it.
                locked.invalidate_recordset(["renewal_state"])
                locked = locked.filtered(lambda c: c.renewal_state == "none")
                if locked:
                    locked._action_offer_renewal()
                    if after_batch and not after_batch(len(locked)):
                        return
                if len(contracts) < batch_size:
                    break

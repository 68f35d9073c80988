from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError

from .aftersales_contract.states import RENEWABLE_STATES
from .aftersales_order.core import TRANSITIONS


class SaleOrder(models.Model):
    _inherit = "sale.order"

    aftersales_order_count = fields.Integer(
        string="Work Orders", compute="_compute_aftersales_order_count"
    )
    aftersales_contract_id = fields.Many2one(
        "aftersales.contract",
        string="Renewal of Contract",
        readonly=True,
        copy=False,
        index="btree_not_null",
        check_company=True,
        help="The service contract this quotation offers to renew.",
    )
    aftersales_contract_template_id = fields.Many2one(
        "aftersales.contract.template",
        string="New Contract",
        check_company=True,
        index="btree_not_null",
        help="Confirming the quotation creates a draft service contract of this "
        "template for the customer.",
    )
    aftersales_new_contract_ids = fields.One2many(
        "aftersales.contract", "sale_order_id", string="Service Contracts"
    )
    aftersales_estimate_order_id = fields.Many2one(
        "aftersales.order",
        string="Estimate of Work Order",
        readonly=True,
        copy=False,
        index="btree_not_null",
        check_company=True,
        help="The workshop repair this quotation estimates: accepting or "
        "declining it is the customer's decision on the repair.",
    )

    # One open renewal offer per contract, whoever drafts it.
    _aftersales_open_renewal_uniq = models.UniqueIndex(
        "(aftersales_contract_id) WHERE aftersales_contract_id IS NOT NULL "
        "AND state IN ('draft', 'sent')",
        "A contract has one open renewal offer at a time.",
    )

    # ------------------------------------------------------------
    # Compute methods
    # ------------------------------------------------------------

    @api.depends("order_line.aftersales_order_ids")
    def _compute_aftersales_order_count(self):
        # The count shows on the sale to users who may not read work orders.
        orders_sudo = self.env["aftersales.order"].sudo()
        counts = dict(
            orders_sudo._read_group(
                [("sale_order_id", "in", self.ids)], ["sale_order_id"], ["__count"]
            )
        )
        for sale in self:
            sale.aftersales_order_count = counts.get(sale._origin, 0)

    # ------------------------------------------------------------
    # Overrides
    # ------------------------------------------------------------

    def _action_confirm(self):
        result = super()._action_confirm()
        # The orders are assigned by their create() when the company says so.
        self.order_line._create_aftersales_orders()
        self._create_aftersales_contracts()
        self._record_aftersales_estimate_decision("approve")
        return result

    def _create_aftersales_contracts(self):
        """The contracts the confirmed quotations sold: the next term of the
        contract a renewal offer renews (started), a draft contract of a new
        contract's template."""
        # The customer accepts on the portal as the public or portal user
        # through sudo (sale/controllers/portal.py), a salesperson in the
        # backend: neither writes contracts, which follow from the sale.
        for order_sudo in self.sudo():
            contract_sudo = order_sudo.aftersales_contract_id
            if (
                contract_sudo
                and contract_sudo.renewal_order_id == order_sudo
                and contract_sudo.renewal_state == "offered"
                and contract_sudo.state in RENEWABLE_STATES
            ):
                contract_sudo._renew_from(order_sudo)
            elif (
                order_sudo.aftersales_contract_template_id
                and not order_sudo.aftersales_new_contract_ids
            ):
                self.env["aftersales.contract"].sudo()._create_from_sale(order_sudo)

    def _action_cancel(self):
        result = super()._action_cancel()
        self._record_aftersales_estimate_decision(
            "reject", feedback=self.env.context.get("aftersales_decline_reason")
        )
        self._refuse_aftersales_renewals()
        # Same reason as the count: cancelling a sale is a salesperson's job.
        orders_sudo = (
            self.env["aftersales.order"]
            .sudo()
            .search(
                [
                    ("sale_order_id", "in", self.ids),
                    ("state", "in", TRANSITIONS["cancel"]["from"]),
                ]
            )
        )
        for sale in self:
            orders_sudo.filtered(
                lambda o, sale=sale: o.sale_order_id == sale
            )._action_cancel(
                self.env._("Sale order %(sale)s was cancelled.", sale=sale.name)
            )
        return result

    def _record_aftersales_estimate_decision(self, decision, feedback=None):
        """The customer accepted or declined a workshop estimate on the sale
        side (portal, or a salesperson's button): record it on the work
        order, whose flow moves; the flow's own confirmations and
        cancellations (context ``aftersales_estimate_decided``) are not
        decisions again."""
        if self.env.context.get("aftersales_estimate_decided"):
            return
        portal_user_id = self.env.context.get("aftersales_decision_user_id")
        # sale's portal routes run as the superuser (portal's
        # _document_check_access): our controller names the request's user,
        # trusted only there, never from a caller's own context.
        from_portal = bool(portal_user_id) and self.env.uid == SUPERUSER_ID
        for sale in self.filtered("aftersales_estimate_order_id"):
            order = sale.aftersales_estimate_order_id
            if from_portal:
                user = self.env["res.users"].browse(portal_user_id)
                channel = "portal" if order._is_customer_user(user) else "link"
                # The portal checked the customer's login or the quotation's
                # token: the decision is theirs, through their channel.
                order_sudo = order.with_user(user).sudo()
                evidence = self.env.context.get("aftersales_decision_evidence") or {}
                order_sudo.with_context(
                    aftersales_estimate_decided=True
                )._record_customer_decision(
                    decision, channel, feedback=feedback, **evidence
                )
            else:
                # Staff confirming the quotation record the customer's answer
                # from the back office, with their own rights.
                order.with_env(self.env(su=False)).with_context(
                    aftersales_estimate_decided=True
                )._record_customer_decision(decision, "backend", feedback=feedback)

    def _ensure_aftersales_estimate_unchanged(self):
        """A workshop estimate the customer was sent (or accepted) keeps its
        prices: a new version is prepared from the work order."""
        if self.env.context.get("aftersales_estimate_refresh"):
            return
        sent = self.filtered(
            lambda s: s.aftersales_estimate_order_id and s.state in ("sent", "sale")
        )
        if sent:
            raise UserError(
                self.env._(
                    "%(sales)s is an estimate the customer was sent: prepare a new "
                    "version from its work order instead of changing it.",
                    sales=", ".join(sent.mapped("name")),
                )
            )

    def _refuse_aftersales_renewals(self):
        """A cancelled (declined or lapsed) renewal offer: its contract
        expires at its end."""
        # The customer declines on the portal through sudo, as for accepting.
        contracts_sudo = (
            self.env["aftersales.contract"]
            .sudo()
            .search(
                [
                    ("renewal_order_id", "in", self.ids),
                    ("renewal_state", "=", "offered"),
                ]
            )
        )
        lapsed = self.env.context.get("aftersales_renewal_lapsed")
        for contract_sudo in contracts_sudo:
            order = contract_sudo.renewal_order_id
            contract_sudo._refuse_renewal(
                self.env._(
                    "Renewal offer %(order)s lapsed on %(date)s: the contract "
                    "expires at its end.",
                    order=order.name,
                    date=order.validity_date,
                )
                if lapsed
                else self.env._(
                    "Renewal offer %(order)s was refused: the contract expires at "
                    "its end.",
                    order=order.name,
                )
            )

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_view_aftersales_orders(self):
        """Open the work orders created by this sale."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales.aftersales_order_action"
        )
        action["domain"] = [("sale_order_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_view_aftersales_contracts(self):
        """Open the service contracts this sale renews or created."""
        self.ensure_one()
        contracts = self.aftersales_contract_id | self.aftersales_new_contract_ids
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales.aftersales_contract_action"
        )
        action["domain"] = [("id", "in", contracts.ids)]
        action["context"] = {}
        return action

from collections import defaultdict

from odoo import api, fields, models

from ...tools.domains import created_between
from ..aftersales_order.states import UNFINISHED_STATES


class AftersalesContract(models.Model):
    """The contract's side of coverage, next to the order's it serves:
    what the caps have used, and the open orders a started contract
    covers."""

    _inherit = "aftersales.contract"

    cap_visits_used = fields.Integer(
        string="Visits Used",
        compute="_compute_cap_usage",
        help="Covered visits used in the current cap period.",
    )
    cap_parts_used = fields.Monetary(
        string="Parts Value Used",
        compute="_compute_cap_usage",
        help="Value of the covered parts used in the current cap period.",
    )

    @api.depends("visit_cap", "parts_cap", "cap_period", "state")
    def _compute_cap_usage(self):
        for contract in self:
            if contract.state == "draft" or not contract.id:
                contract.cap_visits_used = contract.cap_parts_used = 0
                continue
            usage = contract._get_usage()
            contract.cap_visits_used = usage["visits"]
            contract.cap_parts_used = usage["parts_value"]

    def _get_usage(self, date=None):
        """What the contract paid in the cap period holding ``date`` (today
        by default): {visits, parts_value, date_from, date_to}. Cancelled
        orders do not count. One grouped query each."""
        self.ensure_one()
        date_from, date_to = self._get_cap_window(date or fields.Date.today())
        orders_domain = [
            ("contract_id", "=", self.id),
            ("state", "!=", "cancelled"),
            *created_between(date_from, date_to),
        ]
        # Every center's orders use the contract's caps, whoever asks.
        orders_sudo = self.env["aftersales.order"].sudo()
        [(visits,)] = orders_sudo._read_group(
            [*orders_domain, ("contract_visit_covered", "=", True)], [], ["__count"]
        )
        parts_sudo = self.env["aftersales.order.part"].sudo()
        [(parts_value,)] = parts_sudo._read_group(
            [
                ("state", "!=", "cancel"),
                ("coverage", "=", "covered"),
                (
                    "order_id",
                    "any",
                    [*orders_domain, ("contract_parts_covered", "=", True)],
                ),
            ],
            [],
            ["part_value:sum"],
        )
        return {
            "visits": visits,
            "parts_value": parts_value or 0.0,
            "date_from": date_from,
            "date_to": date_to,
        }

    def _recompute_open_order_coverage(self):
        super()._recompute_open_order_coverage()
        # The customer's open orders at every center, without a contract.
        orders_sudo = self.env["aftersales.order"].sudo()
        orders_sudo = orders_sudo.search(
            [
                ("company_id", "in", self.company_id.ids),
                (
                    "partner_id.commercial_partner_id",
                    "in",
                    self.commercial_partner_id.ids,
                ),
                ("state", "in", UNFINISHED_STATES),
                ("contract_id", "=", False),
            ]
        )
        if not orders_sudo:
            return
        covering = self._find_covering(
            order._get_contract_unit() for order in orders_sudo
        )
        by_contract = defaultdict(lambda: orders_sudo.browse())
        for order, contract in covering.items():
            by_contract[contract] |= order
        for contract, orders in by_contract.items():
            orders.write({"contract_id": contract.id})

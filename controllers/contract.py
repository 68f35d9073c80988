import logging

from werkzeug.urls import url_encode

from odoo import fields, http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request
from odoo.tools import consteq

from odoo.addons.portal.controllers.portal import pager as portal_pager

from .common import LIMIT_LINK_FAILURES_PER_ADDRESS, AftersalesPortalCommon

_logger = logging.getLogger(__name__)


class AftersalesContractPortal(AftersalesPortalCommon):
    """My service contracts on the portal: the list, one contract with its
    visits and documents, its PDF, its signature, and asking to move a
    planned visit."""

    _contracts_per_page = 20

    # ------------------------------------------------------------
    # Home counter
    # ------------------------------------------------------------

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "contract_count" in counters:
            Contract = request.env["aftersales.contract"]
            values["contract_count"] = (
                Contract.search_count(self._contracts_domain())
                if Contract.has_access("read")
                else 0
            )
        return values

    # ------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------

    def _contracts_domain(self):
        partner = request.env.user.partner_id
        return [
            ("partner_id", "child_of", [partner.commercial_partner_id.id]),
            ("state", "!=", "draft"),
        ]

    def _contract_check_access(self, contract_id, access_token=None):
        """(contract in sudo, None) for a user who may read it or the holder
        of its link; (None, 404 or 429) otherwise. Drafts are not shown to
        anyone on the portal; wrong tokens count against the address."""
        try:
            contract_sudo = self._document_check_access(
                "aftersales.contract", contract_id, access_token
            )
        except (AccessError, MissingError):
            contract_sudo = None
        if contract_sudo and contract_sudo.state != "draft":
            return contract_sudo, None
        if access_token:
            _logger.info(
                "aftersales.contract %s refused a token from %s",
                contract_id,
                self._remote_address(),
            )
            address_key = f"approval-address:{self._limit_address()}"
            if self._count_attempt(address_key, LIMIT_LINK_FAILURES_PER_ADDRESS):
                return None, 429
        return None, 404

    @staticmethod
    def _may_act_for_customer(contract_sudo, access_token):
        """Whether the current visitor signs and asks for the customer: the
        customer's own users, or the holder of the contract's link. Staff
        who read the contract do not sign for the customer."""
        if access_token and consteq(contract_sudo.access_token or "", access_token):
            return True
        user = request.env.user
        return (
            not user._is_public()
            and user.partner_id.commercial_partner_id
            == contract_sudo.commercial_partner_id
        )

    @staticmethod
    def _contract_url(contract_sudo, access_token=None, suffix="", **query):
        if access_token:
            query["access_token"] = access_token
        url = f"/my/contracts/{contract_sudo.id}{suffix}"
        return f"{url}?{url_encode(query)}" if query else url

    @staticmethod
    def _parse_wished_date(value):
        try:
            return fields.Date.to_date((value or "").strip()[:10] or None)
        except ValueError:
            return None

    def _contract_page_values(self, contract_sudo, access_token, **kwargs):
        planned, past = contract_sudo._get_portal_visits()
        may_act = self._may_act_for_customer(contract_sudo, access_token)
        return self._get_page_view_values(
            contract_sudo,
            access_token,
            {
                "contract": contract_sudo,
                "page_name": "contract",
                "planned_visits": planned,
                "past_visits": past,
                "move_requested": contract_sudo._get_visit_move_requests(planned),
                "movable_visits": contract_sudo._get_movable_visits(planned)
                if may_act
                else planned.browse(),
                "documents": contract_sudo._get_portal_documents(),
                "can_sign": may_act and contract_sudo._can_be_signed(),
                "today": fields.Date.context_today(contract_sudo),
                "link_token": access_token or "",
                "message": kwargs.get("message"),
                "error": kwargs.get("error"),
                "sign_url": self._contract_url(
                    contract_sudo, access_token, suffix="/sign"
                ),
            },
            "my_contracts_history",
            False,
        )

    def _prepare_contracts_values(self, page=1):
        """One page of my contracts, the latest ending first."""
        Contract = request.env["aftersales.contract"]
        domain = self._contracts_domain()
        count = Contract.search_count(domain) if Contract.has_access("read") else 0
        pager = portal_pager(
            url="/my/contracts",
            total=count,
            page=page,
            step=self._contracts_per_page,
        )
        contracts = (
            Contract.search(
                domain,
                order="date_end desc, id desc",
                limit=self._contracts_per_page,
                offset=pager["offset"],
            )
            if count
            else Contract
        )
        # Searched as the customer; shown with fields (the price) the
        # portal cannot read.
        contracts_sudo = contracts.sudo()
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "contracts": contracts_sudo,
                "page_name": "contract",
                "pager": pager,
                "default_url": "/my/contracts",
            }
        )
        return values

    # ------------------------------------------------------------
    # Routes
    # ------------------------------------------------------------

    @http.route(
        ["/my/contracts", "/my/contracts/page/<int:page>"],
        type="http",
        auth="user",
        methods=["GET"],
        website=True,
        readonly=True,
    )
    def portal_my_contracts(self, page=1, **kwargs):
        values = self._prepare_contracts_values(page)
        request.session["my_contracts_history"] = values["contracts"].ids[:100]
        return request.render("aftersales.portal_my_contracts", values)

    @http.route(
        ["/my/contracts/<int:contract_id>"],
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
    )
    def portal_contract_page(
        self, contract_id, access_token=None, report_type=None, download=False, **kw
    ):
        """The contract for a user who may read it, or the holder of its
        link; someone else's contract does not exist."""
        contract_sudo, status = self._contract_check_access(contract_id, access_token)
        if status:
            return self._refused_response(status)
        if report_type in ("html", "pdf", "text"):
            return self._show_report(
                model=contract_sudo,
                report_type=report_type,
                report_ref="aftersales.action_report_contract",
                download=download,
            )
        values = self._contract_page_values(contract_sudo, access_token, **kw)
        return request.render("aftersales.portal_contract_page", values)

    @http.route(
        ["/my/contracts/<int:contract_id>/sign"],
        type="jsonrpc",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_contract_sign(
        self, contract_id, access_token=None, name=None, signature=None
    ):
        """Sign the contract (portal.signature_form): an error to show, or
        where to go once signed."""
        access_token = access_token or request.httprequest.args.get("access_token")
        contract_sudo, status = self._contract_check_access(contract_id, access_token)
        if status:
            return {"error": request.env._("This contract is not available.")}
        if not self._may_act_for_customer(contract_sudo, access_token):
            return {"error": request.env._("Only the customer signs the contract.")}
        try:
            contract_sudo._action_sign(name, signature)
        except UserError as error:
            return {"error": error.args[0]}
        return {
            "force_refresh": True,
            "redirect_url": self._contract_url(
                contract_sudo, access_token, message="signed"
            ),
        }

    @http.route(
        ["/my/contracts/<int:contract_id>/visits/<int:order_id>/move"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_contract_visit_move(
        self, contract_id, order_id, access_token=None, date=None, note=None, **kw
    ):
        """Ask to move a planned visit of the contract; bad input shows the
        page again with why, nothing changed."""
        contract_sudo, status = self._contract_check_access(contract_id, access_token)
        if status or not self._may_act_for_customer(contract_sudo, access_token):
            return self._refused_response(status or 404)
        # Looked up by id as superuser; the contract refuses any order that
        # is not one of its own planned visits.
        order_sudo = request.env["aftersales.order"].sudo().browse(order_id).exists()
        try:
            contract_sudo._request_visit_move(
                order_sudo, self._parse_wished_date(date), note
            )
        except UserError as error:
            values = self._contract_page_values(
                contract_sudo, access_token, error=error.args[0]
            )
            return request.render("aftersales.portal_contract_page", values, status=400)
        return request.redirect(
            self._contract_url(contract_sudo, access_token, message="move_requested"),
            code=303,
        )

"""The workshop estimate on sale's quotation portal: sale's accept and
decline routes, which confirm or cancel the quotation, with what the work
order's decision needs to know of the request (the sale.order model records
it: see _record_aftersales_estimate_decision)."""

from odoo import http
from odoo.http import request

from odoo.addons.sale.controllers.portal import CustomerPortal


class AftersalesEstimatePortal(CustomerPortal):
    def _aftersales_decision_context(self):
        """Who answers (sale's routes then run as the superuser) and the
        evidence of the request, for the work order's decision."""
        return {
            "aftersales_decision_user_id": request.env.user.id,
            "aftersales_decision_evidence": {
                "ip_address": request.httprequest.remote_addr,
                "user_agent": request.httprequest.user_agent.string,
            },
        }

    @http.route()
    def portal_quote_accept(
        self, order_id, access_token=None, name=None, signature=None
    ):
        request.update_context(**self._aftersales_decision_context())
        return super().portal_quote_accept(
            order_id, access_token=access_token, name=name, signature=signature
        )

    @http.route()
    def portal_quote_decline(
        self, order_id, access_token=None, decline_message=None, **kwargs
    ):
        # Sale posts the customer's reason only after cancelling: the work
        # order's decision reads it from the context.
        request.update_context(
            **self._aftersales_decision_context(),
            aftersales_decline_reason=decline_message,
        )
        return super().portal_quote_decline(
            order_id,
            access_token=access_token,
            decline_message=decline_message,
            **kwargs,
        )

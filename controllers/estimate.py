"""The workshop estimate on sale's quotation portal: sale's accept and
decline routes, which confirm or cancel the quotation, with what the work
order's decision needs to know of the request (the sale.order model records
it: see _record_aftersales_estimate_decision)."""

from odoo import http
from odoo.http import request

from odoo.addons.sale.controllers.portal import CustomerPortal


class AftersalesEstimatePortal(CustomerPortal):
    def _aftersales_decision_evidence(self):
        return {
            "ip_address": request.httprequest.remote_addr,
            "user_agent": request.httprequest.user_agent.string,
        }

    @http.route()
    def portal_quote_accept(self, order_id, access_token=None, name=None, signature=None):
        request.update_context(
            aftersales_decision_evidence=self._aftersales_decision_evidence()
        )
        return super().portal_quote_accept(
            order_id, access_token=access_token, name=name, signature=signature
        )

    @http.route()
    def portal_quote_decline(self, order_id, access_token=None, decline_message=None, **kwargs):
        # Sale posts the customer's reason only after cancelling: the work
        # order's decision reads it from the context.
        request.update_context(
            aftersales_decision_evidence=self._aftersales_decision_evidence(),
            aftersales_decline_reason=decline_message,
        )
        return super().portal_quote_decline(
            order_id, access_token=access_token, decline_message=decline_message, **kwargs
        )

from urllib.parse import quote as url_quote

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request

from ..models.aftersales_qr_verification import CodeQuotaError
from .common import AftersalesPortalCommon

# Bounded attempts per address: (attempts, window in seconds).
LIMIT_QR_FAILURES_PER_ADDRESS = (20, 600)
LIMIT_QR_CODES_PER_ADDRESS = (10, 3600)
# Codes tried, right or wrong: six digits are few, so these are refused before
# they are compared (the quotas per unit and number are the model's).
LIMIT_QR_CODE_TRIES_PER_ADDRESS = (15, 3600)


class AftersalesQrPortal(AftersalesPortalCommon):
    """What scanning a unit's QR code opens: a service request for that
    unit, after logging in or proving a phone number by a texted code."""

    def _qr_unit(self, token):
        """(unit as superuser, None) for a known token; (None, response) for an
        unknown one."""
        unit_sudo = request.env["stock.lot"]._aftersales_get_by_qr_token(token)
        if not unit_sudo:
            return None, self._qr_refuse_token()
        return unit_sudo, None

    def _qr_refuse_token(self):
        """The answer to an unknown token or key, counted per address: 404,
        then 429 past the limit. Known tokens are looked up first and never
        refused, so that others' failures on a shared address (NAT, proxy)
        never lock out the holder of a sticker (F7)."""
        limited = self._count_attempt(
            f"qr-address:{self._limit_address()}", LIMIT_QR_FAILURES_PER_ADDRESS
        )
        return self._refused_response(429 if limited else 404)

    def _qr_values(self, unit_sudo, token, **kwargs):
        # The scanner is at the unit: most likely its owner, in their language.
        lang = request.env["ir.http"]._aftersales_reader_lang(
            unit_sudo.aftersales_owner_id.lang
        )
        if lang and lang != request.env.lang:
            request.update_context(lang=lang)
        return {
            "unit": unit_sudo,
            "token": token,
            "service_types": request.env["aftersales.order"]._portal_get_service_types(
                unit_sudo.aftersales_owner_id or request.env.user.partner_id
            ),
            **kwargs,
        }

    @http.route(
        "/aftersales/qr/<string:token>",
        type="http",
        auth="public",
        methods=["GET"],
        website=False,
        sitemap=False,
    )
    def aftersales_qr(self, token, **kwargs):
        """What scanning a unit's QR code opens: the request form for that
        serial, after logging in or proving a phone number."""
        unit_sudo, refused = self._qr_unit(token)
        if refused:
            return refused
        if not request.env.user._is_public():
            return request.redirect(
                # The token, not the serial: the form takes the scanned unit
                # itself (the sticker proves the unit is at hand), where a
                # typed serial is accepted only for the customer's own units.
                f"/my/service-orders/new?serial={url_quote(unit_sudo.name)}"
                f"&qr={url_quote(token)}",
                code=303,
            )
        return request.render(
            "aftersales.qr_landing", self._qr_values(unit_sudo, token)
        )

    @http.route(
        "/aftersales/qr/<string:token>/code",
        type="http",
        auth="public",
        methods=["POST"],
        website=False,
        sitemap=False,
    )
    def aftersales_qr_send_code(self, token, phone=None, **kwargs):
        """Text a code to the number given, within bounds per address here and
        per unit, number and company in the model."""
        unit_sudo, refused = self._qr_unit(token)
        if refused:
            return refused
        error, status = "limit", 429
        address_key = f"qr-code-address:{self._limit_address()}"
        if not self._count_attempt(address_key, LIMIT_QR_CODES_PER_ADDRESS):
            # The public user may not create verifications nor queue SMS; the
            # unit is known and the codes are bounded above and in _start.
            Verification_sudo = request.env["aftersales.qr.verification"].sudo()
            try:
                verification_sudo = Verification_sudo._start(unit_sudo, phone or "")
            except CodeQuotaError as quota:
                error = quota.args[0]
            except UserError as refusal:
                error, status = refusal.args[0], 400
            else:
                values = self._qr_values(
                    unit_sudo, token, key=verification_sudo.key, form={}
                )
                return request.render("aftersales.qr_verify", values)
        # A response, not an exception: the counts above must commit.
        values = self._qr_values(unit_sudo, token, error=error, phone=phone)
        return request.render("aftersales.qr_landing", values, status=status)

    @http.route(
        "/aftersales/qr/<string:token>/request",
        type="http",
        auth="public",
        methods=["POST"],
        website=False,
        sitemap=False,
    )
    def aftersales_qr_request(self, token, key=None, code=None, **kwargs):
        """Check the code and create the request for the scanned unit."""
        unit_sudo, refused = self._qr_unit(token)
        if refused:
            return refused
        verification_sudo = (
            request.env["aftersales.qr.verification"].sudo()._get_by_key(key)
        )
        if not verification_sudo or verification_sudo.lot_id != unit_sudo:
            return self._qr_refuse_token()
        values = self._qr_values(unit_sudo, token, key=key, form=kwargs)
        tries_key = f"qr-code-try:{self._limit_address()}"
        if self._count_attempt(tries_key, LIMIT_QR_CODE_TRIES_PER_ADDRESS):
            values["error"] = request.env._(
                "Too many codes tried from your network. Please try again later."
            )
            return request.render("aftersales.qr_verify", values, status=429)
        try:
            order_sudo, refusal = verification_sudo._request_service(
                code, self._qr_request_values(unit_sudo, kwargs)
            )
        except UserError as error:
            refusal = error.args[0]
        if refusal:
            # A response, not an exception: the attempt spent must commit.
            values["error"] = refusal
            return request.render("aftersales.qr_verify", values, status=400)
        values = self._qr_values(unit_sudo, token, order=order_sudo)
        return request.render("aftersales.qr_done", values)

    def _qr_request_values(self, unit_sudo, kwargs):
        Order = request.env["aftersales.order"]
        return {
            "name": kwargs.get("name"),
            "service_type_id": kwargs.get("service_type_id"),
            "description": kwargs.get("description"),
            "preferred_date": Order._portal_parse_preferred_date(
                kwargs.get("preferred_date"),
                unit_sudo.company_id.partner_id.tz or "UTC",
            ),
            "photos": self._read_request_photos(),
        }

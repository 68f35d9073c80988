import logging
from urllib.parse import parse_qsl

from odoo import http
from odoo.http import request

from ..tools.untrusted import is_storable_text, json_loads
from .common import RateLimitMixin, json_response

_logger = logging.getLogger(__name__)

# Failed signatures per address: (attempts, window in seconds).
LIMIT_INBOUND_FAILURES_PER_ADDRESS = (30, 600)
# Field names providers commonly use for the sender, text and message id.
SENDER_KEYS = ("from", "sender", "msisdn", "From", "originator")
TEXT_KEYS = ("text", "body", "message", "Body", "content")
REF_KEYS = ("id", "message_id", "MessageSid", "ref", "uuid")
MAX_INBOUND_BODY = 16 * 1024
# What a provider's request holds at most: flat fields, short ids.
INBOUND_MIMETYPES = ("application/json", "application/x-www-form-urlencoded")
MAX_INBOUND_DEPTH = 16
MAX_INBOUND_FIELDS = 100
MAX_INBOUND_SENDER = 128
MAX_INBOUND_REF = 255


class AftersalesSmsController(RateLimitMixin, http.Controller):
    """Customers' SMS replies, forwarded by the gateway (a machine endpoint:
    validate, check the signature, hand over to the model)."""

    @staticmethod
    def _parse_inbound_payload(raw, mimetype):
        """(sender, text, provider ref) of a provider's request, read from the
        raw bytes the signature covers; None when malformed."""
        try:
            if mimetype == "application/x-www-form-urlencoded":
                payload = {}
                for key, value in parse_qsl(
                    raw.decode(),
                    keep_blank_values=True,
                    errors="strict",
                    max_num_fields=MAX_INBOUND_FIELDS,
                ):
                    # The first value of a field, as werkzeug's form gives it.
                    payload.setdefault(key, value)
            else:
                payload = json_loads(raw or b"{}", MAX_INBOUND_DEPTH)
        except ValueError:
            return None
        if not isinstance(payload, dict):
            return None
        sender = next((payload[k] for k in SENDER_KEYS if payload.get(k)), None)
        text = next((payload[k] for k in TEXT_KEYS if k in payload), "")
        ref = next((payload[k] for k in REF_KEYS if payload.get(k)), None)
        ref = str(ref) if ref else ""
        if not isinstance(sender, str) or not isinstance(text, str):
            return None
        if len(sender) > MAX_INBOUND_SENDER or len(ref) > MAX_INBOUND_REF:
            return None
        if not all(is_storable_text(value) for value in (sender, text, ref)):
            return None
        return sender.strip(), text.strip(), ref or False

    def _check_inbound_signature(self, gateway_sudo, raw):
        """None for an authentic and fresh request, else the error response.

        Checked before the address limit: a third party failing from the
        provider's address (a shared NAT, a proxy) cannot lock the provider
        out. Failures count per address, and past the limit get a 429.
        """
        headers = request.httprequest.headers
        reason = "unknown_gateway"
        if gateway_sudo:
            reason = gateway_sudo._verify_signature(
                headers.get("X-Aftersales-Timestamp"),
                headers.get("X-Aftersales-Signature"),
                raw,
            )
        if not reason:
            return None
        address = self._remote_address()
        address_key = f"sms-inbound:{self._limit_address()}"
        if self._is_limited(address_key, LIMIT_INBOUND_FAILURES_PER_ADDRESS):
            _logger.warning("Inbound SMS refused: too many failures from %s", address)
            return json_response(429, error="too_many_attempts")
        self._count_attempt(address_key, LIMIT_INBOUND_FAILURES_PER_ADDRESS)
        _logger.warning("Inbound SMS refused (%s) from %s", reason, address)
        status, error = {
            "unknown_gateway": (404, "unknown_gateway"),
            "timestamp": (403, "stale_or_missing_timestamp"),
        }.get(reason, (403, "bad_signature"))
        return json_response(status, error=error)

    @http.route(
        "/aftersales/sms/inbound/<string:gateway_token>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
        # ir.http refuses a longer or unannounced body before reading it, and
        # keeps the bytes received before Odoo parses a form out of them.
        aftersales_max_body=MAX_INBOUND_BODY,
    )
    def aftersales_sms_inbound(self, gateway_token, **kwargs):
        """A customer's SMS, forwarded by the gateway, signed with its secret
        over the exact bytes of the body (JSON or form-encoded)."""
        # Looking the gateway up by its token is what the public user cannot
        # do; everything after the signature runs only for an authentic request.
        gateway_sudo = request.env["aftersales.sms.gateway"]._get_by_inbound_token(
            gateway_token
        )
        raw = request.httprequest.get_data(cache=True)
        refused = self._check_inbound_signature(gateway_sudo, raw)
        if refused:
            return refused
        mimetype = request.httprequest.mimetype
        if mimetype not in INBOUND_MIMETYPES:
            return json_response(415, error="unsupported_media_type")
        parsed = self._parse_inbound_payload(raw, mimetype)
        if not parsed:
            return json_response(400, error="bad_payload")
        # Authentic: stored for the cron, which the public user cannot do.
        inbound_sudo = request.env["aftersales.sms.inbound"].sudo()
        signature = request.httprequest.headers["X-Aftersales-Signature"].lower()
        sender, text, ref = parsed
        inbound_id = inbound_sudo._receive(gateway_sudo, signature, ref, sender, text)
        if not inbound_id:
            # Authentic, so not an attack on the address: a provider retrying.
            _logger.warning("Inbound SMS refused (replayed): %s", signature[:12])
            return json_response(409, error="replayed")
        # Applied by a cron woken at once: the gateway gets its answer now and
        # the decision runs in its own transaction (see _process_pending).
        return json_response(202, result="accepted", id=inbound_id)

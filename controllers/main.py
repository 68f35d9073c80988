import ipaddress
import logging
from urllib.parse import parse_qsl

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request
from odoo.tools import format_datetime

from odoo.addons.portal.controllers.portal import CustomerPortal

from ..tools.untrusted import is_storable_text, json_loads

_logger = logging.getLogger(__name__)

# Bounded attempts on the public routes: (attempts, window in seconds).
LIMIT_INBOUND_FAILURES_PER_ADDRESS = (30, 600)
LIMIT_LINK_FAILURES_PER_ADDRESS = (20, 600)
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


def _json_response(status, **values):
    return request.make_json_response(values, status=status)


def limit_address(address):
    """The client address as the limits key it: an IPv4 address as is, an
    IPv6 one by its /64 network (one subscriber gets a whole /64, and would
    otherwise have a fresh address, and a fresh counter, per attempt)."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if ip.version == 6 and ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class AftersalesController(CustomerPortal):
    # ------------------------------------------------------------
    # Abuse limits
    # ------------------------------------------------------------

    # The client's address is werkzeug's remote_addr as Odoo gives it: behind
    # a reverse proxy, Odoo's proxy_mode (ProxyFix, one hop) makes it the
    # address the proxy saw; nothing here reads X-Forwarded-For itself.

    @staticmethod
    def _remote_address():
        """The client's address, as recorded with what it does."""
        return request.httprequest.remote_addr or "unknown"

    @staticmethod
    def _limit_address():
        """The client's address as the per-address limits key it."""
        return limit_address(request.httprequest.remote_addr)

    @staticmethod
    def _is_limited(key, limit):
        attempts, window = limit
        return request.env["aftersales.rate.limit"]._count(key, window) >= attempts

    @staticmethod
    def _count_attempt(key, limit):
        """Count one attempt; True when it is over the limit. Counted in the
        request's transaction: answer with a response, do not raise after."""
        return request.env["aftersales.rate.limit"]._hit(key, limit[1]) > limit[0]

    # ------------------------------------------------------------
    # Incoming SMS
    # ------------------------------------------------------------

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
            return _json_response(429, error="too_many_attempts")
        self._count_attempt(address_key, LIMIT_INBOUND_FAILURES_PER_ADDRESS)
        _logger.warning("Inbound SMS refused (%s) from %s", reason, address)
        status, error = {
            "unknown_gateway": (404, "unknown_gateway"),
            "timestamp": (403, "stale_or_missing_timestamp"),
        }.get(reason, (403, "bad_signature"))
        return _json_response(status, error=error)

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
            return _json_response(415, error="unsupported_media_type")
        parsed = self._parse_inbound_payload(raw, mimetype)
        if not parsed:
            return _json_response(400, error="bad_payload")
        # Authentic: stored for the cron, which the public user cannot do.
        inbound_sudo = request.env["aftersales.sms.inbound"].sudo()
        signature = request.httprequest.headers["X-Aftersales-Signature"].lower()
        sender, text, ref = parsed
        inbound_id = inbound_sudo._receive(gateway_sudo, signature, ref, sender, text)
        if not inbound_id:
            # Authentic, so not an attack on the address: a provider retrying.
            _logger.warning("Inbound SMS refused (replayed): %s", signature[:12])
            return _json_response(409, error="replayed")
        # Applied by a cron woken at once: the gateway gets its answer now and
        # the decision runs in its own transaction (see _process_pending).
        return _json_response(202, result="accepted", id=inbound_id)

    # ------------------------------------------------------------
    # Approval page
    # ------------------------------------------------------------

    def _document_check_access(self, model_name, document_id, access_token=None):
        document_sudo = super()._document_check_access(
            model_name, document_id, access_token
        )
        if (
            model_name == "aftersales.order"
            and not request.env[model_name].browse(document_id).has_access("read")
            and document_sudo._check_link_token(access_token) != "valid"
        ):
            # Reached by the token, which opens the order only while the
            # link serves its purpose (decided or expired: no more).
            raise AccessError(request.env._("This link is no longer valid."))
        return document_sudo

    def _check_order_link(self, order_id, access_token):
        """(order in sudo, None) for the holder of the order's open link, or
        (None, HTTP status): 429 once the address made too many wrong
        attempts, 404 for a wrong link, 410 for an expired one.

        Only wrong links count, against the address: views of a valid link
        never use up anything."""
        address_key = f"approval-address:{self._limit_address()}"
        # Looking the order up by id is what the public user cannot do;
        # nothing of it is used unless the token matches.
        order_sudo = request.env["aftersales.order"].sudo().browse(order_id).exists()
        token_state = order_sudo and order_sudo._check_link_token(access_token)
        if not token_state:
            # Only failures count and only failures are refused: others' wrong
            # tries on a shared address never lock out a valid link's holder.
            limited = self._count_attempt(address_key, LIMIT_LINK_FAILURES_PER_ADDRESS)
            _logger.info(
                "Order %s refused a wrong token from %s",
                order_id,
                self._remote_address(),
            )
            return None, 429 if limited else 404
        if token_state == "expired":
            return order_sudo, 410
        return order_sudo, None

    def _approval_check_access(self, order_id, access_token):
        """(order, None) for the order's customer, logged in, or the holder
        of its open link, the order in sudo; (None, error response)
        otherwise. Reading the order is not enough: staff and dealers do not
        decide for the customer."""
        # The customer check reads the order as superuser; the id names it.
        order_sudo = request.env["aftersales.order"].sudo().browse(order_id).exists()
        if order_sudo and order_sudo._is_customer_user(request.env.user):
            # Logged in: no link, no attempt limit to use up.
            return order_sudo, None
        order_sudo, status = self._check_order_link(order_id, access_token)
        if status:
            # A response, not an exception: the request must not roll back
            # (the attempt is counted in its own transaction anyway).
            error = {429: "limit", 410: "expired"}.get(status, "invalid")
            return None, request.make_response(
                self._render_approval_error(error, order_sudo), status=status
            )
        return order_sudo, None

    def _render_approval_error(self, error, order_sudo=None):
        """The error page; an expired link says whom to call, nothing more
        of the order."""
        contact = order_sudo and (order_sudo.center_id or order_sudo.company_id)
        if order_sudo:
            self._approval_set_lang(order_sudo)
        return request.env["ir.ui.view"]._render_template(
            "aftersales.approval_page_error",
            {
                "error": error,
                "expired_text": contact
                and request.env._(
                    "This link has expired. Please contact %(contact)s.",
                    contact=contact.name,
                ),
                "contact_phone": order_sudo and order_sudo.center_phone,
            },
        )

    def _approval_set_lang(self, order_sudo):
        """The approval page speaks the reader's language: the one in the
        URL (/fa/aftersales/approval/...), else the logged-in user's, else
        the order's customer's (the link is theirs), else the browser's."""
        lang = request.env["ir.http"]._aftersales_reader_lang(
            order_sudo.partner_id.lang
        )
        if lang and lang != request.env.lang:
            request.update_context(lang=lang)

    def _approval_texts(self, order_sudo, tz):
        """Sentences with a name or a date in them, whole: each language
        puts the value and the punctuation where its grammar wants them."""
        env = request.env

        def when(value):
            # Isolated left to right: in a Persian sentence the date's parts
            # would otherwise be reordered around the space between them.
            date = format_datetime(env, value, tz=tz, dt_format="short")
            return f"\u2066{date}\u2069"

        decision = order_sudo.approval_ids[:1]
        decided = ""
        if decision.decision == "approved":
            decided = env._(
                "You approved the work on %(date)s.", date=when(decision.decision_date)
            )
        elif decision:
            decided = env._(
                "You rejected the work on %(date)s.", date=when(decision.decision_date)
            )
        contact = order_sudo.center_id or order_sudo.company_id
        return {
            "valid_until": env._(
                "This link is valid until %(date)s.",
                date=when(order_sudo.approval_link_expiry),
            ),
            "decided": decided,
            "expired": env._(
                "This link has expired. Please contact %(contact)s.",
                contact=contact.name,
            ),
        }

    def _prepare_approval_page_values(self, order_sudo, access_token, **kwargs):
        expired = order_sudo.approval_link_expired
        self._approval_set_lang(order_sudo)
        summary = order_sudo._get_decision_summary()
        if "photos" in kwargs:
            summary["photos"] = kwargs.pop("photos")
        tz = order_sudo._get_portal_tz()
        return {
            "order": order_sudo,
            "access_token": access_token,
            "expired": expired,
            "waiting": order_sudo.state == "awaiting_approval" and not expired,
            "decision": order_sudo.approval_ids[:1],
            "summary": summary,
            "photos": summary["photos"],
            "lines": summary["lines"],
            "texts": self._approval_texts(order_sudo, tz),
            "tz": tz,
            **kwargs,
        }

    @http.route(
        "/aftersales/approval/<int:order_id>",
        type="http",
        auth="public",
        methods=["GET"],
        website=False,
        sitemap=False,
    )
    def aftersales_approval_page(self, order_id, access_token=None, **kwargs):
        """The page the approval SMS links to: the work, approve or reject."""
        order_sudo, limited = self._approval_check_access(order_id, access_token)
        if limited:
            return limited
        values = self._prepare_approval_page_values(
            order_sudo, access_token, message=kwargs.get("message")
        )
        return request.render(
            "aftersales.approval_page", values, status=410 if values["expired"] else 200
        )

    @http.route(
        "/aftersales/approval/<int:order_id>/photo/<int:media_id>",
        type="http",
        auth="public",
        methods=["GET"],
        website=False,
        sitemap=False,
    )
    def aftersales_approval_photo(
        self, order_id, media_id, access_token=None, size="large", **kwargs
    ):
        """A photo of the work, for the holder of the order's link. Photos
        do not count against the link's request limit (a page shows many);
        wrong tokens count against the address like the page's. Shown in
        the page only when its bytes verify as an image, else a download."""
        address_key = f"approval-address:{self._limit_address()}"
        try:
            order_sudo = self._document_check_access(
                "aftersales.order", order_id, access_token
            )
        except (AccessError, MissingError):
            limited = self._count_attempt(address_key, LIMIT_LINK_FAILURES_PER_ADDRESS)
            return request.make_response("", status=429 if limited else 404)
        media_sudo = order_sudo._get_approval_page_media().filtered(
            lambda m: m.id == media_id
        )
        if not media_sudo or not order_sudo.company_id.aftersales_approval_show_photos:
            return request.make_response("", status=404)
        stream, inline = media_sudo._get_customer_stream(size)
        return stream.get_response(as_attachment=not inline)

    @http.route(
        "/aftersales/approval/<int:order_id>/decide",
        type="http",
        auth="public",
        methods=["POST"],
        website=False,
        sitemap=False,
    )
    def aftersales_approval_decide(
        self,
        order_id,
        access_token=None,
        decision=None,
        feedback=None,
        rating=None,
        **kwargs,
    ):
        """Record the customer's decision, once: the customer logged in, or
        the holder of the link."""
        order_sudo, refused = self._approval_check_access(order_id, access_token)
        if refused:
            return refused
        values = self._prepare_approval_page_values(order_sudo, access_token)
        if values["expired"]:
            return request.render("aftersales.approval_page", values, status=410)
        feedback = (feedback or "").strip()[:2000]
        error = self._approval_form_error(decision, feedback, rating)
        if error:
            values |= {"error": error, "feedback": feedback}
            return request.render("aftersales.approval_page", values, status=400)
        try:
            order_sudo._record_decision_from_link(
                decision,
                feedback=feedback,
                rating=rating or False,
                ip_address=self._remote_address(),
                user_agent=request.httprequest.user_agent.string,
            )
        except UserError:
            # Submitted twice, replayed or decided meanwhile by another
            # channel: the first decision stands.
            values = self._prepare_approval_page_values(order_sudo, access_token)
            return request.render(
                "aftersales.approval_page", values | {"message": "already"}
            )
        return self._approval_decided_response(order_sudo, kwargs.get("redirect"))

    @staticmethod
    def _approval_form_error(decision, feedback, rating):
        """The error code of a bad decision form, or None."""
        if decision not in ("approve", "reject"):
            return "decision"
        if decision == "reject" and not feedback:
            return "reason"
        if rating and rating not in ("1", "2", "3", "4", "5"):
            return "rating"
        return None

    def _approval_decided_response(self, order_sudo, redirect):
        """Where the customer lands after deciding. The link's token is void
        now: the holder of the link gets the page itself, the customer logged
        in goes on to a page that needs no token."""
        if order_sudo._is_customer_user(request.env.user):
            url = (
                f"/my/service-orders/{order_sudo.id}"
                if redirect == "portal"
                else f"/aftersales/approval/{order_sudo.id}"
            )
            return request.redirect(f"{url}?message=thanks", code=303)
        values = self._prepare_approval_page_values(
            order_sudo,
            None,
            message="thanks",
            photos=request.env["aftersales.order.media"],
        )
        return request.render("aftersales.approval_page", values)

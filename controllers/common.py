"""What every controller of the addon shares: the abuse limits of the public
routes and, for the portal pages, one check of document access."""

import ipaddress
import logging

from odoo.exceptions import AccessError, UserError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal

_logger = logging.getLogger(__name__)

# Wrong links to an order, per address: (attempts, window in seconds).
LIMIT_LINK_FAILURES_PER_ADDRESS = (20, 600)
MAX_PHOTO_BYTES = 10 * 1024 * 1024


def json_response(status, **values):
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


class RateLimitMixin:
    """The attempt limits of the routes, one way for all of them.

    The client's address is werkzeug's remote_addr as Odoo gives it: behind
    a reverse proxy, Odoo's proxy_mode (ProxyFix, one hop) makes it the
    address the proxy saw; nothing here reads X-Forwarded-For itself."""

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


class AftersalesPortalCommon(RateLimitMixin, CustomerPortal):
    """What the addon's portal pages share: access to an order by its user
    or its link, within limits, and the page that refuses it."""

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

    def _check_access_limited(
        self, model_name, document_id, access_token, *, customer_only=False
    ):
        """(document in sudo, None) for a user who may open it without a
        token, or the holder of its open link; (document in sudo or None,
        HTTP status) otherwise: 404 for a missing document or a wrong link,
        429 once the address made too many wrong attempts, 410 for the right
        link past its expiry (with the document, to say whom to call).

        Without a token: anyone who may read the document, or with
        ``customer_only`` only its customer logged in (staff and dealers do
        not decide for the customer). Only wrong links count, against the
        address: views of a valid link never use up anything, and others'
        wrong tries on a shared address never lock out its holder."""
        # Looking the document up by id is what the public user cannot do;
        # nothing of it is used unless the user or the token may open it.
        document_sudo = request.env[model_name].sudo().browse(document_id).exists()
        if document_sudo and (
            document_sudo._is_customer_user(request.env.user)
            if customer_only
            else request.env[model_name].browse(document_id).has_access("read")
        ):
            # Logged in: no link, no attempt limit to use up.
            return document_sudo, None
        token_state = document_sudo and document_sudo._check_link_token(access_token)
        if not token_state:
            address_key = f"approval-address:{self._limit_address()}"
            limited = self._count_attempt(address_key, LIMIT_LINK_FAILURES_PER_ADDRESS)
            _logger.info(
                "%s %s refused a wrong token from %s",
                model_name,
                document_id,
                self._remote_address(),
            )
            return None, 429 if limited else 404
        if token_state == "expired":
            return document_sudo, 410
        return document_sudo, None

    def _refused_response(self, status, order_sudo=None):
        """The page refusing an order: 429 past the limit, 410 for an expired
        link (which says whom to call), else 404, as if it did not exist. A
        response, not an exception: the attempt counted must not roll back."""
        error = {429: "limit", 410: "expired"}.get(status, "invalid")
        return request.make_response(
            self._render_approval_error(error, order_sudo), status=status
        )

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

    def _read_request_photos(self):
        """The photos sent with a service request, as (file name, bytes)."""
        files = request.httprequest.files.getlist("photos")
        photos = []
        for upload in files:
            if not upload or not upload.filename:
                continue
            content = upload.read(MAX_PHOTO_BYTES + 1)
            if len(content) > MAX_PHOTO_BYTES:
                raise UserError(
                    request.env._(
                        "The photo %(name)s is larger than 10 MB.",
                        name=upload.filename,
                    )
                )
            photos.append((upload.filename[:200], content))
        return photos

    def _too_many(self):
        return request.env._(
            "Too many requests in the last hour: call us, or try again later."
        )

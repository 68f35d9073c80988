import json
import logging

from odoo import http
from odoo.exceptions import AccessError, ValidationError
from odoo.http import request

_logger = logging.getLogger(__name__)

MAX_SYNC_BODY = 20 * 1024 * 1024


def _json(status, **values):
    return request.make_json_response(values, status=status)


class AftersalesTechnicianController(http.Controller):
    @http.route(
        "/aftersales/technician/sync",
        type="http",
        auth="user",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def aftersales_technician_sync(self, **kwargs):
        """Apply the actions a technician's phone queued, possibly offline.

        The body is JSON ``{"actions": [{"id", "order_id", "kind", "at",
        "data"}]}``; the session authenticates and the ``X-CSRF-Token`` header
        must hold the page's CSRF token (checked here: Odoo's check reads form
        fields, not a JSON body). Answers 200 with one result per action, 400
        for a malformed body (nothing applied), 403 for someone else's order
        or a user who is no technician (nothing applied).
        """
        if not request.validate_csrf(request.httprequest.headers.get("X-CSRF-Token")):
            return _json(400, error="bad_csrf_token")
        user = request.env.user
        if not user.has_group("aftersales.group_technician"):
            return _json(403, error="not_a_technician")
        raw = request.httprequest.get_data(cache=False)
        if len(raw) > MAX_SYNC_BODY:
            return _json(413, error="too_large")
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            return _json(400, error="bad_json")
        if not isinstance(body, dict):
            return _json(400, error="bad_payload", message="Send a JSON object.")
        try:
            results = request.env["aftersales.sync.action"]._sync(
                user, body.get("actions")
            )
        except ValidationError as error:
            request.env.cr.rollback()
            return _json(400, error="bad_payload", message=error.args[0])
        except AccessError as error:
            request.env.cr.rollback()
            _logger.warning("Sync refused for user %s: %s", user.id, error.args[0])
            return _json(403, error="not_your_order", message=error.args[0])
        return _json(200, results=results)

import json
import logging

from markupsafe import Markup

from odoo import fields, http
from odoo.exceptions import AccessError, ValidationError
from odoo.http import request
from odoo.tools.misc import file_path

from ..tools.untrusted import json_loads
from .common import RateLimitMixin, json_response

_logger = logging.getLogger(__name__)

MAX_SYNC_BODY = 20 * 1024 * 1024
# {"actions": [{"data": {...}}]}: the deepest value the phone sends is at 4.
MAX_SYNC_DEPTH = 8
# Sync requests per technician and hour: the app syncs every 30 s and on
# reconnecting, and sends a refused batch again one action at a time (up to
# 100 requests); this bounds what one account uploads (photos included).
LIMIT_SYNC_PER_USER = (600, 3600)
# The knowledge base in the app: what one search sends back.
MAX_ARTICLE_QUERY = 200
MAX_ARTICLES_FOUND = 20


class AftersalesTechnicianController(RateLimitMixin, http.Controller):
    """The technician's phone app: its page, its jobs and its sync route."""

    def _check_sync_request(self):
        """None for a technician's sync request within its limits, else the
        error response. The ``X-CSRF-Token`` header must hold the page's CSRF
        token (checked here: Odoo's check reads form fields, not a JSON
        body)."""
        if not request.validate_csrf(request.httprequest.headers.get("X-CSRF-Token")):
            return json_response(400, error="bad_csrf_token")
        user = request.env.user
        if not user.has_group("aftersales.group_technician"):
            return json_response(403, error="not_a_technician")
        if self._count_attempt(f"sync:{user.id}", LIMIT_SYNC_PER_USER):
            # The phone keeps its queue and tries again later.
            return json_response(429, error="too_many_requests")
        return None

    @http.route(
        "/aftersales/technician/sync",
        type="http",
        auth="user",
        methods=["POST"],
        csrf=False,
        save_session=False,
        # ir.http refuses a longer or unannounced body before reading it.
        aftersales_max_body=MAX_SYNC_BODY,
    )
    def aftersales_technician_sync(self, **kwargs):
        """Apply the actions a technician's phone queued, possibly offline.

        The body is JSON ``{"actions": [{"id", "order_id", "kind", "at",
        "data"}]}``; the session authenticates, the ``X-CSRF-Token`` header
        carries the page's CSRF token. Answers 200 with one result per action
        (a malformed action is a conflict), 400 for a malformed body (nothing
        applied), 403 for someone else's order or a user who is no technician
        (nothing applied).
        """
        refused = self._check_sync_request()
        if refused:
            return refused
        try:
            body = json_loads(request.httprequest.get_data() or b"null", MAX_SYNC_DEPTH)
        except ValueError:
            return json_response(400, error="bad_json")
        if not isinstance(body, dict):
            message = request.env._("Send a JSON object.")
            return json_response(400, error="bad_payload", message=message)
        user = request.env.user
        try:
            # All or nothing: a refused batch applies none of its actions.
            results = request.env["aftersales.sync.action"]._sync(
                user, body.get("actions")
            )
        except ValidationError as error:
            return json_response(400, error="bad_payload", message=error.args[0])
        except AccessError as error:
            _logger.warning("Sync refused for user %s: %s", user.id, error.args[0])
            return json_response(403, error="not_your_order", message=error.args[0])
        return json_response(200, results=results)

    # ------------------------------------------------------------
    # The technician's phone app (installable web app)
    # ------------------------------------------------------------

    def _ensure_technician(self):
        if not request.env.user.has_group("aftersales.group_technician"):
            raise request.not_found()

    def _render_technician_app(self, order_id=None):
        """The app's page in the technician's language and direction, with
        the app's texts translated by Odoo (app.js has none of its own)."""
        user = request.env.user
        lang = request.env["res.lang"]._get_data(code=user.lang or "en_US")
        request.update_context(lang=lang.code or "en_US")
        labels = {
            **request.env["aftersales.order"]._technician_app_labels(),
            **request.env["aftersales.article"]._technician_app_labels(),
        }
        return request.render(
            "aftersales.technician_app",
            {
                "user": user,
                "order_id": order_id or "",
                # Inside <script>: not HTML-escaped, "</" kept from closing it.
                "labels_json": Markup(
                    json.dumps(labels, ensure_ascii=False).replace("</", "<\\/")
                ),
                "html_data": {
                    "lang": (lang.code or "en_US").replace("_", "-"),
                    "dir": lang.direction or "ltr",
                },
            },
        )

    @http.route("/my/technician", type="http", auth="user", methods=["GET"])
    def aftersales_technician_app(self, **kwargs):
        """The app's single page: orders come from the JSON route, so that the
        page itself can be cached for offline use."""
        self._ensure_technician()
        return self._render_technician_app()

    @http.route(
        "/my/technician/job/<int:order_id>", type="http", auth="user", methods=["GET"]
    )
    def aftersales_technician_job(self, order_id, **kwargs):
        """The app opened on one job: the link of the technician's SMS."""
        self._ensure_technician()
        # Read as the user: the record rules hide other technicians' jobs.
        order = request.env["aftersales.order"].search(
            [("id", "=", order_id), ("technician_id.user_id", "=", request.env.user.id)]
        )
        if not order:
            raise request.not_found()
        return self._render_technician_app(order.id)

    @http.route(
        "/my/technician/orders.json",
        type="http",
        auth="user",
        methods=["GET"],
        readonly=True,
    )
    def aftersales_technician_orders(self, **kwargs):
        self._ensure_technician()
        user = request.env.user
        # Labels of states and kinds in the technician's language.
        request.update_context(lang=user.lang or "en_US")
        orders = request.env["aftersales.order"]._technician_app_orders(user)
        return json_response(
            200,
            orders=orders._technician_app_values(user),
            server_time=fields.Datetime.to_string(fields.Datetime.now()),
        )

    @http.route(
        "/my/technician/articles.json",
        type="http",
        auth="user",
        methods=["GET"],
        readonly=True,
    )
    def aftersales_technician_articles(self, q="", **kwargs):
        """The knowledge articles of the products of the technician's jobs
        (the app keeps them for offline reading), or with ``q`` the best
        matches in the whole knowledge base, read as the technician."""
        self._ensure_technician()
        user = request.env.user
        request.update_context(lang=user.lang or "en_US")
        Article = request.env["aftersales.article"]
        query = str(q or "").strip()[:MAX_ARTICLE_QUERY]
        if query:
            articles = Article._search_articles(query, limit=MAX_ARTICLES_FOUND)
        else:
            orders = request.env["aftersales.order"]._technician_app_orders(user)
            articles = Article._technician_app_articles(orders)
        return json_response(200, articles=articles._technician_app_values())

    @http.route(
        "/my/technician/sw.js",
        type="http",
        auth="public",
        methods=["GET"],
        readonly=True,
    )
    def aftersales_technician_service_worker(self, **kwargs):
        # Served from /my/technician/ so that its scope covers the app.
        path = file_path("aftersales/static/src/technician/sw.js")
        with open(path, "rb") as handle:
            content = handle.read()
        return request.make_response(
            content,
            headers=[
                ("Content-Type", "text/javascript; charset=utf-8"),
                ("Cache-Control", "no-cache"),
                ("Service-Worker-Allowed", "/my/technician"),
            ],
        )

    @http.route(
        "/my/technician/manifest.webmanifest",
        type="http",
        auth="public",
        methods=["GET"],
        readonly=True,
    )
    def aftersales_technician_manifest(self, **kwargs):
        manifest = {
            "name": request.env._("After-Sales Jobs"),
            "short_name": request.env._("Jobs"),
            "start_url": "/my/technician",
            "scope": "/my/technician",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#714B67",
            "icons": [
                {
                    "src": "/aftersales/static/description/icon.png",
                    "sizes": "128x128",
                    "type": "image/png",
                }
            ],
        }
        return request.make_response(
            json.dumps(manifest),
            headers=[("Content-Type", "application/manifest+json")],
        )

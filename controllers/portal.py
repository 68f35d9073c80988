import logging

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request

from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..models.aftersales_order_portal import MAX_PORTAL_PHOTOS, PORTAL_OPEN_STATES
from .main import AftersalesController

_logger = logging.getLogger(__name__)

# Bounded attempts: service requests per user and per hour.
LIMIT_REQUESTS_PER_USER = (20, 3600)
MAX_PHOTO_BYTES = 10 * 1024 * 1024


class AftersalesCustomerPortal(AftersalesController):
    """My service orders, my products and service requests on the portal."""

    # ------------------------------------------------------------
    # Home counters
    # ------------------------------------------------------------

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        partner = request.env.user.partner_id
        Order = request.env["aftersales.order"]
        if "service_order_count" in counters:
            values["service_order_count"] = (
                Order.search_count(self._service_orders_domain(partner))
                if Order.has_access("read")
                else 0
            )
        if "service_product_count" in counters:
            values["service_product_count"] = len(Order._portal_get_units(partner))
        return values

    # ------------------------------------------------------------
    # My service orders
    # ------------------------------------------------------------

    def _service_orders_domain(self, partner):
        return [("partner_id", "child_of", [partner.commercial_partner_id.id])]

    def _service_order_filters(self):
        _ = request.env._
        return {
            "all": {"label": _("All"), "domain": []},
            "open": {
                "label": _("In progress"),
                "domain": [("state", "in", PORTAL_OPEN_STATES)],
            },
            "approval": {
                "label": _("Awaiting my approval"),
                "domain": [("state", "=", "awaiting_approval")],
            },
            "done": {"label": _("Completed"), "domain": [("state", "=", "done")]},
        }

    def _service_order_sortings(self):
        _ = request.env._
        return {
            "date": {"label": _("Newest"), "order": "create_date desc, id desc"},
            "name": {"label": _("Reference"), "order": "name desc"},
            "state": {"label": _("Status"), "order": "state, create_date desc"},
        }

    def _service_order_search_domain(self, search):
        # Customers may not read serials and products: match them as
        # superuser, then filter the customer's own orders by the ids.
        lots_sudo = request.env["stock.lot"].sudo()._search([("name", "ilike", search)])
        products_sudo = request.env["product.product"].sudo()._search(
            [("name", "ilike", search)]
        )
        return [
            "|",
            "|",
            ("name", "ilike", search),
            ("lot_id", "in", lots_sudo),
            ("product_id", "in", products_sudo),
        ]

    @http.route(
        ["/my/service-orders", "/my/service-orders/page/<int:page>"],
        type="http",
        auth="user",
        methods=["GET"],
        website=True,
    )
    def portal_my_service_orders(
        self, page=1, sortby="date", filterby="all", search=None, **kwargs
    ):
        Order = request.env["aftersales.order"]
        partner = request.env.user.partner_id
        filters = self._service_order_filters()
        sortings = self._service_order_sortings()
        filterby = filterby if filterby in filters else "all"
        sortby = sortby if sortby in sortings else "date"
        domain = self._service_orders_domain(partner) + filters[filterby]["domain"]
        search = (search or "").strip()[:100]
        if search:
            domain += self._service_order_search_domain(search)
        count = Order.search_count(domain) if Order.has_access("read") else 0
        pager = portal_pager(
            url="/my/service-orders",
            url_args={"sortby": sortby, "filterby": filterby, "search": search},
            total=count,
            page=page,
            step=self._items_per_page,
        )
        orders = (
            Order.search(
                domain,
                order=sortings[sortby]["order"],
                limit=self._items_per_page,
                offset=pager["offset"],
            )
            if count
            else Order
        )
        request.session["my_service_orders_history"] = orders.ids[:100]
        values = self._prepare_portal_layout_values()
        values.update(
            {
                # Read as the customer (rules checked above); the page shows
                # fields of the center and product the portal cannot read.
                "orders": orders.sudo(),
                "page_name": "service_order",
                "pager": pager,
                "default_url": "/my/service-orders",
                "searchbar_sortings": sortings,
                "sortby": sortby,
                "searchbar_filters": filters,
                "filterby": filterby,
                "search": search,
                "search_in": "all",
                "searchbar_inputs": {
                    "all": {
                        "input": "all",
                        "label": request.env._("Reference, serial or product"),
                    }
                },
            }
        )
        return request.render("aftersales.portal_my_service_orders", values)

    @http.route(
        ["/my/service-orders/<int:order_id>"],
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
    )
    def portal_service_order_page(
        self, order_id, access_token=None, report_type=None, download=False, **kwargs
    ):
        try:
            order_sudo = self._document_check_access(
                "aftersales.order", order_id, access_token
            )
        except (AccessError, MissingError):
            # Someone else's order, or a wrong token: it does not exist.
            raise request.not_found() from None
        if report_type in ("html", "pdf", "text"):
            return self._show_report(
                model=order_sudo,
                report_type=report_type,
                report_ref="aftersales.action_report_service_order",
                download=download,
            )
        values = self._service_order_page_values(order_sudo, access_token, **kwargs)
        return request.render("aftersales.portal_service_order_page", values)

    def _service_order_page_values(self, order_sudo, access_token, **kwargs):
        values = self._get_page_view_values(
            order_sudo,
            access_token,
            {
                "order": order_sudo,
                "page_name": "service_order",
                "timeline": order_sudo._get_portal_timeline(),
                "photos": order_sudo._get_portal_media()[:20],
                "approval_token": order_sudo._portal_ensure_token(),
                "can_rate": order_sudo._can_portal_rate(),
                "message": kwargs.get("message"),
                "error": kwargs.get("error"),
                "tz": order_sudo.center_id.resource_calendar_id.tz
                or request.env.user.tz
                or "UTC",
            },
            "my_service_orders_history",
            False,
        )
        return values

    @http.route(
        ["/my/service-orders/<int:order_id>/rate"],
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_service_order_rate(self, order_id, rating=None, feedback=None, **kw):
        """The customer rates completed work, once."""
        try:
            order_sudo = self._document_check_access("aftersales.order", order_id)
        except (AccessError, MissingError):
            raise request.not_found() from None
        url = f"/my/service-orders/{order_id}"
        if rating not in ("1", "2", "3", "4", "5"):
            return request.redirect(f"{url}?error=rating")
        if not order_sudo._can_portal_rate():
            return request.redirect(f"{url}?message=already_rated")
        order_sudo._apply_customer_rating(int(rating), (feedback or "").strip()[:2000])
        return request.redirect(f"{url}?message=rated")

    # ------------------------------------------------------------
    # My products
    # ------------------------------------------------------------

    @http.route(
        ["/my/service-products", "/my/service-products/page/<int:page>"],
        type="http",
        auth="user",
        methods=["GET"],
        website=True,
    )
    def portal_my_service_products(self, page=1, **kwargs):
        partner = request.env.user.partner_id
        units_sudo = request.env["aftersales.order"]._portal_get_units(partner)
        pager = portal_pager(
            url="/my/service-products",
            total=len(units_sudo),
            page=page,
            step=self._items_per_page,
        )
        units_sudo = units_sudo.sorted("name")[
            pager["offset"] : pager["offset"] + self._items_per_page
        ]
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "units": units_sudo,
                "warranties": self._unit_warranties(units_sudo, partner),
                "page_name": "service_product",
                "pager": pager,
                "default_url": "/my/service-products",
            }
        )
        return request.render("aftersales.portal_my_service_products", values)

    def _unit_warranties(self, units_sudo, partner):
        commercial = partner.commercial_partner_id
        warranties_sudo = (
            request.env["aftersales.warranty"]
            .sudo()
            .search(
                [
                    ("lot_id", "in", units_sudo.ids),
                    ("partner_id", "child_of", commercial.id),
                ],
                order="date_end desc",
            )
        )
        result = {}
        for warranty in warranties_sudo:
            result.setdefault(warranty.lot_id.id, warranty)
        return result

    @http.route(
        ["/my/service-products/<int:lot_id>"],
        type="http",
        auth="user",
        methods=["GET"],
        website=True,
    )
    def portal_service_product_page(self, lot_id, **kwargs):
        partner = request.env.user.partner_id
        Order = request.env["aftersales.order"]
        units_sudo = Order._portal_get_units(partner)
        unit_sudo = units_sudo.filtered(lambda lot: lot.id == lot_id)
        if not unit_sudo:
            raise request.not_found()
        orders = Order.search(
            self._service_orders_domain(partner) + [("lot_id", "=", lot_id)],
            order="create_date desc",
        )
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "unit": unit_sudo,
                "warranty": self._unit_warranties(unit_sudo, partner).get(lot_id),
                "orders": orders.sudo(),
                "page_name": "service_product",
            }
        )
        return request.render("aftersales.portal_service_product_page", values)

    # ------------------------------------------------------------
    # Service requests
    # ------------------------------------------------------------

    def _service_request_values(self, partner, **kwargs):
        Order = request.env["aftersales.order"]
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "service_request",
                "units": Order._portal_get_units(partner).sorted("name"),
                "service_types": Order._portal_get_service_types(partner),
                "max_photos": MAX_PORTAL_PHOTOS,
                "form": kwargs,
            }
        )
        return values

    @http.route(
        ["/my/service-orders/new"],
        type="http",
        auth="user",
        methods=["GET"],
        website=True,
    )
    def portal_service_request_form(self, **kwargs):
        partner = request.env.user.partner_id
        form = {
            key: kwargs.get(key, "")
            for key in ("lot_id", "serial", "product_code", "service_type_id")
        }
        return request.render(
            "aftersales.portal_service_request",
            self._service_request_values(partner, **form),
        )

    def _read_request_photos(self):
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

    @http.route(
        ["/my/service-orders/new"],
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_service_request_submit(self, **kwargs):
        """Create the request; a bad field re-renders the form with the
        customer's input and a 400, nothing created."""
        partner = request.env.user.partner_id
        key = f"portal-request:{request.env.uid}"
        RateLimit = request.env["aftersales.rate.limit"]
        if RateLimit._count(key, LIMIT_REQUESTS_PER_USER[1]) >= (
            LIMIT_REQUESTS_PER_USER[0]
        ):
            values = self._service_request_values(partner, **kwargs)
            values["error"] = request.env._(
                "Too many requests in the last hour: call us, or try again later."
            )
            return request.render(
                "aftersales.portal_service_request", values, status=429
            )
        RateLimit._hit(key, LIMIT_REQUESTS_PER_USER[1])
        Order = request.env["aftersales.order"]
        try:
            photos = self._read_request_photos()
            tz = request.env.user.tz or partner.tz or "UTC"
            # A refused photo must not leave the order behind.
            with request.env.cr.savepoint():
                order_sudo = self._create_service_request(Order, partner, photos, tz, kwargs)
        except (UserError, ValidationError) as error:
            values = self._service_request_values(partner, **kwargs)
            values["error"] = error.args[0]
            return request.render(
                "aftersales.portal_service_request", values, status=400
            )
        return request.redirect(
            f"/my/service-orders/{order_sudo.id}?message=requested", code=303
        )

    def _create_service_request(self, Order, partner, photos, tz, kwargs):
        return Order._portal_create_request(
            partner,
            {
                "lot_id": kwargs.get("lot_id") or None,
                "serial": kwargs.get("serial"),
                "product_code": kwargs.get("product_code"),
                "service_type_id": kwargs.get("service_type_id"),
                "preferred_date": Order._portal_parse_preferred_date(
                    kwargs.get("preferred_date"), tz
                ),
                "description": kwargs.get("description"),
                "channel": "qr" if kwargs.get("qr") else "portal",
            },
            photos,
        )

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request
from odoo.tools import format_datetime

from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..models.aftersales_order.portal import MAX_PORTAL_PHOTOS
from ..models.aftersales_order.states import UNFINISHED_STATES
from .common import AftersalesPortalCommon

# Service requests per user: (attempts, window in seconds).
LIMIT_REQUESTS_PER_USER = (20, 3600)


class AftersalesCustomerPortal(AftersalesPortalCommon):
    """My service orders, my products and service requests on the portal."""

    # A phone-sized page: fast to render and to read.
    _service_orders_per_page = 20

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
        # A dealer follows the requests of its customers as well.
        commercial = [partner.commercial_partner_id.id]
        return [
            "|",
            ("partner_id", "child_of", commercial),
            ("dealer_id", "child_of", commercial),
        ]

    def _service_order_filters(self):
        env = request.env
        return {
            "all": {"label": env._("All"), "domain": []},
            "open": {
                "label": env._("In progress"),
                "domain": [("state", "in", UNFINISHED_STATES)],
            },
            "approval": {
                "label": env._("Awaiting my approval"),
                "domain": [("state", "=", "awaiting_approval")],
            },
            "done": {"label": env._("Completed"), "domain": [("state", "=", "done")]},
        }

    def _service_order_sortings(self):
        env = request.env
        return {
            "date": {"label": env._("Newest"), "order": "create_date desc, id desc"},
            "name": {"label": env._("Reference"), "order": "name desc"},
            "state": {"label": env._("Status"), "order": "state, create_date desc"},
        }

    def _service_order_search_domain(self, search):
        # Customers may not read serials and products: match them as
        # superuser, then filter the customer's own orders by the ids.
        lots_sudo = request.env["stock.lot"].sudo()._search([("name", "ilike", search)])
        products_sudo = (
            request.env["product.product"].sudo()._search([("name", "ilike", search)])
        )
        return [
            "|",
            "|",
            ("name", "ilike", search),
            ("lot_id", "in", lots_sudo),
            ("product_id", "in", products_sudo),
        ]

    def _prepare_service_orders_values(
        self, page=1, sortby="date", filterby="all", search=None
    ):
        """The values of the list of my service orders: one page of them,
        filtered, searched and sorted, with the pager and the search bar."""
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
            step=self._service_orders_per_page,
        )
        orders = (
            Order.search(
                domain,
                order=sortings[sortby]["order"],
                limit=self._service_orders_per_page,
                offset=pager["offset"],
            )
            if count
            else Order
        )
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
        return values

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
        values = self._prepare_service_orders_values(page, sortby, filterby, search)
        request.session["my_service_orders_history"] = values["orders"].ids[:100]
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
        """The order for a user who may read it, or the holder of its open
        link; wrong tokens count against the address like on the approval
        page."""
        order_sudo, status = self._check_access_limited(
            "aftersales.order", order_id, access_token
        )
        if status:
            # Someone else's order, a wrong or spent token: it does not exist.
            return self._refused_response(429 if status == 429 else 404)
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
        is_customer = order_sudo._is_customer_user(request.env.user)
        # A token reaching here is the order's open link (checked above).
        link_token = access_token if access_token and not is_customer else False
        values = self._get_page_view_values(
            order_sudo,
            access_token,
            {
                "order": order_sudo,
                "page_name": "service_order",
                "timeline": order_sudo._get_portal_timeline(),
                "photos": order_sudo._get_portal_media()[:20],
                # Only the customer, or the link's holder, decides; the
                # customer's button needs no token. Dealers follow.
                "can_decide": (is_customer or link_token)
                and order_sudo.state == "awaiting_approval"
                and not order_sudo.approval_link_expired,
                "link_token": link_token,
                "can_rate": is_customer and order_sudo._can_portal_rate(),
                "summary": order_sudo._get_decision_summary(),
                "appointment": self._portal_appointment_text(order_sudo),
                "message": kwargs.get("message"),
                "error": kwargs.get("error"),
                # One zone for the whole page, named on it.
                "tz": order_sudo._get_portal_tz(),
                "zone_text": request.env._(
                    "Times are shown in the %(zone)s time zone.",
                    zone=f"\u2066{order_sudo._get_portal_tz()}\u2069",
                ),
            },
            "my_service_orders_history",
            False,
        )
        return values

    def _portal_appointment_text(self, order_sudo):
        """(kind, sentence) of the appointment box, the time in the page's
        zone, without seconds; a time gone by is never told as to come."""
        env = request.env
        kind, when = order_sudo._get_portal_appointment()
        if not kind:
            return False, env._("Not scheduled yet.")
        # Isolated left to right, as in the approval page's sentences.
        date = format_datetime(
            env, when, tz=order_sudo._get_portal_tz(), dt_format="short"
        )
        date = f"\u2066{date}\u2069"
        sentences = {
            "upcoming": date,
            "past": env._(
                "The visit planned for %(date)s did not take place yet: your "
                "service center will call you to agree on a new time.",
                date=date,
            ),
            "visit": env._("Visit on %(date)s", date=date),
            "requested": env._("Not scheduled yet: you asked for %(date)s.", date=date),
        }
        return kind, sentences[kind]

    @http.route(
        ["/my/service-orders/<int:order_id>/rate"],
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_service_order_rate(self, order_id, rating=None, feedback=None, **kw):
        """The customer rates completed work, once; a dealer does not."""
        try:
            order_sudo = self._document_check_access("aftersales.order", order_id)
        except (AccessError, MissingError):
            raise request.not_found() from None
        if not order_sudo._is_customer_user(request.env.user):
            raise request.not_found()
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
        # The units are the customer's (see _portal_get_units); their
        # warranties are read as superuser, restricted to the customer.
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
                # Searched as the customer; shown with the center and product.
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
                "addresses": Order._portal_get_addresses(partner),
                "phones": Order._portal_get_phones(partner),
                "max_photos": MAX_PORTAL_PHOTOS,
                "form": kwargs,
            }
        )
        return values

    def _render_service_request_refused(self, partner, form, error, status):
        """The form again, with the customer's input and why it was refused."""
        values = self._service_request_values(partner, **form)
        values["error"] = error
        return request.render(
            "aftersales.portal_service_request", values, status=status
        )

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
            for key in ("lot_id", "serial", "product_code", "service_type_id", "qr")
        }
        return request.render(
            "aftersales.portal_service_request",
            self._service_request_values(partner, **form),
        )

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
        # One atomic count: parallel submits cannot all pass a check first.
        if self._count_attempt(
            f"portal-request:{request.env.uid}", LIMIT_REQUESTS_PER_USER
        ):
            return self._render_service_request_refused(
                partner, kwargs, self._too_many(), 429
            )
        try:
            order_sudo = self._create_service_request(partner, kwargs)
        except (UserError, ValidationError) as error:
            return self._render_service_request_refused(
                partner, kwargs, error.args[0], 400
            )
        return request.redirect(
            f"/my/service-orders/{order_sudo.id}?message=requested", code=303
        )

    def _create_service_request(self, partner, kwargs):
        """The request of the form's fields, for the unit of the scanned QR
        code when there is one (an unknown one is refused, not read as a
        typed serial)."""
        Order = request.env["aftersales.order"]
        photos = self._read_request_photos()
        tz = request.env.user.tz or partner.tz or "UTC"
        unit_sudo = None
        if kwargs.get("qr"):
            unit_sudo = request.env["stock.lot"]._aftersales_get_by_qr_token(
                kwargs["qr"]
            )
            if not unit_sudo:
                raise UserError(
                    request.env._("This QR code is not valid: scan it again.")
                )
        # The model keeps a refused photo from leaving the order behind.
        return Order._portal_create_request(
            partner,
            {
                "unit": unit_sudo,
                "lot_id": None if unit_sudo else kwargs.get("lot_id") or None,
                "serial": None if unit_sudo else kwargs.get("serial"),
                "product_code": kwargs.get("product_code"),
                "service_type_id": kwargs.get("service_type_id"),
                "preferred_date": Order._portal_parse_preferred_date(
                    kwargs.get("preferred_date"), tz
                ),
                "description": kwargs.get("description"),
                "address_id": kwargs.get("address_id"),
                "phone": kwargs.get("phone"),
                "channel": "qr" if kwargs.get("qr") else "portal",
            },
            photos,
        )

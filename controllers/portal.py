import logging
from urllib.parse import quote as url_quote

from odoo import fields, http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request
from odoo.tools import format_datetime

from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..models.aftersales_order.portal import MAX_PORTAL_PHOTOS
from ..models.aftersales_order.states import UNFINISHED_STATES
from ..models.aftersales_qr_verification import CodeQuotaError
from .main import AftersalesController

_logger = logging.getLogger(__name__)

# Bounded attempts: (attempts, window in seconds).
LIMIT_REQUESTS_PER_USER = (20, 3600)
LIMIT_QR_FAILURES_PER_ADDRESS = (20, 600)
LIMIT_QR_CODES_PER_ADDRESS = (10, 3600)
# Codes tried, right or wrong: six digits are few, so these are refused before
# they are compared (the quotas per unit and number are the model's).
LIMIT_QR_CODE_TRIES_PER_ADDRESS = (15, 3600)
# Dealer uploads and sale registrations, per user (security review F4).
LIMIT_DEALER_BULK_PER_USER = (20, 3600)
LIMIT_DEALER_SALES_PER_USER = (60, 3600)
MAX_PHOTO_BYTES = 10 * 1024 * 1024


class AftersalesCustomerPortal(AftersalesController):
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

    def _prepare_portal_layout_values(self):
        values = super()._prepare_portal_layout_values()
        commercial = request.env.user.partner_id.commercial_partner_id
        # The flag on one's own company: not readable with portal rights.
        values["aftersales_is_dealer"] = commercial.sudo().aftersales_is_dealer
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
        order_sudo, status = self._service_order_check_access(order_id, access_token)
        if status:
            # Someone else's order, a wrong or spent token: it does not exist.
            # A response, not an exception: the request must not roll back.
            limited = status == 429
            return request.make_response(
                self._render_approval_error("limit" if limited else "invalid"),
                status=429 if limited else 404,
            )
        if report_type in ("html", "pdf", "text"):
            return self._show_report(
                model=order_sudo,
                report_type=report_type,
                report_ref="aftersales.action_report_service_order",
                download=download,
            )
        values = self._service_order_page_values(order_sudo, access_token, **kwargs)
        return request.render("aftersales.portal_service_order_page", values)

    def _service_order_check_access(self, order_id, access_token):
        """(order in sudo, None) for a user who may read the order or the
        holder of its open link; (None, HTTP status) otherwise. Wrong tokens
        count against the address like on the approval page."""
        order = request.env["aftersales.order"].browse(order_id)
        if order.exists() and order.has_access("read"):
            # Read as the user (rules checked above); the page shows fields
            # of the center and product the portal cannot read.
            return order.sudo(), None
        order_sudo, status = self._check_order_link(order_id, access_token)
        return (None, status) if status else (order_sudo, None)

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
        # One atomic count: parallel submits cannot all pass a check first.
        if self._count_attempt(
            f"portal-request:{request.env.uid}", LIMIT_REQUESTS_PER_USER
        ):
            values = self._service_request_values(partner, **kwargs)
            values["error"] = request.env._(
                "Too many requests in the last hour: call us, or try again later."
            )
            return request.render(
                "aftersales.portal_service_request", values, status=429
            )
        Order = request.env["aftersales.order"]
        try:
            photos = self._read_request_photos()
            tz = request.env.user.tz or partner.tz or "UTC"
            # A refused photo must not leave the order behind.
            with request.env.cr.savepoint():
                order_sudo = self._create_service_request(
                    Order, partner, photos, tz, kwargs
                )
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
        unit_sudo = None
        if kwargs.get("qr"):
            # Resolves the sticker's token; an unknown one is refused, not
            # read as a typed serial.
            unit_sudo = request.env["stock.lot"]._aftersales_get_by_qr_token(
                kwargs["qr"]
            )
            if not unit_sudo:
                raise UserError(
                    request.env._("This QR code is not valid: scan it again.")
                )
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

    # ------------------------------------------------------------
    # QR codes on units
    # ------------------------------------------------------------

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
        return request.make_response(
            self._render_approval_error("limit" if limited else "invalid"),
            status=429 if limited else 404,
        )

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
                return request.render(
                    "aftersales.qr_verify",
                    self._qr_values(
                        unit_sudo, token, key=verification_sudo.key, form={}
                    ),
                )
        # A response, not an exception: the counts above must commit.
        return request.render(
            "aftersales.qr_landing",
            self._qr_values(unit_sudo, token, error=error, phone=phone),
            status=status,
        )

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
        return request.render(
            "aftersales.qr_done", self._qr_values(unit_sudo, token, order=order_sudo)
        )

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

    # ------------------------------------------------------------
    # Dealers and branches
    # ------------------------------------------------------------

    def _get_dealer(self):
        """The portal user's dealer partner, or a 404 for anyone else."""
        dealer = request.env.user.partner_id.commercial_partner_id
        # Reading the flag of one's own company is not a portal right.
        if not dealer.sudo().aftersales_is_dealer:
            raise request.not_found()
        return dealer

    def _dealer_values(self, dealer, **kwargs):
        values = self._prepare_portal_layout_values()
        # Portal users may not read centers: the branch's own desks only.
        desks_sudo = (
            request.env["aftersales.center"]
            .sudo()
            .search(
                [
                    ("branch_partner_id", "child_of", dealer.id),
                    ("receives_units", "=", True),
                ]
            )
        )
        values.update(
            {
                "page_name": "dealer",
                "dealer": dealer,
                "desks": desks_sudo,
                "service_types": request.env[
                    "aftersales.order"
                ]._portal_get_service_types(dealer),
                "form": {},
                **kwargs,
            }
        )
        return values

    def _too_many(self):
        return request.env._(
            "Too many requests in the last hour: call us, or try again later."
        )

    @http.route("/my/dealer", type="http", auth="user", methods=["GET"], website=True)
    def portal_dealer(self, **kwargs):
        dealer = self._get_dealer()
        return request.render(
            "aftersales.portal_dealer",
            self._dealer_values(
                dealer, message=kwargs.get("message"), card=kwargs.get("card")
            ),
        )

    @http.route(
        "/my/dealer/sales", type="http", auth="user", methods=["POST"], website=True
    )
    def portal_dealer_register_sale(self, **kwargs):
        """Register a sale and start the unit's warranty."""
        dealer = self._get_dealer()
        Order = request.env["aftersales.order"]
        if self._count_attempt(
            f"dealer-sale:{request.env.uid}", LIMIT_DEALER_SALES_PER_USER
        ):
            values = self._dealer_values(
                dealer, sale_error=self._too_many(), form=kwargs
            )
            return request.render("aftersales.portal_dealer", values, status=429)
        try:
            sale_date = kwargs.get("sale_date") or False
            if sale_date:
                try:
                    sale_date = fields.Date.to_date(sale_date)
                except ValueError as error:
                    raise UserError(
                        request.env._("The sale date is not valid.")
                    ) from error
            # No savepoint here: the model keeps its own, so that a refused
            # registration stays reported to the back office.
            warranty_sudo = Order._dealer_register_sale(
                dealer, dict(kwargs, sale_date=sale_date)
            )
        except UserError as error:
            values = self._dealer_values(dealer, sale_error=error.args[0], form=kwargs)
            return request.render("aftersales.portal_dealer", values, status=400)
        return request.redirect(
            f"/my/dealer?message=registered&card={url_quote(warranty_sudo.card_number)}",
            code=303,
        )

    @http.route(
        "/my/dealer/requests", type="http", auth="user", methods=["POST"], website=True
    )
    def portal_dealer_bulk_requests(self, rows=None, desk_id=None, **kwargs):
        """Service requests for many units at once, from a pasted table or a
        spreadsheet: valid rows become orders, the others come back with
        their reason."""
        dealer = self._get_dealer()
        Order = request.env["aftersales.order"]
        if self._count_attempt(
            f"dealer-bulk:{request.env.uid}", LIMIT_DEALER_BULK_PER_USER
        ):
            values = self._dealer_values(
                dealer, bulk_error=self._too_many(), form={"rows": rows}
            )
            return request.render("aftersales.portal_dealer", values, status=429)
        try:
            checked = Order._dealer_validate_rows(dealer, self._dealer_read_rows(rows))
        except UserError as error:
            values = self._dealer_values(
                dealer, bulk_error=error.args[0], form={"rows": rows}
            )
            return request.render("aftersales.portal_dealer", values, status=400)
        desk = self._dealer_values(dealer)["desks"].filtered(
            lambda d: str(d.id) == str(desk_id or "")
        )
        orders_sudo = Order._dealer_create_requests(dealer, checked, desk or None)
        values = self._dealer_results_values(dealer, checked, orders_sudo)
        status = 400 if not orders_sudo else 200
        return request.render("aftersales.portal_dealer", values, status=status)

    def _dealer_read_rows(self, rows):
        """The rows of the uploaded sheet, else of the pasted text; both are
        read no further than the row limit (security review F4)."""
        Order = request.env["aftersales.order"]
        upload = request.httprequest.files.get("file")
        if not (upload and upload.filename):
            return Order._dealer_parse_text(rows)
        content = upload.read(MAX_PHOTO_BYTES + 1)
        if len(content) > MAX_PHOTO_BYTES:
            raise UserError(request.env._("The file is larger than 10 MB."))
        return Order._dealer_parse_file(upload.filename, content)

    def _dealer_results_values(self, dealer, checked, orders_sudo):
        created = iter(orders_sudo)
        for row in checked:
            row["order"] = False if row["error"] else next(created)
        failed = [row for row in checked if row["error"]]
        return self._dealer_values(
            dealer,
            results=checked,
            created_count=len(orders_sudo),
            # Rejected rows, ready to fix and send again: nothing is lost.
            form={
                "rows": "\n".join(
                    f"{r['key']};{r['service']};{r['problem']}" for r in failed
                )
            },
        )

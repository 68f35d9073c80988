"""Service requests from customers: the public web form (no login), the site
QR page and the portal's request pages. Rules live in aftersales.ticket;
routes validate, check access and delegate."""

import logging
from urllib.parse import urlencode

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request

from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..models.aftersales_ticket.portal import MAX_TICKET_FILES, TicketUploadTooLarge
from .common import AftersalesPortalCommon

_logger = logging.getLogger(__name__)

# What the body of a form may weigh at all, before the company's own limit
# (checked on the files) applies: refused before anything reads it.
MAX_FORM_BODY = 64 * 1024 * 1024
# Wrong site tokens and request links, per address.
LIMIT_TICKET_LINK_FAILURES = (20, 600)
# Requests per portal user and per site QR address.
LIMIT_PORTAL_REQUESTS_PER_USER = (20, 3600)
# The refs a session made, shown back on its thanks page (the last few).
SESSION_REFS = "aftersales_ticket_refs"
FORM_FIELDS = (
    "name",
    "email",
    "phone",
    "category_id",
    "subject",
    "description",
    "product_id",
    "serial",
)


class AftersalesTicketPortal(AftersalesPortalCommon):
    """The public request form, the site QR page and My Requests."""

    _tickets_per_page = 20

    # ------------------------------------------------------------
    # Shared by the forms
    # ------------------------------------------------------------

    def _ticket_company(self):
        return request.env.company

    def _ticket_read_files(self, company):
        """The files sent as (file name, bytes), read no further than the
        company's limit allows (one byte past it tells it is over)."""
        Ticket = request.env["aftersales.ticket"]
        budget = Ticket._portal_upload_limit(company) + 1
        files = []
        for upload in request.httprequest.files.getlist("attachments"):
            if not upload or not upload.filename:
                continue
            if len(files) == MAX_TICKET_FILES:
                files.append((upload.filename[:200], b""))  # refused by count
                break
            content = upload.read(max(budget, 0))
            budget -= len(content)
            files.append((upload.filename[:200], content))
        return files

    def _ticket_guard(self, form_key, kwargs, limit_key, limit):
        """(status, error) of the abuse checks of a public post, None when
        it passes: the attempt counted (429 past the limit), the honeypot,
        the signed time challenge."""
        if self._count_attempt(limit_key, limit):
            return 429, self._too_many()
        if kwargs.get("website_url"):
            _logger.info("Ticket form honeypot filled from %s", self._remote_address())
            return 400, request.env._("Your request could not be sent.")
        try:
            request.env["aftersales.ticket"]._portal_check_challenge(
                form_key, kwargs.get("challenge")
            )
        except UserError as error:
            return 400, error.args[0]
        return None

    def _ticket_submit(self, channel, company, values):
        """(ticket in sudo, None) or (None, (status, error))."""
        # The public and portal users may not create requests, partners or
        # attachments: the model validated the whitelisted values.
        Ticket_sudo = request.env["aftersales.ticket"].sudo()
        try:
            files = self._ticket_read_files(company)
            ticket_sudo = Ticket_sudo._portal_create(channel, company, values, files)
        except TicketUploadTooLarge as error:
            return None, (413, error.args[0])
        except (UserError, ValidationError) as error:
            return None, (400, error.args[0])
        return ticket_sudo, None

    def _ticket_form_values(self, form_key, form, error=None, company=None, **extra):
        company = company or self._ticket_company()
        Ticket = request.env["aftersales.ticket"]
        return {
            "form": {key: form.get(key) or "" for key in FORM_FIELDS},
            "error": error,
            "challenge": Ticket._portal_sign_challenge(form_key),
            "categories": Ticket._portal_get_categories(company),
            "products": Ticket._portal_get_products(company),
            "upload_mb": company.aftersales_ticket_upload_mb,
            "max_files": MAX_TICKET_FILES,
            **extra,
        }

    def _ticket_thanks_url(self, ticket_sudo):
        return "/service/request/thanks?" + urlencode({"ref": ticket_sudo.name})

    def _ticket_remember(self, ticket_sudo):
        refs = request.session.get(SESSION_REFS, [])[-9:]
        request.session[SESSION_REFS] = [*refs, ticket_sudo.name]

    # ------------------------------------------------------------
    # Public web form
    # ------------------------------------------------------------

    @http.route(
        "/service/request",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def ticket_public_form(self, **kwargs):
        """The request form for anyone, without login."""
        if not self._ticket_company().aftersales_ticket_public_form:
            raise request.not_found()
        return request.render(
            "aftersales.ticket_public_form", self._ticket_form_values("web", kwargs)
        )

    @http.route(
        "/service/request",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
        sitemap=False,
        aftersales_max_body=MAX_FORM_BODY,
    )
    def ticket_public_submit(self, **kwargs):
        """Open a request (channel web); a refusal re-renders the form with
        the visitor's text, its status and nothing stored."""
        company = self._ticket_company()
        if not company.aftersales_ticket_public_form:
            raise request.not_found()
        limit = (company.aftersales_ticket_form_limit, 3600)
        key = f"ticket-form:{self._limit_address()}"
        refused = self._ticket_guard("web", kwargs, key, limit)
        ticket_sudo = None
        if not refused:
            try:
                values = request.env["aftersales.ticket"]._portal_request_values(
                    company, kwargs
                )
            except UserError as error:
                refused = 400, error.args[0]
            else:
                ticket_sudo, refused = self._ticket_submit("web", company, values)
        if refused:
            # A response, not an exception: the attempt counted must commit.
            values = self._ticket_form_values("web", kwargs, refused[1])
            return request.render(
                "aftersales.ticket_public_form", values, status=refused[0]
            )
        self._ticket_remember(ticket_sudo)
        return request.redirect(self._ticket_thanks_url(ticket_sudo), code=303)

    @http.route(
        "/service/request/thanks",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def ticket_public_thanks(self, ref=None, **kwargs):
        """Thanks; the reference only to the session that made it."""
        known = ref if ref and ref in request.session.get(SESSION_REFS, []) else False
        return request.render("aftersales.ticket_public_thanks", {"reference": known})

    # ------------------------------------------------------------
    # Site QR code
    # ------------------------------------------------------------

    def _ticket_site(self, token):
        """(site as superuser, None), or (None, 404/429 response) for an
        unknown token, counted per address like the unit QR code."""
        site_sudo = request.env["res.partner"]._aftersales_get_by_site_token(token)
        if site_sudo:
            return site_sudo, None
        limited = self._count_attempt(
            f"site-qr-address:{self._limit_address()}", LIMIT_TICKET_LINK_FAILURES
        )
        return None, self._refused_response(429 if limited else 404)

    def _ticket_site_values(self, site_sudo, token, form, error=None):
        # Only what the printed label shows: the site, its address, the
        # contact person's name.
        values = self._ticket_form_values(
            f"qr:{token}", form, error, company=site_sudo.company_id
        )
        contact_sudo = site_sudo._aftersales_site_contact()
        values.update(
            token=token,
            site_name=site_sudo.name or site_sudo.display_name,
            site_address=site_sudo._aftersales_site_address(),
            contact_name=contact_sudo.name or "",
            # For the article suggestions: what the report will be filed as.
            qr_category=values["categories"].filtered(
                lambda category: category.kind == "deviation"
            )[:1],
        )
        return values

    @http.route(
        "/service/site/<string:token>",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def ticket_site_form(self, token, **kwargs):
        """What scanning a site's QR code opens: a deviation report."""
        site_sudo, refused = self._ticket_site(token)
        if refused:
            return refused
        values = self._ticket_site_values(site_sudo, token, kwargs)
        return request.render("aftersales.ticket_site_form", values)

    @http.route(
        "/service/site/<string:token>",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
        sitemap=False,
        aftersales_max_body=MAX_FORM_BODY,
    )
    def ticket_site_submit(self, token, **kwargs):
        """Open a request (channel qr) for the token's site and customer."""
        site_sudo, refused_response = self._ticket_site(token)
        if refused_response:
            return refused_response
        company = site_sudo.company_id or self._ticket_company()
        limit = (company.aftersales_ticket_form_limit, 3600)
        key = f"ticket-form:{self._limit_address()}"
        refused = self._ticket_guard(f"qr:{token}", kwargs, key, limit)
        ticket_sudo = None
        if not refused:
            try:
                Ticket = request.env["aftersales.ticket"]
                values = Ticket._portal_site_request_values(site_sudo, kwargs)
            except UserError as error:
                refused = 400, error.args[0]
            else:
                ticket_sudo, refused = self._ticket_submit("qr", company, values)
        if refused:
            values = self._ticket_site_values(site_sudo, token, kwargs, refused[1])
            return request.render(
                "aftersales.ticket_site_form", values, status=refused[0]
            )
        self._ticket_remember(ticket_sudo)
        return request.redirect(self._ticket_thanks_url(ticket_sudo), code=303)

    # ------------------------------------------------------------
    # My requests (portal)
    # ------------------------------------------------------------

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "ticket_count" in counters:
            Ticket = request.env["aftersales.ticket"]
            partner = request.env.user.partner_id
            values["ticket_count"] = (
                Ticket.search_count(Ticket._get_portal_domain(partner))
                if Ticket.has_access("read")
                else 0
            )
        return values

    def _ticket_list_options(self):
        env = request.env
        filters = {
            "all": env._("All"),
            "open": env._("Open"),
            "closed": env._("Closed"),
        }
        sortings = {
            "date": {"label": env._("Newest"), "order": "create_date desc, id desc"},
            "name": {"label": env._("Reference"), "order": "name desc"},
            "state": {"label": env._("Status"), "order": "state, id desc"},
        }
        return filters, sortings

    def _prepare_tickets_values(self, page=1, sortby="date", filterby="all"):
        Ticket = request.env["aftersales.ticket"]
        filters, sortings = self._ticket_list_options()
        filterby = filterby if filterby in filters else "all"
        sortby = sortby if sortby in sortings else "date"
        domain = Ticket._get_portal_domain(request.env.user.partner_id, filterby)
        count = Ticket.search_count(domain) if Ticket.has_access("read") else 0
        pager = portal_pager(
            url="/my/requests",
            url_args={"sortby": sortby, "filterby": filterby},
            total=count,
            page=page,
            step=self._tickets_per_page,
        )
        tickets = Ticket.search(
            domain if count else [("id", "=", 0)],
            order=sortings[sortby]["order"],
            limit=self._tickets_per_page,
            offset=pager["offset"],
        )
        values = self._prepare_portal_layout_values()
        values.update(
            tickets=tickets,
            page_name="ticket",
            pager=pager,
            default_url="/my/requests",
            searchbar_sortings=sortings,
            sortby=sortby,
            searchbar_filters={
                key: {"label": label, "domain": []} for key, label in filters.items()
            },
            filterby=filterby,
        )
        return values

    @http.route(
        ["/my/requests", "/my/requests/page/<int:page>"],
        type="http",
        auth="user",
        methods=["GET"],
        website=True,
    )
    def portal_my_tickets(self, page=1, sortby="date", filterby="all", **kwargs):
        values = self._prepare_tickets_values(page, sortby, filterby)
        request.session["my_tickets_history"] = values["tickets"].ids[:100]
        return request.render("aftersales.portal_my_tickets", values)

    @http.route(
        ["/my/requests/<int:ticket_id>"],
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
    )
    def portal_ticket_page(self, ticket_id, access_token=None, **kwargs):
        """The request for its customer, or the holder of its link; anything
        else does not exist (wrong links counted per address)."""
        try:
            ticket_sudo = self._document_check_access(
                "aftersales.ticket", ticket_id, access_token
            )
        except (AccessError, MissingError):
            limited = self._count_attempt(
                f"ticket-link:{self._limit_address()}", LIMIT_TICKET_LINK_FAILURES
            )
            return self._refused_response(429 if limited else 404)
        values = self._ticket_page_values(ticket_sudo, access_token, **kwargs)
        return request.render("aftersales.portal_ticket_page", values)

    def _ticket_page_values(self, ticket_sudo, access_token, **kwargs):
        user = request.env.user
        values = self._get_page_view_values(
            ticket_sudo,
            access_token,
            {
                "ticket": ticket_sudo,
                "page_name": "ticket",
                "stage_label": ticket_sudo._get_portal_stage_label(),
                "work_orders": ticket_sudo._get_portal_work_orders(user),
                "message": kwargs.get("message"),
            },
            "my_tickets_history",
            False,
        )
        # The chatter posts with the request's token: the customer reads the
        # request but may not write it (portal_thread checks the token).
        values["token"] = ticket_sudo._portal_ensure_token()
        if not user._is_public():
            values["pid"] = user.partner_id.id
            values["hash"] = ticket_sudo._sign_token(user.partner_id.id)
        return values

    def _ticket_portal_values(self, form, error=None):
        partner = request.env.user.partner_id
        Ticket = request.env["aftersales.ticket"]
        company = self._ticket_company()
        values = self._prepare_portal_layout_values()
        values.update(
            page_name="ticket_new",
            form={key: form.get(key) or "" for key in (*FORM_FIELDS, "site_id")},
            error=error,
            categories=Ticket._portal_get_categories(company, public=False),
            products=Ticket._portal_get_products(company),
            sites=Ticket._portal_get_sites(partner),
            upload_mb=company.aftersales_ticket_upload_mb,
            max_files=MAX_TICKET_FILES,
        )
        return values

    @http.route(
        ["/my/requests/new"],
        type="http",
        auth="user",
        methods=["GET"],
        website=True,
    )
    def portal_ticket_form(self, **kwargs):
        return request.render(
            "aftersales.portal_ticket_new", self._ticket_portal_values(kwargs)
        )

    @http.route(
        ["/my/requests/new"],
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
        aftersales_max_body=MAX_FORM_BODY,
    )
    def portal_ticket_submit(self, **kwargs):
        """Open a request (channel portal) for the user's partner, about one
        of its company's addresses; a refusal re-renders the form."""
        company = self._ticket_company()
        refused, ticket_sudo = None, None
        if self._count_attempt(
            f"portal-ticket:{request.env.uid}", LIMIT_PORTAL_REQUESTS_PER_USER
        ):
            refused = 429, self._too_many()
        else:
            try:
                values = self._ticket_portal_request_values(company, kwargs)
            except UserError as error:
                refused = 400, error.args[0]
            else:
                ticket_sudo, refused = self._ticket_submit("portal", company, values)
        if refused:
            values = self._ticket_portal_values(kwargs, refused[1])
            return request.render(
                "aftersales.portal_ticket_new", values, status=refused[0]
            )
        return request.redirect(f"/my/requests/{ticket_sudo.id}?message=sent", code=303)

    def _ticket_portal_request_values(self, company, kwargs):
        partner = request.env.user.partner_id
        Ticket = request.env["aftersales.ticket"]
        # The customer is the user's partner: what the form says of who asks
        # is not read; the site is one the form offered.
        form = {**kwargs, "email": "", "phone": "", "name": ""}
        values = Ticket._portal_request_values(company, form, public=False)
        site = Ticket._portal_pick(
            Ticket._portal_get_sites(partner), kwargs.get("site_id")
        )
        if kwargs.get("site_id") and not site:
            raise UserError(request.env._("Choose one of your sites."))
        values.update(
            partner_id=partner.id,
            site_id=site.id or False,
            email=partner.email,
            phone=partner.phone,
        )
        return values

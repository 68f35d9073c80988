from odoo import http
from odoo.exceptions import UserError
from odoo.http import request
from odoo.tools import format_datetime

from .common import AftersalesPortalCommon


class AftersalesApprovalPortal(AftersalesPortalCommon):
    """The page the approval SMS links to: the work, approve or reject, for
    the order's customer logged in or the holder of its link."""

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
                "You approved the work on %(date)s.", date=when(decision.date_decided)
            )
        elif decision:
            decided = env._(
                "You rejected the work on %(date)s.", date=when(decision.date_decided)
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
        # Reading the order is not enough: staff and dealers do not decide
        # for the customer.
        order_sudo, status = self._check_access_limited(
            "aftersales.order", order_id, access_token, customer_only=True
        )
        if status:
            return self._refused_response(status, order_sudo)
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
        order_sudo, status = self._check_access_limited(
            "aftersales.order", order_id, access_token
        )
        if status:
            return request.make_response("", status=429 if status == 429 else 404)
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
        order_sudo, status = self._check_access_limited(
            "aftersales.order", order_id, access_token, customer_only=True
        )
        if status:
            return self._refused_response(status, order_sudo)
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

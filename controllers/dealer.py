from urllib.parse import quote as url_quote

from odoo import fields, http
from odoo.exceptions import UserError
from odoo.http import request

from .common import AftersalesPortalCommon

# Dealer uploads and sale registrations, per user (security review F4):
# (attempts, window in seconds).
LIMIT_DEALER_BULK_PER_USER = (20, 3600)
LIMIT_DEALER_SALES_PER_USER = (60, 3600)
MAX_SHEET_BYTES = 10 * 1024 * 1024


class AftersalesDealerPortal(AftersalesPortalCommon):
    """The dealer's desk on the portal: sales registered (the warranty
    starts) and service requests for many units at once."""

    def _prepare_portal_layout_values(self):
        values = super()._prepare_portal_layout_values()
        commercial = request.env.user.partner_id.commercial_partner_id
        # The flag on one's own company: not readable with portal rights.
        values["aftersales_is_dealer"] = commercial.sudo().aftersales_is_dealer
        return values

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

    def _render_dealer(self, dealer, status, **kwargs):
        values = self._dealer_values(dealer, **kwargs)
        return request.render("aftersales.portal_dealer", values, status=status)

    @http.route("/my/dealer", type="http", auth="user", methods=["GET"], website=True)
    def portal_dealer(self, **kwargs):
        dealer = self._get_dealer()
        return request.render(
            "aftersales.portal_dealer",
            self._dealer_values(
                dealer, message=kwargs.get("message"), card=kwargs.get("card")
            ),
        )

    @staticmethod
    def _dealer_sale_date(value):
        """The sale date typed in the form, or False; UserError if invalid."""
        if not value:
            return False
        try:
            return fields.Date.to_date(value)
        except ValueError as error:
            raise UserError(request.env._("The sale date is not valid.")) from error

    @http.route(
        "/my/dealer/sales", type="http", auth="user", methods=["POST"], website=True
    )
    def portal_dealer_register_sale(self, **kwargs):
        """Register a sale and start the unit's warranty."""
        dealer = self._get_dealer()
        if self._count_attempt(
            f"dealer-sale:{request.env.uid}", LIMIT_DEALER_SALES_PER_USER
        ):
            return self._render_dealer(
                dealer, 429, sale_error=self._too_many(), form=kwargs
            )
        try:
            sale_date = self._dealer_sale_date(kwargs.get("sale_date"))
            # No savepoint here: the model keeps its own, so that a refused
            # registration stays reported to the back office.
            warranty_sudo = request.env["aftersales.order"]._dealer_register_sale(
                dealer, dict(kwargs, sale_date=sale_date)
            )
        except UserError as error:
            return self._render_dealer(
                dealer, 400, sale_error=error.args[0], form=kwargs
            )
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
            return self._render_dealer(
                dealer, 429, bulk_error=self._too_many(), form={"rows": rows}
            )
        try:
            checked = Order._dealer_validate_rows(dealer, self._dealer_read_rows(rows))
        except UserError as error:
            return self._render_dealer(
                dealer, 400, bulk_error=error.args[0], form={"rows": rows}
            )
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
        content = upload.read(MAX_SHEET_BYTES + 1)
        if len(content) > MAX_SHEET_BYTES:
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

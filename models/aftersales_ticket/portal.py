"""portal seam of aftersales.ticket (see __init__.py): what the customer's
pages, the public web form and the site QR page ask of the request: the
form's challenge, the upload checks, the intake of a form and what the
customer may read of a request."""

import hmac
import time

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import email_normalize
from odoo.tools.misc import hmac as hmac_sign

from ...tools.mimetype import DOCUMENT_TYPES, VIDEO_TYPES, sniff_mimetype
from .core import CLOSED_TICKET_STATES

# What a request may attach: photos, videos and PDF, at most this many files.
TICKET_UPLOAD_TYPES = DOCUMENT_TYPES | VIDEO_TYPES
MAX_TICKET_FILES = 5
# A form older than this is refused: a challenge cannot be stored and replayed.
FORM_MAX_AGE = 2 * 3600
CHALLENGE_SCOPE = "aftersales.ticket_form"
TEXT_LIMITS = {"subject": 200, "description": 8000, "name": 128, "serial": 64}


class TicketUploadTooLarge(UserError):
    """The files are over the company's upload limit (the routes answer 413)."""


class AftersalesTicket(models.Model):
    _inherit = "aftersales.ticket"

    # ------------------------------------------------------------------
    # The forms' challenge: a timestamp signed with the database secret
    # ------------------------------------------------------------------

    @api.model
    def _portal_sign_challenge(self, form, timestamp=None):
        """The challenge issued with ``form`` (``web`` or ``qr:<token>``):
        ``<timestamp>.<signature>``; a bot cannot make one up nor post
        faster than a person types."""
        timestamp = int(timestamp if timestamp is not None else time.time())
        # The database secret is the key; only superuser reads it.
        signature = hmac_sign(self.env(su=True), CHALLENGE_SCOPE, f"{form}:{timestamp}")
        return f"{timestamp}.{signature}"

    @api.model
    def _portal_check_challenge(self, form, challenge):
        """Raise UserError unless ``challenge`` was issued for ``form`` at
        least the system parameter's seconds ago and at most 2 hours ago."""
        stamp, _dot, _signature = (challenge or "").partition(".")
        if not stamp.isdigit() or not _signature:
            raise UserError(self.env._("The form is not valid: please send it again."))
        expected = self._portal_sign_challenge(form, int(stamp))
        if not hmac.compare_digest(expected.encode(), challenge.encode()):
            raise UserError(self.env._("The form is not valid: please send it again."))
        age = time.time() - int(stamp)
        if age > FORM_MAX_AGE:
            raise UserError(
                self.env._("The form has expired: please check it and send it again.")
            )
        # System parameters are read by superuser only; the public posts.
        params_sudo = self.env["ir.config_parameter"].sudo()
        min_seconds = int(
            params_sudo.get_param("aftersales.ticket_form_min_seconds", "3") or 0
        )
        if age < min_seconds:
            raise UserError(
                self.env._("That was fast: please check the form and send it again.")
            )

    # ------------------------------------------------------------------
    # Uploads
    # ------------------------------------------------------------------

    @api.model
    def _portal_upload_limit(self, company):
        """The most bytes a request may attach in ``company``."""
        return int((company.aftersales_ticket_upload_mb or 0) * 1024 * 1024)

    @api.model
    def _portal_check_uploads(self, company, files):
        """(file name, bytes, mimetype) of ``files`` ((file name, bytes)),
        their type read from their bytes. Raises TicketUploadTooLarge past
        the company's limit, UserError for too many files or a type we do
        not take (scripts, archives, a page named photo.jpg)."""
        if len(files) > MAX_TICKET_FILES:
            raise UserError(
                self.env._("Send at most %(count)s files.", count=MAX_TICKET_FILES)
            )
        if sum(len(content) for _name, content in files) > self._portal_upload_limit(
            company
        ):
            raise TicketUploadTooLarge(
                self.env._(
                    "The files are larger than %(size)s MB together.",
                    size=f"{company.aftersales_ticket_upload_mb:g}",
                )
            )
        checked = []
        for name, content in files:
            mimetype = sniff_mimetype(content)
            if mimetype not in TICKET_UPLOAD_TYPES:
                raise UserError(
                    self.env._("%(name)s is not a photo, a video or a PDF.", name=name)
                )
            checked.append((name, content, mimetype))
        return checked

    # ------------------------------------------------------------------
    # What the forms offer
    # ------------------------------------------------------------------

    @api.model
    def _portal_get_categories(self, company, public=True):
        """The categories a form offers: the published ones on the public
        form and the site QR page, all on the portal. As superuser: the
        public user reads no configuration."""
        domain = [("company_id", "in", (False, company.id))]
        if public:
            domain.append(("public", "=", True))
        categories_sudo = self.env["aftersales.ticket.category"].sudo()
        return categories_sudo.search(domain)

    @api.model
    def _portal_get_products(self, company):
        """The products the forms offer: those with an after-sales service
        (as superuser: the public user reads no products)."""
        products_sudo = self.env["product.product"].sudo()
        return products_sudo.search(
            [
                ("product_tmpl_id.aftersales_service_type_id", "!=", False),
                ("sale_ok", "=", True),
                ("company_id", "in", (False, company.id)),
            ],
            order="name",
            limit=200,
        )

    @api.model
    def _portal_get_sites(self, partner):
        """The addresses of ``partner``'s company a portal request may be
        about: the company itself and its delivery and other addresses."""
        commercial = partner.commercial_partner_id
        # Portal users read their own partner, not their company's
        # addresses; only the commercial partner's are searched.
        partners_sudo = self.env["res.partner"].sudo()
        return partners_sudo.search(
            [
                ("id", "child_of", commercial.id),
                "|",
                ("id", "=", commercial.id),
                ("type", "in", ("delivery", "other")),
            ],
            order="id",
        )

    # ------------------------------------------------------------------
    # Intake of a form
    # ------------------------------------------------------------------

    @api.model
    def _portal_clean_text(self, form):
        return {
            key: (form.get(key) or "").strip()[:limit]
            for key, limit in TEXT_LIMITS.items()
        }

    @api.model
    def _portal_pick(self, records, value):
        """The record of ``records`` whose id ``value`` names, else empty:
        what a form may choose is what it offered."""
        try:
            record_id = int(value or 0)
        except (TypeError, ValueError):
            return records.browse()
        return records.filtered(lambda record: record.id == record_id)

    @api.model
    def _portal_request_values(self, company, form, *, public=True):
        """The values of ``_create_from_channel`` from a form's fields
        (a whitelist); raises UserError on a missing or unknown field."""
        text = self._portal_clean_text(form)
        if not text["subject"] or not text["description"]:
            raise UserError(self.env._("Give the request a subject and a description."))
        category = self._portal_pick(
            self._portal_get_categories(company, public), form.get("category_id")
        )
        if not category:
            raise UserError(self.env._("Choose what the request is about."))
        product = self._portal_pick(
            self._portal_get_products(company), form.get("product_id")
        )
        description = text["description"]
        if text["serial"]:
            description += "\n\n" + self.env._(
                "Serial number: %(serial)s", serial=text["serial"]
            )
        values = {
            "company_id": company.id,
            "subject": text["subject"],
            "description": description,
            "name": text["name"],
            "email": (form.get("email") or "").strip()[:254],
            "phone": (form.get("phone") or "").strip()[:32],
            "category_id": category.id,
            "product_id": product.id,
        }
        lot = self._portal_find_lot(product, text["serial"])
        if lot:
            values.update(lot_id=lot.id, product_id=lot.product_id.id)
        return values

    @api.model
    def _portal_find_lot(self, product, serial):
        """The unit of a typed serial, as superuser (the public reads no
        serials); nothing of it goes back to the page."""
        if not serial:
            return self.env["stock.lot"]
        domain = [("name", "=", serial)]
        if product:
            domain.append(("product_id", "=", product.id))
        lots_sudo = self.env["stock.lot"].sudo().search(domain, limit=2)
        return lots_sudo if len(lots_sudo) == 1 else lots_sudo.browse()

    @api.model
    def _portal_create(self, channel, company, values, files):
        """Check ``files`` and open the request of ``channel``; nothing is
        stored when anything is refused (UserError, TicketUploadTooLarge)."""
        attachments = self._portal_check_uploads(company, files)
        # The customer and the files are created in one savepoint with the
        # request: a refusal midway leaves no partner or file behind.
        with self.env.cr.savepoint():
            return self._create_from_channel(channel, values, attachments)

    @api.model
    def _portal_site_request_values(self, site, form):
        """The values of a deviation reported at ``site`` (from its QR
        token): customer, site and contact person from the token, the
        reporter's name, phone and e-mail checked, the text required."""
        text = self._portal_clean_text(form)
        if not text["description"]:
            raise UserError(self.env._("Describe the deviation."))
        company = site.company_id or self.env.company
        email = (form.get("email") or "").strip()[:254]
        if email and not email_normalize(email):
            raise UserError(
                self.env._("%(email)s is not an e-mail address.", email=email)
            )
        phone = (form.get("phone") or "").strip()[:32]
        if phone:
            phone = self.env["res.partner"]._phone_format(
                number=phone, country=company.country_id, force_format="E164"
            )
            if not phone:
                raise UserError(self.env._("This is not a phone number we can call."))
        description = text["description"]
        if text["name"] or email or phone:
            reporter = ", ".join(part for part in (text["name"], phone, email) if part)
            description += "\n\n" + self.env._(
                "Reported by: %(reporter)s", reporter=reporter
            )
        category = self._portal_get_categories(company).filtered(
            lambda category: category.kind == "deviation"
        )[:1]
        return {
            "company_id": company.id,
            "partner_id": site.commercial_partner_id.id,
            "site_id": site.id,
            "contact_id": site._aftersales_site_contact().id,
            "category_id": category.id,
            "subject": self.env._(
                "Deviation at %(site)s", site=site.name or site.display_name
            ),
            "description": description,
            "email": email_normalize(email) if email else False,
            "phone": phone or False,
        }

    # ------------------------------------------------------------------
    # What the customer reads
    # ------------------------------------------------------------------

    def _get_portal_stage_label(self):
        """The stage as customers read it."""
        self.ensure_one()
        return self.stage_id._get_portal_label() if self.stage_id else ""

    def _get_portal_is_closed(self):
        self.ensure_one()
        return self.state in CLOSED_TICKET_STATES

    def _get_portal_work_orders(self, user):
        """The work orders the request became that ``user`` may read, read
        through their own access (the order's link to its request is the
        desk's: it is followed here as superuser, then left)."""
        self.ensure_one()
        # The inverse (the order's ticket_id) is desk-only: ids as superuser.
        ticket_sudo = self.sudo()
        order_ids = ticket_sudo.order_ids.ids
        return (
            self.env["aftersales.order"]
            .with_user(user)
            .browse(order_ids)
            ._filtered_access("read")
        )

    @api.model
    def _get_portal_domain(self, partner, filterby="all"):
        domain = [("partner_id", "child_of", partner.commercial_partner_id.id)]
        if filterby == "open":
            domain.append(("state", "not in", CLOSED_TICKET_STATES))
        elif filterby == "closed":
            domain.append(("state", "in", CLOSED_TICKET_STATES))
        return domain

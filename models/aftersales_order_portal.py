import base64
from datetime import datetime

import pytz
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

# Open states as the customer reads them on the portal.
PORTAL_OPEN_STATES = (
    "new",
    "assigned",
    "accepted",
    "on_the_way",
    "in_progress",
    "awaiting_approval",
)
MAX_PORTAL_PHOTOS = 5
MAX_DESCRIPTION = 4000
MAX_PHONE = 32


def text_to_html(text):
    """What a customer or dealer typed, as HTML that shows exactly that:
    escaped, its line breaks kept, no link made of it. It goes into HTML
    fields and from there into reports (security review F5)."""
    return Markup("<p>%s</p>") % Markup("<br/>").join((text or "").splitlines())


def _to_int(value):
    """An id sent by a form, or 0 when it is not one."""
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


class AftersalesOrder(models.Model):
    """The work order as its customer sees it on the portal: the timeline, the
    photos the company shows, and service requests made there."""

    _inherit = "aftersales.order"

    # ------------------------------------------------------------
    # Portal pages
    # ------------------------------------------------------------

    def _get_portal_timeline(self):
        """[(label, datetime or False, reached)] of the order's milestones."""
        self.ensure_one()
        env = self.env
        steps = [
            (env._("Requested"), self.create_date),
            (env._("Service center assigned"), self.date_assigned),
            (env._("Accepted by the center"), self.date_accepted),
            (env._("Work started"), self.date_started),
        ]
        if self.approval_required or self.approval_requested_date:
            steps.append(
                (env._("Awaiting your approval"), self.approval_requested_date)
            )
        if self.state == "cancelled":
            steps.append((env._("Cancelled"), self.date_closed or self.write_date))
        elif self.state == "returned":
            steps.append((env._("Returned"), self.date_closed or self.write_date))
        else:
            steps.append((env._("Completed"), self.date_done))
        return [(label, date, bool(date)) for label, date in steps]

    def _get_portal_media(self):
        """The photos the company lets the customer see."""
        self.ensure_one()
        if not self.company_id.aftersales_approval_show_photos:
            return self.env["aftersales.order.media"]
        return self._get_approval_page_media()

    def _get_decision_summary(self):
        """What the customer decides on, the same wherever they decide (the
        approval link, the portal, the technician's phone): the work done per
        visit, the items with their prices, the total to pay and the photos
        the company shows. Read as superuser by the callers: the customer may
        not read parts or work logs."""
        self.ensure_one()
        lines = self._get_approval_page_lines()
        total = sum(
            item["quantity"] * item["price_unit"]
            for item in self._get_invoiceable_items()
            if not item["covered"]
        )
        visits = self.worklog_ids.filtered("work_done").sorted("date_start")
        return {
            "work_done": visits.mapped("work_done"),
            "lines": lines,
            "total": self.currency_id.format(total) if lines else False,
            "photos": self._get_portal_media()[:20],
        }

    def _get_portal_tz(self, user=None):
        """The zone the portal shows times in: the viewer's (a customer or
        dealer logged in), else the customer's, else the center's calendar,
        else the company's."""
        self.ensure_one()
        user = user or self.env.user
        return (
            (not user._is_public() and user.tz)
            or self.partner_id.tz
            or self._get_place_tz()
        )

    def _get_portal_appointment(self):
        """(kind, datetime) of what the portal says about the visit:
        ``upcoming`` for a future appointment, ``past`` for one whose time went
        by before work started (never shown as to come), ``visit`` once the
        technician came, ``requested`` for the customer's preferred time until
        a visit is scheduled, else (False, False)."""
        self.ensure_one()
        scheduled = self.scheduled_date
        if scheduled and self.state in ("in_progress", "awaiting_approval", "done"):
            return "visit", scheduled
        if scheduled and self.state in ("cancelled", "returned"):
            return False, False
        if scheduled and scheduled < fields.Datetime.now():
            return "past", scheduled
        if scheduled:
            return "upcoming", scheduled
        if self.requested_date and self.state not in ("cancelled", "returned", "done"):
            return "requested", self.requested_date
        return False, False

    def _get_report_base_filename(self):
        """The service form's file name on the portal (portal's PDF route)."""
        self.ensure_one()
        return self.env._("Service Form %(reference)s", reference=self.name)

    def _can_portal_rate(self):
        self.ensure_one()
        return self.state == "done" and not self.rating_ids.filtered("consumed")

    # ------------------------------------------------------------
    # Service requests from the portal
    # ------------------------------------------------------------

    @api.model
    def _portal_find_unit(
        self, partner, lot_id=None, serial=None, product_code=None, unit=None
    ):
        """(product, lot) of a request: one of the customer's units, a serial,
        or a product code for a unit without serial. Raises UserError.

        ``unit`` is a unit the caller already identified (the QR code scanned):
        it is taken as is, never looked up again by its name, which another
        product may share. A serial typed in is accepted only when the unit is
        the customer's or nobody's yet; someone else's unit gets the same
        answer as an unknown serial, so that the form tells nothing about
        which serials exist (security review F12, F20)."""
        if unit:
            return unit.product_id, unit
        # Customers may not read serials; only their own units or an exact
        # serial number are accepted below.
        Lot_sudo = self.env["stock.lot"].sudo()
        if lot_id:
            lot = Lot_sudo.browse(_to_int(lot_id)).exists()
            if not lot or lot not in self._portal_get_units(partner):
                raise UserError(self.env._("This product is not one of yours."))
            return lot.product_id, lot
        serial = (serial or "").strip()
        if serial:
            lot = Lot_sudo.search(
                [
                    ("name", "=", serial),
                    ("company_id", "in", [False, *self.env.companies.ids]),
                ],
                limit=2,
            )
            if len(lot) != 1 or not self._portal_may_request_for(partner, lot):
                raise UserError(
                    self.env._(
                        "No product with serial number %(serial)s: check the "
                        "number on the label, or give the product code.",
                        serial=serial,
                    )
                )
            return lot.product_id, lot
        code = (product_code or "").strip()
        if code:
            product = (
                self.env["product.product"]
                .sudo()
                .search([("default_code", "=ilike", code)], limit=2)
            )
            if len(product) != 1:
                raise UserError(
                    self.env._("No product with the code %(code)s.", code=code)
                )
            return product, self.env["stock.lot"]
        raise UserError(
            self.env._("Choose one of your products, or give a serial number.")
        )

    @api.model
    def _portal_may_request_for(self, partner, lot_sudo):
        """Whether ``partner`` may ask for service on ``lot_sudo`` by its
        serial: it is one of their units, or nobody's yet (no warranty and no
        work order of anyone)."""
        if lot_sudo in self._portal_get_units(partner):
            return True
        return not (lot_sudo.aftersales_warranty_ids or lot_sudo.aftersales_order_ids)

    @api.model
    def _portal_get_units(self, partner):
        """The serials the customer owns: under warranty or serviced before,
        unless the unit now belongs to someone else (its owner is another
        customer, security review F20). A dealer's units are those it
        registered or requested service for."""
        commercial = partner.commercial_partner_id
        # As superuser: the domains restrict to the partner's own records.
        Warranty_sudo = self.env["aftersales.warranty"].sudo()
        own_sudo = (
            Warranty_sudo.search([("partner_id", "child_of", commercial.id)]).lot_id
            | self.sudo()
            .search(
                [("lot_id", "!=", False), ("partner_id", "child_of", commercial.id)]
            )
            .lot_id
        )
        dealt_sudo = (
            Warranty_sudo.search([("dealer_id", "child_of", commercial.id)]).lot_id
            | self.sudo()
            .search([("lot_id", "!=", False), ("dealer_id", "child_of", commercial.id)])
            .lot_id
        )
        own_sudo = (own_sudo - dealt_sudo).filtered(
            lambda lot: (
                not lot.aftersales_owner_id
                or lot.aftersales_owner_id.commercial_partner_id == commercial
            )
        )
        return own_sudo | dealt_sudo

    @api.model
    def _portal_create_request(self, partner, values, photos=()):
        """Create the service request a customer made on the portal.

        ``values``: lot_id, serial or product_code, or unit (a ``stock.lot``
        the caller identified, e.g. by its QR code); service_type_id;
        preferred_date (naive UTC datetime or False); description.
        ``photos``: (file name, bytes) pairs. Everything is checked before
        anything is written: a bad photo refuses the whole request.
        """
        if len(photos) > MAX_PORTAL_PHOTOS:
            raise UserError(
                self.env._(
                    "At most %(count)s photos per request.", count=MAX_PORTAL_PHOTOS
                )
            )
        product, lot = self._portal_find_unit(
            partner,
            values.get("lot_id"),
            values.get("serial"),
            values.get("product_code"),
            values.get("unit"),
        )
        service_type = self._portal_get_service_types(partner).filtered(
            lambda t: t.id == _to_int(values.get("service_type_id"))
        )
        if not service_type:
            raise UserError(self.env._("Choose the kind of service you need."))
        description = (values.get("description") or "").strip()
        if not description:
            raise UserError(self.env._("Describe the problem in a few words."))
        preferred = values.get("preferred_date")
        if preferred and preferred < fields.Datetime.now():
            raise UserError(self.env._("The preferred time is in the past."))
        vals = self._prepare_portal_request_vals(
            partner,
            product,
            lot,
            service_type,
            # Stored as the text it is, never as markup (security review F5).
            text_to_html(description[:MAX_DESCRIPTION]),
            values,
        )
        # The customer may not create work orders in the backend; the request
        # was validated above and the order is theirs.
        order_sudo = self.sudo().with_company(vals["company_id"]).create(vals)
        if photos:
            # Same reason as the order: the photos were checked by the media
            # model's constraints, which run under sudo too.
            self.env["aftersales.order.media"].sudo().create(
                [
                    {
                        "order_id": order_sudo.id,
                        "kind": "fault",
                        "name": name or "photo.jpg",
                        "file": base64.b64encode(content),
                        "visible_to_customer": True,
                    }
                    for name, content in photos
                ]
            )
        # Assigned by create() when the company assigns automatically.
        return order_sudo

    def _prepare_portal_request_vals(
        self, partner, product, lot, service_type, description, values
    ):
        """Values of a work order requested on the portal (extension hook)."""
        company = lot.company_id or service_type.company_id or partner.company_id
        company = company or self.env.company
        address = self._portal_get_addresses(partner).filtered(
            lambda a: a.id == _to_int(values.get("address_id"))
        )
        phone = (values.get("phone") or "").strip()[:MAX_PHONE]
        return {
            "company_id": company.id,
            "partner_id": partner.id,
            # Only the customer's own addresses; else the computed default.
            **({"address_id": address.id} if address else {}),
            **({"phone": phone} if phone else {}),
            "product_id": product.id,
            "lot_id": lot.id or False,
            "service_type_id": service_type.id,
            "requested_date": values.get("preferred_date") or False,
            "description": description,
            "channel": values.get("channel") or "portal",
            "handed_in_by": partner.name,
            # Nobody dispatches it yet: the company's dispatcher, if any.
            "user_id": company.aftersales_dispatcher_id.id or False,
        }

    @api.model
    def _portal_get_addresses(self, partner):
        """The addresses a customer may ask service at: their own and their
        company's contacts and delivery addresses that have a street or
        city. Read as superuser: a portal user may not list their company's
        other addresses; the domain keeps to the customer's own."""
        commercial = partner.commercial_partner_id
        addresses_sudo = (
            self.env["res.partner"]
            .sudo()
            .search(
                [
                    ("id", "child_of", commercial.id),
                    ("type", "in", ("contact", "delivery", "other")),
                    "|",
                    ("street", "!=", False),
                    ("city", "!=", False),
                ],
                order="type desc, id",
            )
        )
        default = partner.address_get(["delivery"])["delivery"]
        return addresses_sudo.sorted(lambda a: a.id != default)

    @api.model
    def _portal_get_phones(self, partner):
        """The numbers the customer gave us, the contact's first."""
        addresses = partner | self._portal_get_addresses(partner)
        return list(dict.fromkeys(p for p in addresses.mapped("phone") if p))

    @api.model
    def _portal_get_service_types(self, partner):
        """The kinds of service a customer may request."""
        companies = partner.company_id or self.env.company
        # Portal users and the public may not read service types; the list is
        # what the request form offers.
        return (
            self.env["aftersales.service.type"]
            .sudo()
            .search([("company_id", "in", [False, *companies.ids])])
        )

    @api.model
    def _portal_parse_preferred_date(self, value, tz_name):
        """A ``datetime-local`` input (``YYYY-MM-DDTHH:MM``) in the customer's
        time zone, as naive UTC; False when empty. Raises UserError."""
        if not value:
            return False
        try:
            local = datetime.strptime(value.strip()[:16], "%Y-%m-%dT%H:%M")
            zone = pytz.timezone(tz_name or "UTC")
        except (ValueError, pytz.UnknownTimeZoneError) as error:
            raise UserError(self.env._("The preferred time is not valid.")) from error
        return zone.localize(local).astimezone(pytz.utc).replace(tzinfo=None)

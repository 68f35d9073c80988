import base64
import io
from datetime import datetime

import pytz
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import html2plaintext

from ...tools.spreadsheet import read_table
from ..aftersales_order_media import PHOTO_KINDS
from .core import TRANSITIONS
from .states import (
    CLOSED_STATES,
    OPEN_ORDER_STATES,
    STOPPED_STATES,
    UNFINISHED_STATES,
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


MAX_BULK_ROWS = 500


# What an XLSX of MAX_BULK_ROWS rows may unpack to (it is far less).
MAX_BULK_XLSX_UNPACKED = 8 * 1024 * 1024


# The steps the technician's phone offers, in the order of the work (which
# of them an order accepts is TRANSITIONS' rule, see _technician_app_steps):
# the state each leads to, which the app shows at once, offline included; and
# whether it ends the work, taking the parts used out of stock (see the stock
# seam's _action_request_approval and _action_done), which the phone refuses
# while a part is short where it is taken from.
APP_STEPS = {
    "start_travel": {"to": "on_the_way", "takes_parts": False},
    "start": {"to": "in_progress", "takes_parts": False},
    "request_approval": {"to": "awaiting_approval", "takes_parts": True},
    "done": {"to": "done", "takes_parts": True},
}
# What the phone tells once an action that may close the work is applied, by
# the state it left the order in (keys of the texts in _technician_app_labels).
APP_NOTICES = {"done": "completed", "awaiting_approval": "awaiting"}
APP_NOTICE_KINDS = ("done", "approval")


class AftersalesOrder(models.Model):
    """The work order on the portal (depends on ``portal``): as its customer
    sees it (timeline, photos, decisions, service requests), as dealers
    request it, and as the technician's phone app shows it."""

    _inherit = "aftersales.order"

    # ------------------------------------------------------------
    # Overrides
    # ------------------------------------------------------------

    def _get_workflow_fields(self):
        # Set by the portal when a dealer requests service, never by hand.
        return super()._get_workflow_fields() | {"dealer_id"}

    # ============================================================
    # Customer portal: timeline, photos, decisions, requests
    # ============================================================

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
        if self.approval_required or self.date_approval_requested:
            steps.append(
                (env._("Awaiting your approval"), self.date_approval_requested)
            )
        if self.state == "cancelled":
            steps.append((env._("Cancelled"), self.date_closed or self.write_date))
        elif self.state == "returned":
            steps.append((env._("Returned"), self.date_closed or self.write_date))
        else:
            steps.append((env._("Completed"), self.date_done))
        return [(label, date, bool(date)) for label, date in steps]

    def _get_portal_decision_kind(self):
        """What the customer decides on: "estimate" for a service desk's
        cost estimate (asked or answered: the workshop flow asks for no
        other decision), else "work", the finished work. The approval page
        and the portal word their questions by it."""
        self.ensure_one()
        if self.work_place == "workshop" and self.date_estimate_sent:
            return "estimate"
        return "work"

    def _get_portal_workshop_info(self, user=None):
        """What the portal tells of a job at a service desk, or False for a
        field job: the stage's customer label, the workshop status, when the
        unit came in and since when it is ready, the desk, and the pickup
        code, which only the customer logged in (``user``) reads: a shared
        link does not hand the unit over."""
        self.ensure_one()
        if self.work_place != "workshop":
            return False
        user = user or self.env.user
        statuses = dict(self._fields["workshop_state"]._description_selection(self.env))
        ready = self.workshop_state == "ready"
        # The code is hidden from most staff; the customer is checked first.
        order_sudo = self.sudo()
        return {
            "stage": self.stage_id._get_portal_label() if self.stage_id else "",
            "status": statuses.get(self.workshop_state, ""),
            "date_received": self.date_received,
            "date_ready": self.date_ready if ready else False,
            "date_picked_up": self.date_picked_up,
            "ready": ready,
            "desk": self.center_id if self.center_id.receives_units else False,
            "pickup_code": order_sudo.pickup_code
            if ready and self._is_customer_user(user)
            else False,
        }

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
        visits = self.visit_ids.filtered("work_done").sorted("date_start")
        return {
            "work_done": visits.mapped("work_done"),
            "lines": lines,
            "total": self._get_approval_page_total() if lines else False,
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
        if scheduled and self.state in STOPPED_STATES:
            return False, False
        if scheduled and scheduled < fields.Datetime.now():
            return "past", scheduled
        if scheduled:
            return "upcoming", scheduled
        if self.date_requested and self.state not in CLOSED_STATES:
            return "requested", self.date_requested
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
        # A photo the media model refuses must not leave the order behind.
        with self.env.cr.savepoint():
            # The customer may not create work orders in the backend; the
            # request was validated above and the order is theirs.
            order_sudo = self.sudo().with_company(vals["company_id"]).create(vals)
            if photos:
                # Same reason as the order: the photos are checked by the
                # media model's constraints, which run under sudo too.
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
            "date_requested": values.get("preferred_date") or False,
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

    # ============================================================
    # Dealer desk: requests and sales registered by dealers
    # ============================================================

    dealer_id = fields.Many2one(
        "res.partner",
        index="btree_not_null",
        readonly=True,
        copy=False,
        help="The dealer or branch that requested the service for its customer.",
    )

    # ------------------------------------------------------------
    # Bulk requests from the dealer portal
    # ------------------------------------------------------------

    @api.model
    def _dealer_parse_text(self, text):
        """Rows of a pasted table: serial or warranty card; service type; problem
        (tab, semicolon or comma separated), one per line. Read line by line
        and no further than one row over the limit (security review F4)."""
        rows = []
        lines = io.StringIO(text or "", newline=None)
        for number, line in enumerate(lines, start=1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            if len(rows) >= MAX_BULK_ROWS:
                self._dealer_raise_too_many_rows()
            separator = "\t" if "\t" in line else ";" if ";" in line else ","
            cells = [cell.strip() for cell in line.split(separator, 2)]
            rows.append((number, (cells + ["", "", ""])[:3]))
        return rows

    @api.model
    def _dealer_parse_file(self, filename, content):
        """Rows of an uploaded CSV or XLSX sheet with the same three columns; a
        first row naming them is skipped. The file is streamed and read no
        further than the limit allows, three columns wide (review F4)."""
        # A header, the rows allowed and one more to tell that there are more.
        table = read_table(
            self.env, filename, content, MAX_BULK_ROWS + 2, 3, MAX_BULK_XLSX_UNPACKED
        )
        if len(table) > MAX_BULK_ROWS + 1:
            self._dealer_raise_too_many_rows()
        rows = []
        for number, cells in enumerate(table, start=1):
            cells = [str(cell).strip() if cell is not None else "" for cell in cells]
            if not any(cells):
                continue
            if number == 1 and cells[0].lower() in ("serial", "serial number", "unit"):
                continue
            rows.append((number, (cells + ["", "", ""])[:3]))
        return rows

    @api.model
    def _dealer_raise_too_many_rows(self):
        raise UserError(
            self.env._(
                "At most %(count)s rows per request: split the list.",
                count=MAX_BULK_ROWS,
            )
        )

    @api.model
    def _dealer_validate_rows(self, dealer, rows):
        """Check each row; one query per kind for the whole table.

        Returns dicts with: line, key, service, problem, error (text or False),
        and for valid rows lot, customer and service_type.
        """
        if len(rows) > MAX_BULK_ROWS:
            self._dealer_raise_too_many_rows()
        if not rows:
            raise UserError(self.env._("The list is empty."))
        keys = [row[1][0] for row in rows]
        # Dealers may not read warranties or orders in the backend; every
        # search below is restricted to the dealer's own registrations.
        Warranty_sudo = self.env["aftersales.warranty"].sudo()
        warranties = Warranty_sudo.search(
            [
                ("dealer_id", "child_of", dealer.id),
                "|",
                ("lot_id.name", "in", keys),
                ("card_number", "in", keys),
            ]
        )
        by_key = {}
        for warranty in warranties:
            by_key.setdefault(warranty.lot_id.name, warranty)
            by_key.setdefault(warranty.card_number, warranty)
        service_types = self._portal_get_service_types(dealer)
        type_by_key = {}
        for service_type in service_types:
            for key in (service_type.code, service_type.name):
                if key:
                    type_by_key.setdefault(key.strip().lower(), service_type)
        open_lots = set(
            self.sudo()
            .search(
                [
                    ("lot_id", "in", warranties.lot_id.ids),
                    ("state", "in", UNFINISHED_STATES),
                ]
            )
            .mapped("lot_id.id")
        )
        seen = set()
        result = []
        for line, (key, service, problem) in rows:
            warranty = by_key.get(key)
            service_type = type_by_key.get(service.lower())
            error = False
            if not key:
                error = self.env._("No serial number.")
            elif not warranty:
                error = self.env._("Not a unit registered by you.")
            elif key in seen or warranty.lot_id.name in seen:
                error = self.env._("Listed twice.")
            elif warranty.lot_id.id in open_lots:
                error = self.env._("Already has an open service order.")
            elif not service_type:
                error = self.env._(
                    "Unknown service type “%(service)s”.", service=service
                )
            elif not problem:
                error = self.env._("No problem described.")
            seen.update({key, warranty.lot_id.name} if warranty else {key})
            result.append(
                {
                    "line": line,
                    "key": key,
                    "service": service,
                    "problem": problem,
                    "error": error,
                    "lot": warranty.lot_id if warranty else None,
                    "customer": warranty.partner_id if warranty else None,
                    "service_type": service_type,
                }
            )
        return result

    @api.model
    def _dealer_create_requests(self, dealer, checked_rows, desk=None):
        """Create the orders of the valid rows; return them."""
        vals_list = [
            self._prepare_dealer_request_vals(dealer, row, desk)
            for row in checked_rows
            if not row["error"]
        ]
        if not vals_list:
            return self.browse()
        # Dealers may not create work orders in the backend; the rows were
        # checked against their own registered units above.
        # Assigned by create() when the company assigns automatically.
        orders_sudo = self.sudo().create(vals_list)
        return orders_sudo

    def _prepare_dealer_request_vals(self, dealer, row, desk=None):
        """Values of a work order from a dealer's row (extension hook)."""
        lot = row["lot"]
        company = lot.company_id or row["service_type"].company_id or self.env.company
        vals = {
            "company_id": company.id,
            "partner_id": row["customer"].id,
            "product_id": lot.product_id.id,
            "lot_id": lot.id,
            "service_type_id": row["service_type"].id,
            # What the dealer typed, shown as typed (security review F5).
            "description": text_to_html(row["problem"]),
            "channel": "dealer",
            "dealer_id": dealer.id,
            "handed_in_by": dealer.name,
            "user_id": company.aftersales_dispatcher_id.id or False,
        }
        if desk:
            vals["center_id"] = desk.id
        return vals

    # ------------------------------------------------------------
    # Sales registered by a dealer
    # ------------------------------------------------------------

    @api.model
    def _dealer_register_sale(self, dealer, values):
        """Register a unit sold by ``dealer``: its customer (found among the
        dealer's customers by phone or e-mail, else created), the serial and
        an active warranty from the sale date. Returns the warranty.

        A dealer registers only what it may have sold (security review F3,
        F12): a serial known for another customer (owner, warranty, work
        order or delivery) or for another product is refused, and the refusal
        is put before the back office. Registering a serial again for the same
        customer is allowed and logged on the unit and the warranty."""
        serial = (values.get("serial") or "").strip()
        code = (values.get("product_code") or "").strip()
        name = (values.get("customer_name") or "").strip()
        if not serial or not code or not name:
            raise UserError(
                self.env._(
                    "The customer's name, the serial number and the product code "
                    "are required."
                )
            )
        sale_date = values.get("sale_date") or fields.Date.context_today(self)
        if sale_date > fields.Date.context_today(self):
            raise UserError(self.env._("The sale date is in the future."))
        # Dealers register units they sold: products, serials and customers
        # are looked up and created as superuser, restricted to the dealer.
        Product_sudo = self.env["product.product"].sudo()
        product = Product_sudo.search([("default_code", "=ilike", code)], limit=2)
        if len(product) != 1:
            raise UserError(self.env._("No product with the code %(code)s.", code=code))
        warranty_type = product.product_tmpl_id._get_aftersales_warranty_type()
        if not warranty_type:
            raise UserError(
                self.env._(
                    "%(product)s has no warranty: ask us to set one up.",
                    product=product.display_name,
                )
            )
        customer = self._dealer_find_customer(dealer, values)
        lot = self._dealer_check_serial(dealer, serial, product, customer, values)
        previous = lot.aftersales_warranty_ids
        company = warranty_type.company_id or self.env.company
        # Nothing half registered when a step below refuses.
        with self.env.cr.savepoint():
            customer = customer or self._dealer_create_customer(dealer, name, values)
            # Portal dealers may not create serials; _dealer_check_serial
            # above refused a serial known for another product or customer.
            lots_sudo = self.env["stock.lot"].sudo()
            lot = lot or lots_sudo.create(
                {"name": serial, "product_id": product.id, "company_id": company.id}
            )
            # Dealers may not write warranties in the backend; checked above.
            warranty_sudo = (
                self.env["aftersales.warranty"]
                .sudo()
                .create(
                    {
                        "lot_id": lot.id,
                        "partner_id": customer.id,
                        "warranty_type_id": warranty_type.id,
                        "company_id": company.id,
                        "dealer_id": dealer.id,
                    }
                )
            )
            warranty_sudo.action_activate(sale_date)
            warranty = warranty_sudo
        if previous:
            self._dealer_log_registered_again(dealer, lot, warranty, previous)
        return warranty

    @api.model
    def _dealer_check_serial(self, dealer, serial, product, customer, values):
        """The existing unit ``serial`` of ``product`` (or an empty recordset)
        when ``dealer`` may register it as sold to ``customer`` (an empty
        recordset for a new customer); else report it and raise UserError."""
        # As superuser: the dealer may not read serials, warranties, orders or
        # deliveries; only the verdict below is shown.
        Lot_sudo = self.env["stock.lot"].sudo()
        lots_sudo = Lot_sudo.search([("name", "=", serial)])
        lot_sudo = lots_sudo.filtered(lambda lot: lot.product_id == product)[:1]
        reason = False
        if lots_sudo - lot_sudo:
            reason = self.env._("the serial number exists for another product")
        elif lot_sudo:
            reason = self._dealer_get_serial_conflict(dealer, lot_sudo, customer)
        if reason:
            self._dealer_report_refused_sale(
                dealer, (lot_sudo or lots_sudo)[:1], product, values, reason
            )
            raise UserError(
                self.env._(
                    "Serial %(serial)s cannot be registered: it is already "
                    "registered for another customer or product. Our team will "
                    "review it and contact you.",
                    serial=serial,
                )
            )
        if lot_sudo.aftersales_warranty_ids.filtered(
            lambda warranty: warranty.state in ("draft", "active")
        ):
            raise UserError(
                self.env._("Serial %(serial)s is already registered.", serial=serial)
            )
        return lot_sudo

    @api.model
    def _dealer_get_serial_conflict(self, dealer, lot_sudo, customer):
        """Why ``lot_sudo`` is not the dealer's to sell to ``customer``, or
        False: it is known for someone else (its owner, a warranty, a work
        order) or was delivered to someone other than the dealer."""
        mine = customer.commercial_partner_id
        known = (
            lot_sudo.aftersales_owner_id
            | lot_sudo.aftersales_warranty_ids.filtered(
                lambda warranty: warranty.state != "void"
            ).partner_id
            | lot_sudo.aftersales_order_ids.partner_id
        ).commercial_partner_id
        if known - mine:
            return self.env._("the unit is known for another customer")
        # Dealers cannot read stock moves: only who the unit went to is read.
        move_lines_sudo = self.env["stock.move.line"].sudo()
        delivered = move_lines_sudo.search(
            [
                ("lot_id", "=", lot_sudo.id),
                ("state", "=", "done"),
                ("location_dest_id.usage", "=", "customer"),
            ]
        ).picking_id.partner_id.commercial_partner_id
        if delivered and not (delivered & (dealer | mine)):
            return self.env._("the unit was delivered to someone else")
        return False

    @api.model
    def _dealer_report_refused_sale(self, dealer, lot_sudo, product, values, reason):
        """Leave a refused registration on the unit's chatter (who, when,
        what) and ask the back office to review it, once per unit."""
        if not lot_sudo:
            return
        text = self.env._(
            "Sale registration refused (%(reason)s): dealer %(dealer)s "
            "(%(user)s) registered serial %(serial)s (%(product)s) as sold to "
            "%(customer)s, phone %(phone)s, e-mail %(email)s, on %(date)s.",
            reason=reason,
            dealer=dealer.display_name,
            user=self.env.user.display_name,
            serial=lot_sudo.name,
            product=product.display_name,
            customer=(values.get("customer_name") or "").strip()[:128],
            phone=(values.get("phone") or "").strip()[:64] or "-",
            email=(values.get("email") or "").strip()[:128] or "-",
            date=values.get("sale_date") or fields.Date.context_today(self),
        )
        # Markup % escapes the dealer's input: it is stored as text (F5).
        body = Markup("<p>%s</p>") % text
        lot_sudo.message_post(
            body=body, message_type="comment", subtype_xmlid="mail.mt_note"
        )
        summary = self.env._("Review a refused dealer sale")
        company = lot_sudo.company_id or self.env.company
        reviewer = company.aftersales_dispatcher_id
        if reviewer and not lot_sudo.activity_ids.filtered(
            lambda activity: activity.summary == summary
        ):
            lot_sudo.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=summary,
                note=body,
                user_id=reviewer.id,
            )

    @api.model
    def _dealer_log_registered_again(self, dealer, lot_sudo, warranty, previous):
        """Log a second registration of a serial on the unit and on the new
        warranty: who, when, for whom, and the warranties before it."""
        # The dealer may read neither the earlier warranties (another
        # dealer's) nor post on the new one: the log is the addon's own.
        previous_sudo = previous.sudo()
        warranty_sudo = warranty.sudo()
        text = self.env._(
            "Serial %(serial)s registered again by dealer %(dealer)s (%(user)s) "
            "for %(customer)s: warranty %(card)s from %(date)s. Earlier "
            "warranties: %(previous)s.",
            serial=lot_sudo.name,
            dealer=dealer.display_name,
            user=self.env.user.display_name,
            customer=warranty.partner_id.display_name,
            card=warranty.card_number,
            date=warranty.date_start,
            previous=", ".join(
                f"{old.card_number} ({old.state})" for old in previous_sudo
            ),
        )
        body = Markup("<p>%s</p>") % text
        for record in (lot_sudo, warranty_sudo):
            record.message_post(
                body=body, message_type="comment", subtype_xmlid="mail.mt_note"
            )

    @api.model
    def _dealer_find_customer(self, dealer, values):
        """The dealer's customer with this phone or e-mail, if any."""
        # As superuser: dealers may not search partners; restricted to the
        # dealer's own customers.
        Partner_sudo = self.env["res.partner"].sudo()
        phone = (values.get("phone") or "").strip()
        email = (values.get("email") or "").strip().lower()
        domain = [("aftersales_dealer_id", "=", dealer.id)]
        for field, value in (("phone", phone), ("email", email)):
            if value:
                found = Partner_sudo.search(domain + [(field, "=", value)], limit=1)
                if found:
                    return found
        return Partner_sudo.browse()

    @api.model
    def _dealer_create_customer(self, dealer, name, values):
        # As superuser: dealers may not create partners in the backend.
        partners_sudo = self.env["res.partner"].sudo()
        return partners_sudo.create(
            {
                "name": name[:128],
                "phone": (values.get("phone") or "").strip() or False,
                "email": (values.get("email") or "").strip().lower() or False,
                "street": (values.get("street") or "").strip()[:128] or False,
                "city": (values.get("city") or "").strip()[:64] or False,
                "aftersales_dealer_id": dealer.id,
            }
        )

    @api.model
    def _dealer_find_or_create_customer(self, dealer, name, values):
        return self._dealer_find_customer(dealer, values) or (
            self._dealer_create_customer(dealer, name, values)
        )

    # ============================================================
    # Technician app: the jobs as the phone shows them
    # ============================================================

    @api.model
    def _technician_app_orders(self, user):
        """The user's open jobs, today's first: one search, read as the user."""
        return self.with_user(user).search(
            [
                ("technician_id.user_id", "=", user.id),
                # An archived technician has no jobs any more.
                ("technician_id.active", "=", True),
                ("state", "in", OPEN_ORDER_STATES),
            ],
            order="scheduled_date asc, priority desc, id",
            limit=200,
        )

    @api.model
    def _technician_app_labels(self):
        """Every text the phone app shows, in the current language: the page
        hands them to app.js, which has no text of its own."""
        states = dict(self._fields["state"]._description_selection(self.env))
        return {
            "states": states,
            "steps": {
                "start_travel": self.env._("On my way"),
                "start": self.env._("Start work"),
                "request_approval": self.env._("Ask approval"),
                "done": self.env._("Complete"),
            },
            # The state machine as far as the phone needs it, so that app.js
            # names no state: where each step leads, the steps that take the
            # parts out of stock, and what to tell after a closing action.
            "step_targets": {step: spec["to"] for step, spec in APP_STEPS.items()},
            "stock_steps": [
                step for step, spec in APP_STEPS.items() if spec["takes_parts"]
            ],
            "notices": dict.fromkeys(APP_NOTICE_KINDS, APP_NOTICES),
            "photo_kinds": [
                [key, label]
                for key, label in self.env["aftersales.order.media"]
                ._fields["kind"]
                ._description_selection(self.env)
                if key in PHOTO_KINDS
            ],
            "no_job": self.env._("No job for now."),
            "all_jobs": self.env._("All jobs"),
            "map": self.env._("Map"),
            "call": self.env._("Call"),
            "sms": self.env._("SMS"),
            "serial": self.env._("S/N %(serial)s"),
            "waiting_center": self.env._(
                "Waiting for your center to accept this job: you can start once "
                "they have."
            ),
            "note_placeholder": self.env._("Work done"),
            "save_note": self.env._("Save note"),
            "notes": self.env._("Notes"),
            "photo": self.env._("Photo"),
            "photo_kind": self.env._("Kind of photo"),
            "photos": self.env._("Photos"),
            "part_used": self.env._("Part used"),
            "choose_part": self.env._("Choose a part…"),
            "taken_from": self.env._("Taken from"),
            "quantity": self.env._("Quantity"),
            "add_part": self.env._("Add part"),
            "parts": self.env._("Parts"),
            "remove": self.env._("Remove"),
            "save": self.env._("Save"),
            "in_stock": self.env._("%(quantity)s in %(location)s"),
            "not_in_stock": self.env._(
                "Only %(available)s of %(part)s in %(location)s: take it from "
                "another place, or ask your center to transfer it."
            ),
            "parts_short": self.env._(
                "Some parts are not in stock where they are taken from: change "
                "the place or the quantity, or remove them, before you finish."
            ),
            "waiting": self.env._("waiting to sync"),
            "syncing": self.env._("Syncing…"),
            "all_synced": self.env._("All synced"),
            "offline": self.env._("Offline"),
            "offline_waiting": self.env._("Offline: %(count)s waiting"),
            "not_applied": self.env._("%(count)s not applied"),
            "sync_refused": self.env._("Sync refused: %(message)s"),
            "decision": self.env._("Customer's decision"),
            "onsite_note": self.env._(
                "The customer decides here, on your phone; it is recorded as an "
                "on-site decision, in your name."
            ),
            "summary": self.env._("Work done"),
            "covered": self.env._("Covered"),
            "signed_by": self.env._("Customer's name"),
            "feedback": self.env._("Customer's comment (required to reject)"),
            "signature": self.env._("Signature (optional)"),
            "clear": self.env._("Clear"),
            "approves": self.env._("Customer approves"),
            "rejects": self.env._("Customer rejects"),
            "completed": self.env._("%(order)s completed."),
            "rejected": self.env._(
                "%(order)s: the customer rejected the work; it is back in progress."
            ),
            "awaiting": self.env._("%(order)s is waiting for the customer's approval."),
            "close": self.env._("Close"),
        }

    def _technician_app_steps(self, state):
        """The steps the order's rules accept from ``state``: what the phone
        offers, offline too, once the step before it is queued."""
        self.ensure_one()
        steps = []
        for step in APP_STEPS:
            if state not in TRANSITIONS[step]["from"]:
                continue
            if step == "done" and (
                (self.approval_required and self.approval_state != "approved")
                or self._get_completion_blockers()
            ):
                continue
            steps.append(step)
        return steps

    def _technician_app_values(self, user=None):
        """What the app needs of each order, as JSON-ready dicts."""
        user = user or self.env.user
        states = dict(self._fields["state"]._description_selection(self.env))
        values = []
        # Read as superuser after the search as the user: the app shows the
        # customer's address and product, which technicians may not all read.
        for order in self.sudo():
            address = order.address_text or ""
            media = order.media_ids.filtered(lambda m: m.kind in PHOTO_KINDS)
            kinds = dict(media._fields["kind"]._description_selection(self.env))
            values.append(
                {
                    "id": order.id,
                    "name": order.name,
                    "state": order.state,
                    "state_label": states.get(order.state),
                    "steps": order._technician_app_steps(order.state),
                    # What the phone offers after a step queued offline.
                    "steps_by_state": {
                        state: order._technician_app_steps(state)
                        for state in {spec["to"] for spec in APP_STEPS.values()}
                    },
                    "waiting_center": order.state == "assigned",
                    "customer": order.partner_id.name,
                    "phone": order.phone or "",
                    "address": address,
                    "map_url": "https://www.google.com/maps/search/?api=1&query="
                    + (
                        f"{order.latitude},{order.longitude}"
                        if order.latitude or order.longitude
                        else address.replace(" ", "+")
                    ),
                    "scheduled": fields.Datetime.to_string(order.scheduled_date)
                    if order.scheduled_date
                    else "",
                    "schedule_text": order._format_datetime_for(
                        user, order.scheduled_date
                    ),
                    "product": order.product_id.display_name,
                    "serial": order.lot_id.name or "",
                    "service": order.service_type_id.name,
                    "description": html2plaintext(order.description or ""),
                    "awaiting_customer": order.state == "awaiting_approval",
                    # The same lines as the customer's approval page.
                    "approval_lines": [
                        list(line) for line in order._get_approval_page_lines()
                    ]
                    if order.state == "awaiting_approval"
                    else [],
                    "notes": [
                        {
                            "id": log.id,
                            "text": "\n".join(
                                text
                                for text in (log.fault_found, log.work_done)
                                if text
                            ),
                            "date": order._format_datetime_for(user, log.date_start),
                        }
                        for log in order.visit_ids
                        if log.fault_found or log.work_done
                    ],
                    "photos": [
                        {
                            "id": photo.id,
                            "name": photo.name,
                            "kind": photo.kind,
                            "kind_label": kinds.get(photo.kind),
                            "url": f"/web/image/aftersales.order.media/{photo.id}"
                            "/thumbnail",
                        }
                        for photo in media
                    ],
                    "parts": order._technician_app_parts(),
                }
            )
        return values

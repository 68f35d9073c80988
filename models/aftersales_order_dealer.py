import io

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from .aftersales_center import OPEN_ORDER_STATES
from .aftersales_order import WORKFLOW_FIELDS
from .aftersales_order_portal import text_to_html

MAX_BULK_ROWS = 500
# What an XLSX of MAX_BULK_ROWS rows may unpack to (it is far less).
MAX_BULK_XLSX_UNPACKED = 8 * 1024 * 1024
# Set by the portal when a dealer requests service, never by hand.
WORKFLOW_FIELDS.add("dealer_id")


class AftersalesOrder(models.Model):
    """Work orders requested by a dealer or branch for its customers."""

    _inherit = "aftersales.order"

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
        table = self.env["aftersales.warranty.import"]._read_table(
            filename, content, MAX_BULK_ROWS + 2, 3, MAX_BULK_XLSX_UNPACKED
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
                    ("state", "in", ("new", *OPEN_ORDER_STATES)),
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

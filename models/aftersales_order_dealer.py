from odoo import api, fields, models
from odoo.exceptions import UserError

from .aftersales_center import OPEN_ORDER_STATES
from .aftersales_order import WORKFLOW_FIELDS

MAX_BULK_ROWS = 500
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
        (tab, semicolon or comma separated), one per line."""
        rows = []
        for number, line in enumerate((text or "").splitlines(), start=1):
            if not line.strip():
                continue
            separator = "\t" if "\t" in line else ";" if ";" in line else ","
            cells = [cell.strip() for cell in line.split(separator, 2)]
            rows.append((number, (cells + ["", "", ""])[:3]))
        return rows

    @api.model
    def _dealer_parse_file(self, filename, content):
        """Rows of an uploaded CSV or XLSX sheet with the same three columns; a
        first row naming them is skipped."""
        reader = self.env["aftersales.warranty.import"]
        if (filename or "").lower().endswith(".xlsx"):
            table = reader._read_xlsx(content)
        else:
            table = reader._read_csv(content)
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
    def _dealer_validate_rows(self, dealer, rows):
        """Check each row; one query per kind for the whole table.

        Returns dicts with: line, key, service, problem, error (text or False),
        and for valid rows lot, customer and service_type.
        """
        if len(rows) > MAX_BULK_ROWS:
            raise UserError(
                self.env._(
                    "At most %(count)s rows per request: split the list.",
                    count=MAX_BULK_ROWS,
                )
            )
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
        orders_sudo = self.sudo().create(vals_list)
        auto = orders_sudo.filtered("company_id.aftersales_auto_assign")
        if auto:
            auto._action_assign()
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
            "description": row["problem"],
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
        an active warranty from the sale date. Returns the warranty."""
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
        Lot_sudo = self.env["stock.lot"].sudo()
        lot = Lot_sudo.search(
            [("name", "=", serial), ("product_id", "=", product.id)], limit=1
        )
        Warranty_sudo = self.env["aftersales.warranty"].sudo()
        if lot and Warranty_sudo.search_count(
            [("lot_id", "=", lot.id), ("state", "in", ("draft", "active"))], limit=1
        ):
            raise UserError(
                self.env._("Serial %(serial)s is already registered.", serial=serial)
            )
        company = warranty_type.company_id or self.env.company
        lot = lot or Lot_sudo.create(
            {"name": serial, "product_id": product.id, "company_id": company.id}
        )
        customer = self._dealer_find_or_create_customer(dealer, name, values)
        # Dealers may not write warranties in the backend; checked above.
        warranty = Warranty_sudo.create(
            {
                "lot_id": lot.id,
                "partner_id": customer.id,
                "warranty_type_id": warranty_type.id,
                "company_id": company.id,
                "dealer_id": dealer.id,
            }
        )
        warranty.action_activate(sale_date)
        return warranty

    @api.model
    def _dealer_find_or_create_customer(self, dealer, name, values):
        Partner_sudo = self.env["res.partner"].sudo()
        phone = (values.get("phone") or "").strip()
        email = (values.get("email") or "").strip().lower()
        domain = [("aftersales_dealer_id", "=", dealer.id)]
        for field, value in (("phone", phone), ("email", email)):
            if value:
                found = Partner_sudo.search(domain + [(field, "=", value)], limit=1)
                if found:
                    return found
        return Partner_sudo.create(
            {
                "name": name[:128],
                "phone": phone or False,
                "email": email or False,
                "street": (values.get("street") or "").strip()[:128] or False,
                "city": (values.get("city") or "").strip()[:64] or False,
                "aftersales_dealer_id": dealer.id,
            }
        )

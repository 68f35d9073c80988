import re

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import plaintext2html

from ..models.aftersales_order.states import UNFINISHED_STATES
from ..tools.phone import format_e164


class AftersalesOrderIntake(models.TransientModel):
    """Register one or many service requests: by serial, warranty card number
    or product code, for a known customer or one found or created from a phone
    number."""

    _name = "aftersales.order.intake"
    _description = "Register Service Requests"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one("res.partner", string="Customer", check_company=True)
    phone = fields.Char(
        help="Without a customer: the customer with this number, or a new one."
    )
    customer_name = fields.Char(help="Name of the customer created from the phone.")
    channel = fields.Selection(
        selection=lambda self: (
            self.env["aftersales.order"]._fields["channel"].selection
        ),
        required=True,
        default="phone",
    )
    service_type_id = fields.Many2one(
        "aftersales.service.type", required=True, check_company=True
    )
    units = fields.Text(
        required=True,
        help="One unit per line: serial number, warranty card number or product "
        "code, optionally followed by a tab, comma or semicolon and the problem "
        "(a table pasted from a spreadsheet works).",
    )
    description = fields.Text(string="Problem", help="For the lines that give none.")
    handed_in_by = fields.Char()
    batch = fields.Char(string="Batch Number")
    allow_duplicates = fields.Boolean(
        string="Register Duplicates",
        help="Also register units that already have an open work order of this type.",
    )
    register_valid_rows = fields.Boolean(
        string="Register the Valid Rows",
        default=True,
        help="Register the units found even when other lines are unknown; the "
        "others are returned with their reasons. Otherwise nothing is "
        "registered until every line is found.",
    )
    line_ids = fields.One2many(
        "aftersales.order.intake.line",
        "wizard_id",
        compute="_compute_line_ids",
        store=True,
        readonly=True,
    )

    # ------------------------------------------------------------
    # Compute methods
    # ------------------------------------------------------------

    @api.depends("units", "service_type_id", "partner_id")
    def _compute_line_ids(self):
        for wizard in self:
            parsed = wizard._parse_units()
            wizard.line_ids = [fields.Command.clear()] + [
                fields.Command.create(vals) for vals in wizard._resolve_units(parsed)
            ]

    def _parse_units(self):
        """[(key, problem)] from the text, one per non-empty line."""
        units = []
        for line in (self.units or "").splitlines():
            key, *problem = re.split(r"[\t;,]", line.strip(), maxsplit=1)
            if key.strip():
                units.append((key.strip(), problem[0].strip() if problem else ""))
        return units

    def _resolve_units(self, units):
        """Find each key as a serial, a warranty card or a product code, with
        one query per kind for all the lines, and flag duplicates."""
        keys = [key for key, _problem in units]
        lots = self.env["stock.lot"].search([("name", "in", keys)])
        lot_by_name = {lot.name: lot for lot in lots}
        cards = self.env["aftersales.warranty"].search([("card_number", "in", keys)])
        lot_by_card = {warranty.card_number: warranty.lot_id for warranty in cards}
        products = self.env["product.product"].search([("default_code", "in", keys)])
        product_by_code = {product.default_code: product for product in products}
        found_lots = lots | cards.lot_id
        open_orders = self.env["aftersales.order"].search(
            [
                ("lot_id", "in", found_lots.ids),
                ("service_type_id", "=", self.service_type_id.id),
                ("state", "in", UNFINISHED_STATES),
            ]
        )
        open_by_lot = {order.lot_id: order for order in open_orders}
        lines = []
        no_lot, no_product = self.env["stock.lot"], self.env["product.product"]
        for key, problem in units:
            lot = lot_by_name.get(key) or lot_by_card.get(key) or no_lot
            product = lot.product_id or product_by_code.get(key) or no_product
            vals = {
                "key": key,
                "problem": problem,
                "lot_id": lot.id,
                "product_id": product.id,
            }
            if not product:
                vals["status"] = "unknown"
            elif lot and lot in open_by_lot:
                vals.update(status="duplicate", duplicate_order_id=open_by_lot[lot].id)
            else:
                vals["status"] = "ok"
            if lot and self.partner_id:
                vals["warning"] = self._get_owner_warning(lot)
            lines.append(vals)
        return lines

    def _get_owner_warning(self, lot):
        """A warning when ``lot`` (found by serial or warranty card) belongs
        to a customer other than the one registering it."""
        # sudo: the owner comes from warranties and orders the user may not
        # read; only the owner's name is shown, to a dispatcher.
        owner = lot.sudo().aftersales_owner_id.commercial_partner_id
        if not owner or owner == self.partner_id.commercial_partner_id:
            return False
        return self.env._("Belongs to %(owner)s", owner=owner.display_name)

    def _compute_display_name(self):
        # The breadcrumb of a tool, not the technical name of a new record.
        for wizard in self:
            wizard.display_name = self.env._("Register Requests")

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_confirm(self):
        """Register the work orders and open them."""
        self.ensure_one()
        unknown = self.line_ids.filtered(lambda line: line.status == "unknown")
        if unknown and (not self.register_valid_rows or unknown == self.line_ids):
            raise UserError(
                self.env._(
                    "No serial number, warranty card or product code matches: "
                    "%(keys)s.",
                    keys=", ".join(unknown.mapped("key")),
                )
            )
        if not self.line_ids:
            raise UserError(self.env._("Enter at least one unit."))
        lines = self.line_ids.filtered(
            lambda line: (
                line.status == "ok"
                or (line.status == "duplicate" and self.allow_duplicates)
            )
        )
        if not lines:
            raise UserError(
                self.env._(
                    "Every unit already has an open work order of this type: "
                    "%(orders)s.",
                    orders=", ".join(self.line_ids.duplicate_order_id.mapped("name")),
                )
            )
        customer = self.partner_id or self._find_or_create_customer()
        batch = self.batch or (
            len(lines) > 1 and fields.Datetime.now().strftime("B%Y%m%d-%H%M%S")
        )
        orders = self.env["aftersales.order"].create(
            [line._prepare_order_vals(customer, batch) for line in lines]
        )
        action = {
            "type": "ir.actions.act_window",
            "name": self.env._("Registered Work Orders"),
            "res_model": "aftersales.order",
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": [("id", "in", orders.ids)],
        }
        left_out = self.line_ids - lines
        if not left_out:
            return action
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning",
                "sticky": True,
                "title": self.env._(
                    "%(registered)s registered, %(left)s not registered",
                    registered=len(orders),
                    left=len(left_out),
                ),
                "message": "\n".join(line._get_left_out_reason() for line in left_out),
                "next": action,
            },
        }

    def _find_or_create_customer(self):
        if not self.phone:
            raise UserError(
                self.env._("Choose the customer, or give their phone number.")
            )
        number = format_e164(self.env, self.phone, self.company_id.country_id)
        customer = self.env["res.partner"].search(
            [("phone_sanitized", "=", number)], limit=1
        )
        if customer:
            return customer.commercial_partner_id
        if not self.customer_name:
            raise UserError(
                self.env._(
                    "No customer has the number %(number)s: give the name of the "
                    "new customer.",
                    number=number,
                )
            )
        return self.env["res.partner"].create(
            {
                "name": self.customer_name,
                "phone": number,
                "country_id": self.company_id.country_id.id,
                "company_id": self.company_id.id,
            }
        )


class AftersalesOrderIntakeLine(models.TransientModel):
    _name = "aftersales.order.intake.line"
    _description = "Unit of a Service Request"

    wizard_id = fields.Many2one(
        "aftersales.order.intake", required=True, ondelete="cascade"
    )
    key = fields.Char(string="Serial, Card or Code")
    problem = fields.Char()
    lot_id = fields.Many2one("stock.lot", string="Serial Number")
    product_id = fields.Many2one("product.product")
    status = fields.Selection(
        [("ok", "To Register"), ("duplicate", "Already Open"), ("unknown", "Unknown")]
    )
    duplicate_order_id = fields.Many2one("aftersales.order", string="Open Work Order")
    warning = fields.Char(help="The unit belongs to another customer.")

    def _get_left_out_reason(self):
        """``key``: why this line was not registered, for the user."""
        self.ensure_one()
        if self.status == "duplicate":
            return self.env._(
                "%(key)s: already open as %(order)s",
                key=self.key,
                order=self.duplicate_order_id.name,
            )
        return self.env._(
            "%(key)s: no serial number, warranty card or product code matches",
            key=self.key,
        )

    def _prepare_order_vals(self, customer, batch):
        """Values of the work order of this unit (extension hook)."""
        wizard = self.wizard_id
        problem = self.problem or wizard.description
        return {
            "partner_id": customer.id,
            "product_id": self.product_id.id,
            "lot_id": self.lot_id.id,
            "service_type_id": wizard.service_type_id.id,
            "channel": wizard.channel,
            "company_id": wizard.company_id.id,
            "handed_in_by": wizard.handed_in_by,
            "intake_batch": batch or False,
            "description": problem and plaintext2html(problem),
        }

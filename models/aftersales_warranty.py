from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools.labels import field_labels
from ..tools.sequence import number_new_records

# Fields only the warranty's actions (and the code paths that create
# warranties: deliveries, dealers, imports) set; users cannot, not even
# through RPC.
WARRANTY_WORKFLOW_FIELDS = {
    "state",
    "extension_months",
    "void_reason",
    "date_end",
    "dealer_id",
    "sale_line_id",
    "picking_id",
    "previous_warranty_id",
}
# Fields of the terms that are edited while the warranty is a draft only:
# once started, they decide what is covered until when.
WARRANTY_DRAFT_FIELDS = {
    "date_start",
    "warranty_type_id",
    "lot_id",
    "partner_id",
    "company_id",
}


class AftersalesWarranty(models.Model):
    """The warranty of one serial (stock.lot) for one customer."""

    _name = "aftersales.warranty"
    _description = "After-Sales Warranty"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_end desc, id desc"
    _rec_name = "card_number"
    _check_company_auto = True

    # Identity
    card_number = fields.Char(
        string="Warranty Card",
        required=True,
        readonly=True,
        copy=False,
        default=lambda self: self.env._("New"),
        index="trigram",
        help="The number printed on the customer's warranty card.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    state = fields.Selection(
        [
            ("draft", "Not Started"),
            ("active", "Active"),
            ("expired", "Expired"),
            ("void", "Void"),
        ],
        string="Status",
        required=True,
        readonly=True,
        copy=False,
        default="draft",
        index=True,
        tracking=True,
        help="* Not Started: waits for installation or the customer's registration.\n"
        "* Active: covers the unit.\n"
        "* Expired: its end date has passed.\n"
        "* Void: cancelled (e.g. a unit returned or a tampered seal).",
    )

    # Unit and owner
    lot_id = fields.Many2one(
        "stock.lot",
        string="Serial Number",
        required=True,
        index=True,
        check_company=True,
        ondelete="restrict",
        tracking=True,
    )
    product_id = fields.Many2one(related="lot_id.product_id", store=True, index=True)
    dealer_id = fields.Many2one(
        "res.partner",
        index="btree_not_null",
        readonly=True,
        help="The dealer or branch that sold the unit and registered the warranty.",
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        check_company=True,
        tracking=True,
    )
    sale_line_id = fields.Many2one(
        "sale.order.line", readonly=True, copy=False, index="btree_not_null"
    )
    picking_id = fields.Many2one(
        "stock.picking", string="Delivery", readonly=True, copy=False
    )

    # Terms
    warranty_type_id = fields.Many2one(
        "aftersales.warranty.type",
        required=True,
        check_company=True,
        tracking=True,
    )
    covers_parts = fields.Boolean(related="warranty_type_id.covers_parts")
    covers_labour = fields.Boolean(related="warranty_type_id.covers_labour")
    covers_travel = fields.Boolean(related="warranty_type_id.covers_travel")
    date_start = fields.Date(tracking=True, index=True)
    extension_months = fields.Integer(readonly=True, copy=False, tracking=True)
    date_end = fields.Date(
        compute="_compute_date_end", store=True, index=True, tracking=True
    )
    void_reason = fields.Text(readonly=True, copy=False)
    previous_warranty_id = fields.Many2one(
        "aftersales.warranty",
        string="Passed On From",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The warranty of the unit this serial replaced: it goes on here.",
    )

    # History
    order_ids = fields.One2many("aftersales.order", "warranty_id", string="Work Orders")

    _lot_partner_uniq = models.UniqueIndex(
        "(lot_id, partner_id) WHERE state != 'void'",
        "This serial already has a warranty for this customer.",
    )
    _card_number_uniq = models.Constraint(
        "unique(card_number, company_id)", "Warranty card numbers must be unique."
    )

    # ------------------------------------------------------------
    # Compute methods
    # ------------------------------------------------------------

    @api.depends("date_start", "warranty_type_id", "extension_months")
    def _compute_date_end(self):
        for warranty in self:
            if not warranty.date_start or not warranty.warranty_type_id:
                warranty.date_end = False
                continue
            date_end = warranty.warranty_type_id._get_end_date(warranty.date_start)
            warranty.date_end = fields.Date.add(
                date_end, months=warranty.extension_months
            )

    # ------------------------------------------------------------
    # Overrides
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._ensure_create_vals_allowed(vals)
        # A warranty voided in this transaction frees its serial (partial unique
        # index on state): the database must see the void first.
        self.flush_model(["state"])
        number_new_records(self, vals_list, "card_number", "aftersales.warranty")
        return super().create(vals_list)

    def write(self, vals):
        self._ensure_workflow_fields_untouched(vals)
        return super().write(vals)

    # ------------------------------------------------------------
    # Guards
    # ------------------------------------------------------------

    def _is_workflow_write(self):
        return self.env.su

    @api.model
    def _ensure_create_vals_allowed(self, vals):
        """Users create draft warranties; their actions start them."""
        if self._is_workflow_write():
            return
        forged = {
            fname
            for fname in WARRANTY_WORKFLOW_FIELDS
            if vals.get(fname) and not (fname == "state" and vals[fname] == "draft")
        }
        if forged:
            raise UserError(
                self.env._(
                    "%(fields)s of a warranty are set by its actions (Start, "
                    "Extend, Void), not when it is created.",
                    fields=field_labels(self, forged),
                )
            )

    def _ensure_workflow_fields_untouched(self, vals):
        if self._is_workflow_write():
            return
        locked = WARRANTY_WORKFLOW_FIELDS.intersection(vals)
        if locked:
            raise UserError(
                self.env._(
                    "%(fields)s of a warranty change only through its actions "
                    "(Start, Extend, Void).",
                    fields=field_labels(self, locked),
                )
            )
        terms = WARRANTY_DRAFT_FIELDS.intersection(vals)
        started = self.filtered(lambda w: w.state != "draft")
        if terms and started:
            raise UserError(
                self.env._(
                    "Warranty %(cards)s has started: its %(fields)s no longer change.",
                    cards=", ".join(started.mapped("card_number")),
                    fields=field_labels(self, terms),
                )
            )

    def _workflow_write(self, vals):
        """Write as the warranty's actions: the only way to change
        WARRANTY_WORKFLOW_FIELDS. The callers' guards checked the user's
        right to write the warranties; a context flag would not do, any RPC
        caller can send one."""
        warranties_sudo = self.sudo()
        return warranties_sudo.write(vals)

    def _ensure_state(self, states, action):
        self.check_access("write")
        blocked = self.filtered(lambda w: w.state not in states)
        if blocked:
            raise UserError(
                self.env._(
                    "You cannot %(action)s warranty %(cards)s in its current state.",
                    action=action,
                    cards=", ".join(blocked.mapped("card_number")),
                )
            )

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_activate(self, date_start=None):
        """Start the warranties (installation done, or registration)."""
        self._ensure_state(("draft",), self.env._("start"))
        self._workflow_write(
            {
                "state": "active",
                "date_start": date_start or fields.Date.context_today(self),
            }
        )
        self._expire_ended()
        return True

    def action_void(self, reason=None):
        """Cancel the warranties, giving a reason."""
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Please give a reason."))
        self._ensure_state(("draft", "active", "expired"), self.env._("void"))
        self._workflow_write({"state": "void", "void_reason": reason})
        return True

    def action_extend(self, months):
        """Extend the warranties by ``months`` (extended warranty)."""
        if not months or months <= 0:
            raise UserError(self.env._("Extend by at least one month."))
        self._ensure_state(("active", "expired"), self.env._("extend"))
        for warranty in self:
            wtype = warranty.warranty_type_id
            if not wtype.extension_allowed:
                raise UserError(
                    self.env._(
                        "Warranties of type %(type)s cannot be extended.",
                        type=wtype.name,
                    )
                )
            if warranty.extension_months + months > wtype.max_extension_months:
                raise ValidationError(
                    self.env._(
                        "Warranty %(card)s can be extended by %(left)s more months "
                        "at most.",
                        card=warranty.card_number,
                        left=wtype.max_extension_months - warranty.extension_months,
                    )
                )
            warranty._workflow_write(
                {"extension_months": warranty.extension_months + months}
            )
        today = fields.Date.context_today(self)
        self.filtered(
            lambda w: w.state == "expired" and w.date_end >= today
        )._workflow_write({"state": "active"})
        return True

    # ------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------

    def _is_covering(self, date):
        """Whether the warranty covered its unit on ``date``."""
        self.ensure_one()
        return bool(
            self.state in ("active", "expired")
            and self.date_start
            and self.date_end
            and self.date_start <= date <= self.date_end
        )

    def _expire_ended(self):
        today = fields.Date.context_today(self)
        self.filtered(
            lambda w: w.state == "active" and w.date_end and w.date_end < today
        )._workflow_write({"state": "expired"})

    @api.model
    def _cron_expire(self, batch_size=1000):
        """Expire the active warranties whose end has passed, in committed batches."""
        domain = [
            ("state", "=", "active"),
            ("date_end", "<", fields.Date.context_today(self)),
        ]
        # The end date says it all: no chatter message per expired warranty.
        warranties = self.with_context(tracking_disable=True).search(domain)
        while warranties:
            batch, warranties = warranties[:batch_size], warranties[batch_size:]
            batch = batch.try_lock_for_update()
            batch._workflow_write({"state": "expired"})
            if not self.env["ir.cron"]._commit_progress(
                len(batch), remaining=len(warranties)
            ):
                break

    def _pass_on_to_replacement(self, lot, order, term="remaining"):
        """The unit of this warranty was replaced by ``lot`` on ``order``:
        void it and give ``lot`` a warranty for the same customer and type,
        for the remaining term (the same start and end) or, with ``term``
        "new", for a new term starting today. Returns the new warranty.

        Runs as superuser: the exchange was guarded by the work order's flow
        (dispatchers replace units; they need not void or start warranties)."""
        self.ensure_one()
        warranty_sudo = self.sudo()
        vals = {
            "lot_id": lot.id,
            "partner_id": warranty_sudo.partner_id.id,
            "warranty_type_id": warranty_sudo.warranty_type_id.id,
            "company_id": warranty_sudo.company_id.id,
            "dealer_id": warranty_sudo.dealer_id.id,
            "previous_warranty_id": warranty_sudo.id,
        }
        if term == "new":
            vals.update(state="active", date_start=fields.Date.context_today(self))
        else:
            vals.update(
                state=warranty_sudo.state,
                date_start=warranty_sudo.date_start,
                extension_months=warranty_sudo.extension_months,
            )
        warranty_sudo.action_void(
            self.env._(
                "Replaced by %(serial)s on %(order)s.",
                serial=lot.name,
                order=order.name,
            )
        )
        new_sudo = warranty_sudo.create(vals)
        new_sudo._expire_ended()
        warranty_sudo.message_post(
            body=self.env._(
                "The unit was replaced by %(serial)s on %(order)s: the warranty "
                "goes on as %(card)s.",
                serial=lot.name,
                order=order.name,
                card=new_sudo.card_number,
            )
        )
        new_sudo.message_post(
            body=self.env._(
                "Passed on from %(card)s (serial %(serial)s), replaced on "
                "%(order)s: %(term)s.",
                card=warranty_sudo.card_number,
                serial=warranty_sudo.lot_id.name,
                order=order.name,
                term=self.env._("a new term from today")
                if term == "new"
                else self.env._("the remaining term"),
            )
        )
        return new_sudo.with_env(self.env)

    @api.model
    def _prepare_delivery_vals(self, move_line, warranty_type):
        """Values of the warranty of a serial delivered to a customer (hook)."""
        move = move_line.move_id
        sale_line = move.sale_line_id
        customer = (
            sale_line.order_id.partner_id or move.picking_id.partner_id
        ).commercial_partner_id
        vals = {
            "lot_id": move_line.lot_id.id,
            "partner_id": customer.id,
            "warranty_type_id": warranty_type.id,
            "company_id": move.company_id.id,
            "sale_line_id": sale_line.id,
            "picking_id": move.picking_id.id,
        }
        if warranty_type.start_trigger == "delivery":
            vals.update(state="active", date_start=fields.Date.context_today(self))
        elif warranty_type.start_trigger == "sale" and sale_line:
            vals.update(
                state="active",
                date_start=fields.Date.context_today(
                    self, sale_line.order_id.date_order
                ),
            )
        return vals

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .aftersales_center import OPEN_ORDER_STATES

ORDER_STATES = [
    ("new", "New"),
    ("assigned", "Assigned"),
    ("accepted", "Accepted"),
    ("on_the_way", "On the Way"),
    ("in_progress", "In Progress"),
    ("awaiting_approval", "Awaiting Approval"),
    ("done", "Done"),
    ("cancelled", "Cancelled"),
    ("returned", "Returned"),
]

# One table for the state machine: the states a transition starts from, the
# lowest group allowed to run it and its UI flag. Buttons, can_be_* flags and _ensure_* guards
# all read it, so they cannot disagree.
TRANSITIONS = {
    "assign": {"flag": "can_be_assigned", "from": ("new",), "group": "aftersales.group_dispatcher"},
    "accept": {"flag": "can_be_accepted", "from": ("assigned",), "group": "aftersales.group_center_user"},
    "reject": {"flag": "can_be_rejected", "from": ("assigned", "accepted"), "group": "aftersales.group_center_user"},
    "start_travel": {"flag": "can_be_started_travel", "from": ("accepted",), "group": "aftersales.group_technician"},
    "start": {"flag": "can_be_started", "from": ("accepted", "on_the_way"), "group": "aftersales.group_technician"},
    "request_approval": {"flag": "can_be_approval_requested", "from": ("in_progress",), "group": "aftersales.group_technician"},
    "done": {"flag": "can_be_done", "from": ("in_progress", "awaiting_approval"), "group": "aftersales.group_technician"},
    "cancel": {
        "flag": "can_be_cancelled",
        "from": ("new", "assigned", "accepted", "on_the_way", "in_progress", "awaiting_approval"),
        "group": "aftersales.group_dispatcher",
    },
    "return": {
        "flag": "can_be_returned",
        "from": ("accepted", "on_the_way", "in_progress", "awaiting_approval", "done"),
        "group": "aftersales.group_center_user",
    },
}

# States in which the order is in a center's hands and needs one.
CENTER_STATES = (*OPEN_ORDER_STATES, "done")


class AftersalesOrder(models.Model):
    _name = "aftersales.order"
    _description = "After-Sales Work Order"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "priority desc, scheduled_date, id desc"
    _check_company_auto = True

    # Identity
    name = fields.Char(
        string="Reference",
        required=True,
        readonly=True,
        copy=False,
        default=lambda self: self.env._("New"),
        index="trigram",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    state = fields.Selection(
        ORDER_STATES,
        string="Status",
        required=True,
        readonly=True,
        copy=False,
        default="new",
        index=True,
        tracking=True,
        group_expand=True,
        help="* New: registered, no center yet.\n"
        "* Assigned: sent to a service center, waiting for it to accept.\n"
        "* Accepted: the center takes the job.\n"
        "* On the Way: the technician travels to the customer.\n"
        "* In Progress: the technician works on site.\n"
        "* Awaiting Approval: the work is finished, the customer must approve it.\n"
        "* Done: completed.\n"
        "* Cancelled: will not be done.\n"
        "* Returned: handed back by the center without completion, or undone after it.",
    )
    priority = fields.Selection(
        [("0", "Normal"), ("1", "High"), ("2", "Urgent")],
        default="0",
        index=True,
        tracking=True,
    )
    channel = fields.Selection(
        [
            ("sale", "Sale"),
            ("phone", "Phone"),
            ("portal", "Portal"),
            ("dealer", "Dealer"),
            ("sms", "SMS"),
            ("qr", "QR Code"),
            ("contract", "Contract"),
            ("backend", "Back Office"),
        ],
        required=True,
        default="backend",
        index=True,
        help="How the request came in.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Dispatcher",
        default=lambda self: self.env.user,
        domain=[("share", "=", False)],
        check_company=True,
        index="btree_not_null",
        tracking=True,
    )
    description = fields.Html(string="Problem Description")

    # Customer
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        check_company=True,
        tracking=True,
    )
    address_id = fields.Many2one(
        "res.partner",
        string="Service Address",
        compute="_compute_address_id",
        store=True,
        readonly=False,
        precompute=True,
        check_company=True,
        help="Where the work is done; the customer's delivery address by default.",
    )
    phone = fields.Char(
        compute="_compute_phone", store=True, readonly=False, precompute=True
    )
    street = fields.Char(related="address_id.street")
    city = fields.Char(related="address_id.city", store=True, index=True)
    zip = fields.Char(related="address_id.zip", store=True, index=True)
    state_id = fields.Many2one(related="address_id.state_id", store=True, index=True)
    country_id = fields.Many2one(related="address_id.country_id", store=True)

    # Product
    product_id = fields.Many2one(
        "product.product",
        string="Product",
        required=True,
        index=True,
        check_company=True,
        domain=[("type", "=", "consu")],
        tracking=True,
    )
    product_categ_id = fields.Many2one(
        related="product_id.categ_id", string="Product Category", store=True, index=True
    )
    lot_id = fields.Many2one(
        "stock.lot",
        string="Serial Number",
        index="btree_not_null",
        check_company=True,
        domain="[('product_id', '=', product_id)]",
        tracking=True,
    )

    # Service and assignment
    service_type_id = fields.Many2one(
        "aftersales.service.type",
        required=True,
        index=True,
        check_company=True,
        tracking=True,
    )
    center_id = fields.Many2one(
        "aftersales.center",
        string="Service Center",
        index=True,
        check_company=True,
        tracking=True,
        domain="[('service_type_ids', 'in', service_type_id)]",
    )
    technician_id = fields.Many2one(
        "aftersales.technician",
        string="Technician",
        index="btree_not_null",
        check_company=True,
        tracking=True,
        domain="[('center_id', '=', center_id)]",
    )
    scheduled_date = fields.Datetime(index=True, tracking=True, copy=False)
    scheduled_duration = fields.Float(
        string="Planned Hours",
        compute="_compute_scheduled_duration",
        store=True,
        readonly=False,
        precompute=True,
    )
    rejected_center_ids = fields.Many2many(
        "aftersales.center",
        "aftersales_order_rejected_center_rel",
        "order_id",
        "center_id",
        string="Rejected By",
        copy=False,
        readonly=True,
        help="Centers that refused this order; they are not asked again.",
    )

    # Reasons
    reject_reason = fields.Text(readonly=True, copy=False)
    cancel_reason = fields.Text(readonly=True, copy=False)
    return_reason = fields.Text(readonly=True, copy=False)

    # Milestones
    date_assigned = fields.Datetime(readonly=True, copy=False, index=True)
    date_accepted = fields.Datetime(readonly=True, copy=False)
    date_started = fields.Datetime(readonly=True, copy=False)
    date_done = fields.Datetime(readonly=True, copy=False, index=True)

    # Customer approval
    approval_ids = fields.One2many("aftersales.approval", "order_id", string="Approvals")
    approval_count = fields.Integer(compute="_compute_approval_state")
    approval_required = fields.Boolean(related="service_type_id.approval_required")
    approval_state = fields.Selection(
        [("none", "Not Given"), ("approved", "Approved"), ("rejected", "Rejected")],
        string="Customer Decision",
        compute="_compute_approval_state",
        help="The customer's latest decision on the work.",
    )

    # UI flags
    can_be_assigned = fields.Boolean(compute="_compute_can_be")
    can_be_accepted = fields.Boolean(compute="_compute_can_be")
    can_be_rejected = fields.Boolean(compute="_compute_can_be")
    can_be_started_travel = fields.Boolean(compute="_compute_can_be")
    can_be_started = fields.Boolean(compute="_compute_can_be")
    can_be_approval_requested = fields.Boolean(compute="_compute_can_be")
    can_be_done = fields.Boolean(compute="_compute_can_be")
    can_be_cancelled = fields.Boolean(compute="_compute_can_be")
    can_be_returned = fields.Boolean(compute="_compute_can_be")

    # ------------------------------------------------------------
    # Constrains
    # ------------------------------------------------------------

    @api.constrains("state", "center_id")
    def _check_center_when_assigned(self):
        for order in self:
            if order.state in CENTER_STATES and not order.center_id:
                raise ValidationError(
                    self.env._(
                        "Work order %(order)s is %(state)s: it needs a service center.",
                        order=order.name,
                        state=dict(ORDER_STATES)[order.state],
                    )
                )

    @api.constrains("technician_id", "center_id")
    def _check_technician_center(self):
        for order in self:
            if order.technician_id and order.technician_id.center_id != order.center_id:
                raise ValidationError(
                    self.env._(
                        "%(technician)s works for %(their_center)s, not for the "
                        "center of work order %(order)s.",
                        technician=order.technician_id.name,
                        their_center=order.technician_id.center_id.name,
                        order=order.name,
                    )
                )

    @api.constrains("lot_id", "product_id")
    def _check_lot_product(self):
        for order in self:
            if order.lot_id and order.lot_id.product_id != order.product_id:
                raise ValidationError(
                    self.env._(
                        "Serial number %(lot)s belongs to %(product)s, not to the "
                        "product of work order %(order)s.",
                        lot=order.lot_id.name,
                        product=order.lot_id.product_id.display_name,
                        order=order.name,
                    )
                )

    # ------------------------------------------------------------
    # Compute methods
    # ------------------------------------------------------------

    @api.depends("partner_id")
    def _compute_address_id(self):
        for order in self:
            order.address_id = (
                order.partner_id.address_get(["delivery"])["delivery"]
                if order.partner_id
                else False
            )

    @api.depends("address_id")
    def _compute_phone(self):
        for order in self:
            order.phone = order.address_id.phone or order.partner_id.phone

    @api.depends("service_type_id")
    def _compute_scheduled_duration(self):
        for order in self:
            order.scheduled_duration = order.service_type_id.default_duration or 1.0

    @api.depends("approval_ids.decision", "approval_ids.decision_date")
    def _compute_approval_state(self):
        for order in self:
            latest = order.approval_ids.sorted(lambda a: (a.decision_date, a.id))[-1:]
            order.approval_state = latest.decision or "none"
            order.approval_count = len(order.approval_ids)

    @api.depends("state")
    @api.depends_context("uid")
    def _compute_can_be(self):
        for transition, rule in TRANSITIONS.items():
            user_may = self._user_may(transition)
            for order in self:
                order[rule["flag"]] = user_may and order.state in rule["from"]

    # ------------------------------------------------------------
    # Overrides
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", self.env._("New")) == self.env._("New"):
                company = self.env["res.company"].browse(
                    vals.get("company_id") or self.env.company.id
                )
                vals["name"] = (
                    self.env["ir.sequence"]
                    .with_company(company)
                    .next_by_code("aftersales.order")
                    or self.env._("New")
                )
        return super().create(vals_list)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_started(self):
        started = self.filtered(lambda o: o.state not in ("new", "cancelled"))
        if started:
            raise UserError(
                self.env._(
                    "Only new or cancelled work orders can be deleted; cancel "
                    "%(orders)s first.",
                    orders=", ".join(started.mapped("name")),
                )
            )

    # ------------------------------------------------------------
    # Guards
    # ------------------------------------------------------------

    @api.model
    def _user_may(self, transition):
        return self.env.su or self.env.user.has_group(TRANSITIONS[transition]["group"])

    def _ensure_transition(self, transition, label):
        """Raise unless the current user may run ``transition`` on all of ``self``."""
        if not self._user_may(transition):
            raise AccessError(
                self.env._(
                    "You are not allowed to %(action)s work orders.",
                    action=label,
                )
            )
        allowed_states = TRANSITIONS[transition]["from"]
        blocked = self.filtered(lambda o: o.state not in allowed_states)
        if blocked:
            raise UserError(
                self.env._(
                    "You cannot %(action)s %(orders)s: the work order must be %(states)s.",
                    action=label,
                    orders=", ".join(
                        f"{o.name} ({dict(ORDER_STATES)[o.state]})" for o in blocked
                    ),
                    states=self.env._(" or ").join(
                        dict(ORDER_STATES)[s] for s in allowed_states
                    ),
                )
            )

    @api.model
    def _ensure_reason(self, reason):
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Please give a reason."))
        return reason

    def _ensure_can_be_assigned(self):
        self._ensure_transition("assign", self.env._("assign"))
        missing = self.filtered(lambda o: not o.center_id)
        if missing:
            raise UserError(
                self.env._(
                    "Choose a service center for %(orders)s before assigning it.",
                    orders=", ".join(missing.mapped("name")),
                )
            )
        excluded = self.filtered(lambda o: o.center_id in o.rejected_center_ids)
        if excluded:
            raise UserError(
                self.env._(
                    "%(center)s already rejected %(order)s: choose another center.",
                    center=excluded[0].center_id.name,
                    order=excluded[0].name,
                )
            )

    def _ensure_can_be_accepted(self):
        self._ensure_transition("accept", self.env._("accept"))

    def _ensure_can_be_rejected(self):
        self._ensure_transition("reject", self.env._("reject"))

    def _ensure_technician(self, label):
        missing = self.filtered(lambda o: not o.technician_id)
        if missing:
            raise UserError(
                self.env._(
                    "Choose the technician of %(orders)s before you %(action)s it.",
                    orders=", ".join(missing.mapped("name")),
                    action=label,
                )
            )

    def _ensure_can_be_started_travel(self):
        label = self.env._("start travelling for")
        self._ensure_transition("start_travel", label)
        self._ensure_technician(label)

    def _ensure_can_be_started(self):
        label = self.env._("start")
        self._ensure_transition("start", label)
        self._ensure_technician(label)

    def _ensure_can_request_approval(self):
        self._ensure_transition("request_approval", self.env._("request approval for"))

    def _ensure_can_be_done(self):
        self._ensure_transition("done", self.env._("complete"))
        unapproved = self.filtered(
            lambda o: o.approval_required and o.approval_state != "approved"
        )
        if unapproved:
            raise UserError(
                self.env._(
                    "%(orders)s cannot be completed before the customer approves "
                    "the work (%(service_type)s requires it).",
                    orders=", ".join(unapproved.mapped("name")),
                    service_type=unapproved[0].service_type_id.name,
                )
            )

    def _ensure_can_be_cancelled(self):
        self._ensure_transition("cancel", self.env._("cancel"))

    def _ensure_can_be_returned(self):
        self._ensure_transition("return", self.env._("return"))

    def _ensure_can_record_approval(self):
        waiting = ("in_progress", "awaiting_approval")
        not_waiting = self.filtered(lambda o: o.state not in waiting)
        if not_waiting:
            raise UserError(
                self.env._(
                    "A customer decision can only be recorded once the work is "
                    "finished: %(orders)s is not in progress or awaiting approval.",
                    orders=", ".join(not_waiting.mapped("name")),
                )
            )

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_assign(self):
        """Send the orders to their service center."""
        self._ensure_can_be_assigned()
        self._action_assign()
        return True

    def action_accept(self):
        """The service center takes the orders."""
        self._ensure_can_be_accepted()
        self._action_accept()
        return True

    def action_reject(self, reason=None):
        """The service center refuses the orders, giving a reason."""
        reason = self._ensure_reason(reason)
        self._ensure_can_be_rejected()
        self._action_reject(reason)
        return True

    def action_start_travel(self):
        """The technician leaves for the customer's address."""
        self._ensure_can_be_started_travel()
        self._action_start_travel()
        return True

    def action_start(self):
        """The technician starts working on site."""
        self._ensure_can_be_started()
        self._action_start()
        return True

    def action_request_approval(self):
        """The work is finished; ask the customer to approve it."""
        self._ensure_can_request_approval()
        self._action_request_approval()
        return True

    def action_done(self):
        """Complete the orders (customer approval first where the type requires it)."""
        self._ensure_can_be_done()
        self._action_done()
        return True

    def action_cancel(self, reason=None):
        """Cancel the orders, giving a reason."""
        reason = self._ensure_reason(reason)
        self._ensure_can_be_cancelled()
        self._action_cancel(reason)
        return True

    def action_return(self, reason=None):
        """Hand the orders back without completion, giving a reason."""
        reason = self._ensure_reason(reason)
        self._ensure_can_be_returned()
        self._action_return(reason)
        return True

    def action_open_reason_wizard(self):
        """Ask for the reason of a reject, cancel or return (button helper)."""
        transition = self.env.context.get("aftersales_transition")
        if transition not in ("reject", "cancel", "return"):
            raise UserError(self.env._("Unknown work order action."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reason"),
            "res_model": "aftersales.order.reason",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_order_ids": self.ids,
                "default_transition": transition,
            },
        }

    def action_view_approvals(self):
        """Open the customer decisions recorded on this order."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Customer Decisions"),
            "res_model": "aftersales.approval",
            "view_mode": "list,form",
            "domain": [("order_id", "=", self.id)],
            "context": {"default_order_id": self.id},
        }

    # ------------------------------------------------------------
    # Workers (no checks: callers ran the _ensure_* guard)
    # ------------------------------------------------------------

    def _action_assign(self):
        self.write({"state": "assigned", "date_assigned": fields.Datetime.now()})

    def _action_accept(self):
        self.write({"state": "accepted", "date_accepted": fields.Datetime.now()})

    def _action_reject(self, reason):
        for order in self:
            center = order.center_id
            # Post first: once the center is removed, its staff lose access.
            order.message_post(
                body=self.env._(
                    "Rejected by %(center)s: %(reason)s", center=center.name, reason=reason
                ),
            )
            order.write(
                {
                    "state": "new",
                    "center_id": False,
                    "technician_id": False,
                    "reject_reason": reason,
                    "rejected_center_ids": [fields.Command.link(center.id)],
                }
            )

    def _action_start_travel(self):
        self.write({"state": "on_the_way"})

    def _action_start(self):
        self.write({"state": "in_progress", "date_started": fields.Datetime.now()})

    def _action_request_approval(self):
        self.write({"state": "awaiting_approval"})

    def _action_done(self):
        self.write({"state": "done", "date_done": fields.Datetime.now()})

    def _action_cancel(self, reason):
        self.write({"state": "cancelled", "cancel_reason": reason})
        for order in self:
            order.message_post(body=self.env._("Cancelled: %(reason)s", reason=reason))

    def _action_return(self, reason):
        self.write({"state": "returned", "return_reason": reason})
        for order in self:
            order.message_post(body=self.env._("Returned: %(reason)s", reason=reason))

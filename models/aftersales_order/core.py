import secrets
import uuid
from datetime import timedelta

import pytz
from dateutil.relativedelta import relativedelta
from lxml import etree
from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, consteq, format_datetime
from odoo.tools.translate import LazyTranslate

from ...tools.labels import field_labels
from ...tools.phone import e164_or_none
from ...tools.sequence import number_new_records
from ..aftersales_approval import CHANNEL_EVIDENCE, CUSTOMER_CHANNELS
from ..aftersales_order_media import PHOTO_KINDS
from ..ir_actions_report import neutralise_fragment
from .states import (
    CENTER_STATES,
    CLOSED_STATES,
    EXECUTION_STATES,
    OPEN_ORDER_STATES,
    ORDER_STATES,
    UNFINISHED_STATES,
    WORK_STARTED_STATES,
    WORKSHOP_OUTCOMES,
    WORKSHOP_STATES,
)

# One table for the state machine: the states a transition starts from, the
# lowest group allowed to run it and its UI flag. Buttons, can_be_* flags and
# _ensure_* guards all read it, so they cannot disagree.
TRANSITIONS = {
    "assign": {
        "flag": "can_be_assigned",
        "from": ("new",),
        "group": "aftersales.group_dispatcher",
    },
    "reassign": {
        "flag": "can_be_reassigned",
        "from": ("assigned", "accepted"),
        "group": "aftersales.group_dispatcher",
    },
    "accept": {
        "flag": "can_be_accepted",
        "from": ("assigned",),
        "group": "aftersales.group_center_user",
    },
    "reject": {
        "flag": "can_be_rejected",
        "from": ("assigned", "accepted"),
        "group": "aftersales.group_center_user",
    },
    "start_travel": {
        "flag": "can_be_started_travel",
        "from": ("accepted",),
        "group": "aftersales.group_technician",
    },
    "start": {
        "flag": "can_be_started",
        "from": ("accepted", "on_the_way"),
        "group": "aftersales.group_technician",
    },
    "request_approval": {
        "flag": "can_be_approval_requested",
        "from": ("in_progress",),
        "group": "aftersales.group_technician",
    },
    "done": {
        "flag": "can_be_done",
        "from": ("in_progress", "awaiting_approval"),
        "group": "aftersales.group_technician",
    },
    "cancel": {
        "flag": "can_be_cancelled",
        "from": UNFINISHED_STATES,
        "group": "aftersales.group_dispatcher",
    },
    "return": {
        "flag": "can_be_returned",
        "from": ("accepted", "on_the_way", "in_progress", "awaiting_approval", "done"),
        "group": "aftersales.group_center_user",
    },
}


# Fields only the state machine changes: its workers write them, users cannot,
# not even through RPC (readonly in a view protects nothing there). The core's;
# each seam adds its own through _get_workflow_fields().
WORKFLOW_FIELDS = {
    "state",
    "date_assigned",
    "date_accepted",
    "date_started",
    "date_done",
    "date_closed",
    "reject_reason",
    "reject_reason_id",
    "cancel_reason",
    "return_reason",
    "rejected_center_ids",
    "assignment_log",
    "assignment_rule_id",
    "approval_code",
    "date_approval_requested",
    "approval_link_expiry",
    "customer_rejected",
    "qc_returned",
    "date_work_resumed",
    # The workshop flow (workshop.py is its state machine).
    "workshop_state",
    "workshop_outcome",
    # Stored computations: derived from the warranty, the visits and the
    # checks, never typed in (write() would accept them through RPC).
    "warranty_id",
    "under_warranty",
    "parts_covered",
    "labour_covered",
    "travel_covered",
    "previous_repair_count",
    "replacement_suggested",
    "customer_phone_e164",
    "qc_state",
    "worked_hours",
    "visit_count",
    "resolution_code_id",
}


_lt = LazyTranslate(__name__)


# A card dropped in a kanban column asks for the step that leads to that
# state: (transition of TRANSITIONS, method to call). Steps that need a reason
# open the reason dialog, as their buttons do.
KANBAN_MOVES = {
    "assigned": ("assign", "action_assign"),
    "accepted": ("accept", "action_accept"),
    "on_the_way": ("start_travel", "action_start_travel"),
    "in_progress": ("start", "action_start"),
    "awaiting_approval": ("request_approval", "action_request_approval"),
    "done": ("done", "action_done"),
    "new": ("reject", None),
    "cancelled": ("cancel", None),
    "returned": ("return", None),
}


# Bookkeeping fields that mean nothing as a grouping: not offered in the
# search's Custom Group (they stay readable and groupable by code).
TECHNICAL_FIELDS = (
    "access_token",
    "approval_code",
    "assignment_log",
    "message_main_attachment_id",
)


# No job lasts longer than this: bounds the search for overlapping jobs.
MAX_JOB_HOURS = 24


# Context key naming who a message is for: ("res.users" | "res.partner" |
# "aftersales.technician", id), or ("place", 0) for the order's own zone.
RECIPIENT_KEY = "aftersales_recipient"
# Context key telling that a message goes to the order's customer.
AUDIENCE_KEY = "aftersales_audience"


def zone_label(tz_name, utc_dt):
    """The zone's abbreviation at ``utc_dt`` ("CET"), or its offset as
    "GMT+3" / "GMT+3:30" where the zone has no letters."""
    local = pytz.utc.localize(utc_dt).astimezone(pytz.timezone(tz_name))
    abbreviation = local.strftime("%Z")
    if abbreviation[:1] not in "+-":
        return abbreviation
    offset = local.utcoffset()
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    return f"GMT{sign}{hours}" + (f":{minutes:02d}" if minutes else "")


_OPEN_STATES_SQL = ", ".join(f"'{state}'" for state in OPEN_ORDER_STATES)


class AftersalesOrder(models.Model):
    """A work order: one product (serial) at one customer's address, from
    its request to its completion, cancellation or return.

    The state machine is ``TRANSITIONS``: each public ``action_*`` runs its
    ``_ensure_*`` guard, then its private ``_action_*`` worker, which writes
    through ``_workflow_write()`` (the only way to change the fields of
    ``_get_workflow_fields()``). Each other file of this package extends the
    order with what one dependency brings (see ``__init__.py`` for the order
    of the override chains); this file calls none of them.

    Mixins: ``mail.thread`` (through ``rating.mixin``) and
    ``mail.activity.mixin`` for the chatter; ``portal.mixin`` for the
    customer's link; ``rating.mixin`` for the customer's rating;
    ``mail.tracking.duration.mixin`` for the time spent in each state (through
    ``stage_id``, a mirror of ``state``)."""

    _name = "aftersales.order"
    _description = "After-Sales Work Order"
    _inherit = [
        "portal.mixin",
        "rating.mixin",
        "mail.activity.mixin",
        "mail.tracking.duration.mixin",
    ]
    _track_duration_field = "stage_id"
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
        groups="base.group_user",
    )
    description = fields.Html(string="Problem Description")
    intake_batch = fields.Char(
        string="Batch Number",
        index="btree_not_null",
        copy=False,
        help="The list or batch the request came in with (e.g. a dealer's delivery).",
        groups="base.group_user",
    )
    handed_in_by = fields.Char(
        help="Who brought the unit or made the request.", groups="base.group_user"
    )

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
    district = fields.Char(
        help="Matched against the districts centers and rules cover."
    )
    latitude = fields.Float(
        digits=(10, 7),
        aggregator=None,
        compute="_compute_position",
        store=True,
        readonly=False,
        precompute=True,
        help="Customer position, used to find the nearest center; taken from the "
        "address when it is geolocated.",
        groups="base.group_user",
    )
    longitude = fields.Float(
        digits=(10, 7),
        aggregator=None,
        compute="_compute_position",
        store=True,
        readonly=False,
        precompute=True,
        groups="base.group_user",
    )

    # Product
    product_id = fields.Many2one(
        "product.product",
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

    # Warranty
    warranty_id = fields.Many2one(
        "aftersales.warranty",
        compute="_compute_warranty_id",
        store=True,
        index="btree_not_null",
        help="The warranty of this serial for this customer.",
    )
    warranty_card_number = fields.Char(related="warranty_id.card_number")
    under_warranty = fields.Boolean(
        compute="_compute_coverage",
        store=True,
        help="The warranty covered the unit when the service was requested.",
    )
    parts_covered = fields.Boolean(compute="_compute_coverage", store=True)
    labour_covered = fields.Boolean(compute="_compute_coverage", store=True)
    travel_covered = fields.Boolean(compute="_compute_coverage", store=True)

    # Replacement
    previous_repair_count = fields.Integer(
        compute="_compute_replacement_suggested",
        store=True,
        help="Repairs of this serial done within the company's replacement period "
        "before this order was requested.",
        groups="base.group_user",
    )
    replacement_suggested = fields.Boolean(
        compute="_compute_replacement_suggested",
        store=True,
        index=True,
        help="The unit reached the replacement threshold: offer a replacement.",
        groups="base.group_user",
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
        index="btree_not_null",
        check_company=True,
        tracking=True,
        domain="[('center_id', '=', center_id)]",
    )
    date_requested = fields.Datetime(
        string="Requested Date",
        help="The earliest time the customer wants the visit; the engine looks "
        "for an opening from then on when no time is scheduled.",
    )
    scheduled_date = fields.Datetime(index=True, tracking=True, copy=False)
    scheduled_duration = fields.Float(
        string="Planned Hours",
        compute="_compute_scheduled_duration",
        store=True,
        readonly=False,
        precompute=True,
    )
    needs_dispatch = fields.Boolean(
        string="Needs a Dispatcher",
        index=True,
        copy=False,
        tracking=True,
        help="No center could be found automatically, or too many rejected it.",
        groups="base.group_user",
    )
    assignment_rule_id = fields.Many2one(
        "aftersales.assignment.rule",
        readonly=True,
        copy=False,
        check_company=True,
        groups="base.group_user",
    )
    assignment_log = fields.Json(
        readonly=True,
        copy=False,
        help="Candidates with their scores and the centers left out, with why.",
        groups="base.group_user",
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
        groups="base.group_user",
    )

    # Sales team (routing rules may ask for one; the sale seam fills it)
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        check_company=True,
        groups="base.group_user",
    )

    # Stages: how the business names and colours the fixed states (see
    # aftersales.order.stage); tracked for the time spent in each.
    stage_id = fields.Many2one(
        "aftersales.order.stage",
        compute="_compute_stage_id",
        store=True,
        readonly=False,
        index=True,
        tracking=True,
        ondelete="restrict",
        group_expand="_read_group_stage_ids",
        copy=False,
        help="The business's name for where the order stands. Each stage "
        "belongs to one status: the status changes only through the order's "
        "steps, the stage follows it, and within a status staff may pick "
        "another of its stages.",
    )
    stage_color = fields.Integer(related="stage_id.color")
    tag_ids = fields.Many2many(
        "aftersales.order.tag",
        "aftersales_order_tag_rel",
        "order_id",
        "tag_id",
        string="Tags",
    )
    classification_ids = fields.Many2many(
        "aftersales.classification",
        "aftersales_order_classification_rel",
        "order_id",
        "classification_id",
        string="Classification Codes",
        check_company=True,
        help="The business's own codes for the order (fault, cause, action...).",
    )

    # Workshop: the unit is brought to a service desk (workshop.py)
    work_place = fields.Selection(
        related="service_type_id.work_place",
        store=True,
        index=True,
        string="Work Place",
    )
    workshop_state = fields.Selection(
        WORKSHOP_STATES,
        string="Workshop Status",
        readonly=True,
        copy=False,
        index="btree_not_null",
        tracking=True,
        help="Where a workshop job stands within its status: the unit awaited, "
        "its estimate, parts, repair, check and pickup.",
    )
    workshop_outcome = fields.Selection(
        WORKSHOP_OUTCOMES,
        string="Outcome",
        readonly=True,
        copy=False,
        tracking=True,
    )

    # Workshop: reception, estimate, pickup, replacement (workshop.py)
    date_received = fields.Datetime(readonly=True, copy=False, index="btree_not_null")
    received_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    unit_accessories = fields.Text(
        string="Accessories",
        help="What came with the unit (remote, cable, box...): handed back with it.",
    )
    unit_condition = fields.Text(
        string="Visible Condition",
        help="Scratches, dents, missing parts... as seen when the unit came in.",
    )
    pickup_code = fields.Char(
        readonly=True,
        copy=False,
        groups="aftersales.group_center_user",
        help="Six digits on the receipt slip and in the customer's text: the "
        "unit is handed back only to whoever gives it.",
    )

    # Estimate
    date_estimate_sent = fields.Datetime(readonly=True, copy=False)
    estimate_reminded = fields.Boolean(readonly=True, copy=False)

    # Pickup
    date_ready = fields.Datetime(string="Ready Since", readonly=True, copy=False)
    date_picked_up = fields.Datetime(string="Picked Up", readonly=True, copy=False)
    picked_up_by = fields.Char(readonly=True, copy=False)
    pickup_signature = fields.Binary(readonly=True, copy=False, attachment=True)

    # Replacement
    replacement_lot_id = fields.Many2one(
        "stock.lot",
        string="Replacement Serial",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The serial the customer got instead of the unit brought in.",
    )

    # Turnaround, for the workshop reports
    turnaround_hours = fields.Float(
        string="Received to Ready (hours)",
        compute="_compute_workshop_hours",
        store=True,
        aggregator="avg",
    )
    pickup_hours = fields.Float(
        string="Ready to Picked Up (hours)",
        compute="_compute_workshop_hours",
        store=True,
        aggregator="avg",
    )

    # Reasons
    reject_reason = fields.Text(readonly=True, copy=False, groups="base.group_user")
    reject_reason_id = fields.Many2one(
        "aftersales.reject.reason",
        string="Reject Reason Code",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups="base.group_user",
        help="Why the last center refused the job, as a code reports group by.",
    )
    cancel_reason = fields.Text(readonly=True, copy=False)
    return_reason = fields.Text(readonly=True, copy=False)

    # Milestones
    date_assigned = fields.Datetime(readonly=True, copy=False, index=True)
    date_accepted = fields.Datetime(readonly=True, copy=False)
    date_started = fields.Datetime(readonly=True, copy=False)
    date_done = fields.Datetime(readonly=True, copy=False, index=True)
    date_closed = fields.Datetime(
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="When the order was completed, cancelled or returned.",
        groups="base.group_user",
    )

    # Spare parts used (their transfers: see stock.py)
    part_ids = fields.One2many("aftersales.order.part", "order_id", string="Parts")

    # Customer approval
    approval_ids = fields.One2many(
        "aftersales.approval", "order_id", string="Approvals"
    )
    approval_count = fields.Integer(compute="_compute_approval_state")
    approval_required = fields.Boolean(related="service_type_id.approval_required")
    approval_state = fields.Selection(
        [("none", "Not Given"), ("approved", "Approved"), ("rejected", "Rejected")],
        string="Customer Decision",
        compute="_compute_approval_state",
        help="The customer's latest decision on the work.",
    )
    approval_code = fields.Char(
        readonly=True,
        copy=False,
        help="Short code the customer quotes in an SMS reply when several of "
        "their work orders await approval.",
        groups="base.group_user",
    )
    date_approval_requested = fields.Datetime(
        string="Approval Requested On", readonly=True, copy=False
    )
    approval_link_expiry = fields.Datetime(
        string="Approval Link Valid Until", readonly=True, copy=False
    )
    approval_link_expired = fields.Boolean(
        compute="_compute_approval_link_expired",
        help="The approval request is past its expiry: neither the link nor an "
        "SMS reply answers it any more.",
    )
    # The link's token is the customer's credential: it opens the order and
    # records the customer's decision. Dispatchers send and copy it; the staff
    # doing the job, whose work the customer approves, do not read it.
    access_token = fields.Char(groups="aftersales.group_dispatcher")
    approval_url = fields.Char(
        string="Approval Link",
        compute="_compute_approval_url",
        groups="aftersales.group_dispatcher",
        help="The page where the customer approves or rejects the work.",
    )
    customer_rejected = fields.Boolean(
        string="Rejected by the Customer",
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
        help="The customer rejected the work: it must be resumed.",
        groups="base.group_user",
    )
    customer_phone_e164 = fields.Char(
        string="Customer Phone (E.164)",
        compute="_compute_customer_phone_e164",
        store=True,
        index="btree_not_null",
        help="The customer's number in international form: SMS replies are "
        "matched against it.",
        groups="base.group_user",
    )

    # UI flags
    can_be_assigned = fields.Boolean(compute="_compute_can_be")
    can_be_reassigned = fields.Boolean(compute="_compute_can_be")
    can_be_accepted = fields.Boolean(compute="_compute_can_be")
    can_be_rejected = fields.Boolean(compute="_compute_can_be")
    can_be_started_travel = fields.Boolean(compute="_compute_can_be")
    can_be_started = fields.Boolean(compute="_compute_can_be")
    can_be_approval_requested = fields.Boolean(compute="_compute_can_be")
    can_be_done = fields.Boolean(compute="_compute_can_be")
    can_be_cancelled = fields.Boolean(compute="_compute_can_be")
    can_be_returned = fields.Boolean(compute="_compute_can_be")

    # Counting a center's open orders is the engine's hottest query.
    _center_open_idx = models.Index(f"(center_id) WHERE state IN ({_OPEN_STATES_SQL})")

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

    @api.depends("phone", "address_id.country_id", "partner_id.country_id")
    def _compute_customer_phone_e164(self):
        for order in self:
            country = (
                order.address_id.country_id
                or order.partner_id.country_id
                or order.company_id.country_id
            )
            order.customer_phone_e164 = e164_or_none(order.phone, country) or False

    def _compute_access_url(self):
        result = super()._compute_access_url()
        for order in self:
            order.access_url = f"/aftersales/approval/{order.id}"
        return result

    @api.depends("access_token")
    def _compute_approval_url(self):
        for order in self:
            order.approval_url = (
                order.get_base_url() + order.get_portal_url()
                if order.access_token and order.id
                else False
            )

    @api.depends("address_id")
    def _compute_position(self):
        # base_geolocalize, when installed, geolocates partners.
        for order in self:
            address = order.address_id
            order.latitude = (
                address["partner_latitude"] if "partner_latitude" in address else 0.0
            )
            order.longitude = (
                address["partner_longitude"] if "partner_longitude" in address else 0.0
            )

    @api.depends("lot_id", "partner_id", "lot_id.aftersales_warranty_ids.state")
    def _compute_warranty_id(self):
        if not self.lot_id:  # e.g. units just sold: serials come at delivery
            self.warranty_id = False
            return
        # One search for all the serials; the partner side is matched in Python.
        # Every user who sees an order may see which warranty covers it.
        warranties_sudo = (
            self.env["aftersales.warranty"]
            .sudo()
            .search([("lot_id", "in", self.lot_id.ids), ("state", "!=", "void")])
        )
        by_lot_partner = {
            (w.lot_id.id, w.partner_id.commercial_partner_id.id): w.id
            for w in warranties_sudo
        }
        for order in self:
            key = (order.lot_id.id, order.partner_id.commercial_partner_id.id)
            order.warranty_id = by_lot_partner.get(key, False)

    @api.depends(
        "warranty_id.state",
        "warranty_id.date_start",
        "warranty_id.date_end",
        "warranty_id.warranty_type_id",
        "create_date",
    )
    def _compute_coverage(self):
        for order in self:
            requested_on = fields.Date.to_date(order.create_date) or fields.Date.today()
            warranty = order.warranty_id
            covered = bool(warranty) and warranty._is_covering(requested_on)
            order.under_warranty = covered
            order.parts_covered = covered and warranty.covers_parts
            order.labour_covered = covered and warranty.covers_labour
            order.travel_covered = covered and warranty.covers_travel

    @api.depends("lot_id")
    def _compute_replacement_suggested(self):
        if not self.lot_id:
            self.previous_repair_count = 0
            self.replacement_suggested = False
            return
        # One grouped count for all the serials, over the widest period asked.
        months = max(self.company_id.mapped("aftersales_replacement_months") or [0])
        since = fields.Datetime.now() - relativedelta(months=months)
        orders_sudo = self.sudo()  # repairs done by other centers count too
        counts = dict(
            orders_sudo._read_group(
                [
                    ("lot_id", "in", self.lot_id.ids),
                    ("state", "=", "done"),
                    ("service_type_id.is_repair", "=", True),
                    ("date_done", ">=", since),
                ],
                ["lot_id"],
                ["__count"],
            )
        )
        for order in self:
            company = order.company_id
            threshold = company.aftersales_replacement_repairs
            count = counts.get(order.lot_id, 0) if order.lot_id else 0
            order.previous_repair_count = count
            order.replacement_suggested = bool(threshold) and count >= threshold

    @api.depends("state", "workshop_state", "work_place")
    def _compute_stage_id(self):
        # A cached lookup: every order created or changing state needs it.
        Stage = self.env["aftersales.order.stage"]
        for order in self:
            order.stage_id = Stage.browse(
                Stage._get_default_stage_id(
                    order.state, order.work_place or "field", order.workshop_state
                )
            )

    @api.model
    def _read_group_stage_ids(self, stages, domain):
        """Every stage is a column of the board, even empty ones; a board of
        field work (or workshop work, from its action's context) shows the
        stages of that place only."""
        work_place = self.env.context.get("aftersales_work_place")
        stage_domain = []
        if work_place:
            # The stages holding cards stay, in their place among the others.
            stage_domain = [
                "|",
                ("id", "in", stages.ids),
                ("work_place", "in", (work_place, "both")),
            ]
        # Stages are a configuration table of a few dozen records.
        return stages.search(stage_domain)  # pylint: disable=no-search-all

    @api.constrains("stage_id", "state", "workshop_state")
    def _check_stage_state(self):
        Stage = self.env["aftersales.order.stage"]
        for order in self:
            stage = order.stage_id
            if stage and (
                stage.state != order.state
                or stage.work_place not in (order.work_place or "field", "both")
            ):
                raise ValidationError(
                    self.env._(
                        "Stage %(stage)s does not belong to the status of "
                        "%(order)s (%(state)s): change the status with the order's "
                        "buttons, the stage follows.",
                        stage=stage.name,
                        order=order.name,
                        state=dict(ORDER_STATES)[order.state],
                    )
                )
            if (
                stage
                and stage.workshop_state
                and stage.workshop_state != order.workshop_state
                and stage.id
                != Stage._get_default_stage_id(
                    order.state, order.work_place or "field", order.workshop_state
                )
            ):
                # A stage of a workshop status says where the flow is: only
                # the flow's steps move it there.
                workshop_states = dict(WORKSHOP_STATES)
                raise ValidationError(
                    self.env._(
                        "Stage %(stage)s means %(stage_status)s, and %(order)s is "
                        "%(status)s: the order's buttons move the workshop job, "
                        "the stage follows.",
                        stage=stage.name,
                        stage_status=workshop_states[stage.workshop_state],
                        order=order.name,
                        status=workshop_states.get(
                            order.workshop_state, self.env._("not a workshop job")
                        ),
                    )
                )

    @api.depends("date_received", "date_ready", "date_picked_up")
    def _compute_workshop_hours(self):
        for order in self:
            received, ready, picked = (
                order.date_received,
                order.date_ready,
                order.date_picked_up,
            )
            order.turnaround_hours = (
                (ready - received).total_seconds() / 3600 if received and ready else 0.0
            )
            order.pickup_hours = (
                (picked - ready).total_seconds() / 3600 if ready and picked else 0.0
            )

    @api.depends("service_type_id")
    def _compute_scheduled_duration(self):
        for order in self:
            order.scheduled_duration = order.service_type_id.default_duration or 1.0

    @api.depends("approval_ids.decision", "approval_ids.date_decided")
    def _compute_approval_state(self):
        for order in self:
            latest = order.approval_ids.sorted(lambda a: (a.date_decided, a.id))[-1:]
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
            self._ensure_workflow_fields_untouched(vals)
            self._ensure_create_fields_allowed(vals)
            self._neutralise_description(vals)
        number_new_records(self, vals_list, "name", "aftersales.order")
        orders = super().create(vals_list)
        orders.filtered("replacement_suggested")._suggest_replacement()
        # Module data (demo) assigns its orders itself, step by step; so may
        # code that assigns right after (aftersales_no_auto_assign).
        if not self.env.context.get("install_filename") and not self.env.context.get(
            "aftersales_no_auto_assign"
        ):
            orders._assign_new_orders()
        return orders

    def _suggest_replacement(self):
        for order in self:
            order.activity_schedule(
                "aftersales.mail_activity_type_replacement",
                note=self.env._(
                    "Serial %(serial)s was repaired %(count)s times in the last "
                    "%(months)s months: offer a replacement instead of a repair.",
                    serial=order.lot_id.name,
                    count=order.previous_repair_count,
                    months=order.company_id.aftersales_replacement_months,
                ),
                user_id=order._get_dispatcher().id,
            )

    def _track_filter_for_display(self, tracking_values):
        # The stage mirrors the status: showing both would say it twice.
        values = super()._track_filter_for_display(tracking_values)
        return values.filtered(lambda v: v.field_id.name != "stage_id")

    def write(self, vals):
        self._ensure_workflow_fields_untouched(vals)
        self._neutralise_description(vals)
        if (
            "center_id" in vals
            and not self._is_workflow_write()
            and not self.env.user.has_group("aftersales.group_dispatcher")
        ):
            raise AccessError(
                self.env._(
                    "Only dispatchers choose the service center of a work order."
                )
            )
        if (
            "service_type_id" in vals
            and not self._is_workflow_write()
            and not self.env.user.has_group("aftersales.group_dispatcher")
            and any(order.state not in ("new", "assigned") for order in self)
        ):
            # The type decides approval, quality control and the tariff.
            raise AccessError(
                self.env._(
                    "Only dispatchers change the service type of work under way."
                )
            )
        self._ensure_fields_writable(vals)
        result = super().write(vals)
        if "technician_id" in vals or "scheduled_date" in vals:
            self._note_technician_clashes()
        return result

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

    def _is_workflow_write(self):
        return self.env.su

    def _get_workflow_fields(self):
        """The fields only the state machine writes. Extension hook: a seam
        returns ``super()._get_workflow_fields() | {its fields}``."""
        return WORKFLOW_FIELDS

    def _ensure_workflow_fields_untouched(self, vals):
        locked = self._get_workflow_fields().intersection(vals)
        if locked and not self._is_workflow_write():
            raise UserError(
                self.env._(
                    "%(fields)s of a work order change only through its actions "
                    "(Assign, Accept, Start, Complete, ...).",
                    fields=field_labels(self, locked),
                )
            )

    # What users below dispatcher write: a whitelist per group. Extend it in
    # another module with ``return super()._get_writable_fields_...() | {...}``.

    @api.model
    def _get_writable_fields_technician(self):
        """Fields a technician writes on the orders assigned to them: the
        notes of the job and its lines (photos, visits, parts, decisions,
        checks), each line model checking its own rights."""
        return {
            "description",
            "media_ids",
            "visit_ids",
            "part_ids",
            "approval_ids",
            "qc_check_ids",
        }

    @api.model
    def _get_writable_fields_center(self):
        """Fields center staff write on their center's orders: the
        technician's fields, who does the job (one of their own technicians,
        see _check_technician_center) and when."""
        return self._get_writable_fields_technician() | {
            "technician_id",
            "scheduled_date",
            "scheduled_duration",
            "handed_in_by",
            "stage_id",
            "tag_ids",
            "classification_ids",
        }

    @api.model
    def _get_frozen_fields_started(self):
        """Fields that stop changing once the work started, for users below
        dispatcher: what the tariff, the settlement lines and the on-time
        score read."""
        return {
            "scheduled_date",
            "partner_id",
            "address_id",
            "latitude",
            "longitude",
            "district",
            "city",
            "zip",
            "state_id",
            "country_id",
            "product_id",
            "product_categ_id",
            "lot_id",
            "service_type_id",
            "center_id",
            "company_id",
        }

    @api.model
    def _get_frozen_fields_closed(self):
        """Fields of a done, cancelled or returned order that nobody changes:
        the history the settlement and the scores are computed from."""
        return self._get_frozen_fields_started() | {"technician_id"}

    @api.model
    def _neutralise_description(self, vals):
        """The problem description loads nothing from elsewhere: its markup
        comes from customers, technicians and pasted e-mails, and a remote
        image in it would be fetched by every browser that opens the order
        and by the report renderer (security review F5)."""
        if vals.get("description"):
            vals["description"] = neutralise_fragment(
                vals["description"], self.get_base_url()
            )

    @api.model
    def _get_create_dispatcher_fields(self):
        """Fields only dispatchers give a new order: the link to a sale (its
        data would become readable), the customer's approval token, and what
        the approval SMS, the travel fee and the routing rest on (the phone
        and position come from the customer's address)."""
        return {
            "access_token",
            "needs_dispatch",
            "phone",
            "latitude",
            "longitude",
            "user_id",
            "channel",
        }

    def _is_dispatcher(self):
        return self.env.user.has_group("aftersales.group_dispatcher")

    @api.model
    def _ensure_create_fields_allowed(self, vals):
        if self._is_workflow_write() or self._is_dispatcher():
            return
        refused = {
            fname for fname in self._get_create_dispatcher_fields() if vals.get(fname)
        }
        if refused:
            raise AccessError(
                self.env._(
                    "Only dispatchers set %(fields)s on a new work order.",
                    fields=field_labels(self, refused),
                )
            )

    def _ensure_fields_writable(self, vals):
        """Raise unless the user may write ``vals`` on all of ``self``: the
        whitelist of their group, then the fields frozen by the state."""
        if self._is_workflow_write():
            return
        fnames = set(vals)
        closed = self.filtered(lambda o: o.state in CLOSED_STATES)
        frozen = fnames & self._get_frozen_fields_closed()
        if closed and frozen:
            raise UserError(
                self.env._(
                    "%(orders)s is closed: %(fields)s no longer change.",
                    orders=", ".join(closed.mapped("name")),
                    fields=field_labels(self, frozen),
                )
            )
        if self._is_dispatcher():
            return
        if self.env.user.has_group("aftersales.group_center_user"):
            allowed = self._get_writable_fields_center()
        else:
            allowed = self._get_writable_fields_technician()
        refused = fnames - allowed
        if refused:
            raise AccessError(
                self.env._(
                    "You are not allowed to change %(fields)s of a work order; "
                    "ask a dispatcher.",
                    fields=field_labels(self, refused),
                )
            )
        started = self.filtered(lambda o: o.state in WORK_STARTED_STATES)
        frozen = fnames & self._get_frozen_fields_started()
        if started and frozen:
            raise UserError(
                self.env._(
                    "The work on %(orders)s has started: only a dispatcher "
                    "changes %(fields)s now.",
                    orders=", ".join(started.mapped("name")),
                    fields=field_labels(self, frozen),
                )
            )

    def _workflow_write(self, vals):
        """Write as the state machine: the only way to change the fields of
        _get_workflow_fields()."""
        # Users cannot write these fields (see write()); the workers run after
        # the _ensure_* guards, which checked the user's right to write the
        # orders, and write them as superuser. A context flag would not do:
        # any RPC caller can send one.
        if vals.get("state") in CLOSED_STATES:
            vals = dict(vals, date_closed=fields.Datetime.now())
        elif vals.get("state"):
            vals = dict(vals, date_closed=False)
        orders_sudo = self.sudo()
        return orders_sudo.write(vals)

    @api.model
    def _user_may(self, transition):
        return self.env.su or self.env.user.has_group(TRANSITIONS[transition]["group"])

    def _ensure_transition(self, transition, label):
        """Raise unless the current user may run ``transition`` on all of ``self``."""
        self.check_access("write")
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
                    "You cannot %(action)s %(orders)s: the work order must be "
                    "%(states)s.",
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

    def _ensure_can_be_reassigned(self):
        self._ensure_transition("reassign", self.env._("reassign"))

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
        blockers = [
            message for order in self for message in order._get_completion_blockers()
        ]
        if blockers:
            raise UserError("\n".join(blockers))

    def _ensure_can_be_cancelled(self):
        self._ensure_transition("cancel", self.env._("cancel"))

    def _ensure_can_be_returned(self):
        self._ensure_transition("return", self.env._("return"))

    def _ensure_can_record_approval(self, channel="backend"):
        """Back office records decisions from the end of the work on; the
        customer's own channels only answer a pending, unexpired request, so a
        decision submitted twice, replayed or late is refused."""
        waiting = (
            ("awaiting_approval",)
            if channel in CUSTOMER_CHANNELS
            else ("in_progress", "awaiting_approval")
        )
        not_waiting = self.filtered(lambda o: o.state not in waiting)
        if not_waiting:
            raise UserError(
                self.env._(
                    "A customer decision can only be recorded once the work is "
                    "finished: %(orders)s is not in progress or awaiting approval.",
                    orders=", ".join(not_waiting.mapped("name")),
                )
            )
        expired = self.filtered("approval_link_expired")
        if channel in CUSTOMER_CHANNELS and expired:
            raise UserError(
                self.env._(
                    "The approval request of %(orders)s has expired: ask for the "
                    "customer's approval again.",
                    orders=", ".join(expired.mapped("name")),
                )
            )

    def _ensure_can_record_decision(self, channel):
        """Raise unless the current user may record a decision through
        ``channel``: the customer's channels only from our code that checked
        the customer (the SMS sender, the link's token, the portal login), on
        site only the order's technician, back office only dispatchers."""
        self.ensure_one()
        if channel not in CHANNEL_EVIDENCE:
            raise UserError(
                self.env._("Unknown decision channel: %(channel)s", channel=channel)
            )
        user = self.env.user
        if channel in CUSTOMER_CHANNELS:
            allowed = self.env.su and (
                channel != "portal" or self._is_customer_user(user)
            )
        elif channel == "onsite":
            # The assignee is read as superuser: a center user may record
            # nothing on site, whatever technicians they may read.
            order_sudo = self.sudo()
            allowed = order_sudo.technician_id.user_id == user and (
                self.env.su or self.has_access("write")
            )
        else:
            allowed = self.env.su or (
                user.has_group("aftersales.group_dispatcher")
                and self.has_access("write")
            )
        if not allowed:
            raise AccessError(
                self.env._(
                    "You cannot record a customer decision on %(order)s through "
                    "this channel (%(channel)s).",
                    order=self.name,
                    channel=channel,
                )
            )

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_assign(self):
        """Send the orders to a service center: the one set on the order, or
        else the best one by the assignment rules. Orders for which no center
        is found stay new and are flagged for a dispatcher."""
        self._ensure_can_be_assigned()
        left = self._action_assign()
        if left and len(self) == 1:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "warning",
                    "title": self.env._("No service center available"),
                    "message": self.env._(
                        "No center can take %(order)s now; see “Why this center?” and "
                        "assign it by hand.",
                        order=self.name,
                    ),
                    "next": {"type": "ir.actions.client", "tag": "soft_reload"},
                },
            }
        return True

    def action_reassign(self, center):
        """Take the order from its current center and give it to ``center``
        (a dispatcher's decision, not a rejection)."""
        self._ensure_can_be_reassigned()
        self._action_unassign()
        self.center_id = center
        self._action_assign()
        return True

    def action_open_assign_wizard(self):
        """Choose the center by hand among the ranked candidates."""
        self.ensure_one()
        if self.state == "new":
            self._ensure_can_be_assigned()
        else:
            self._ensure_can_be_reassigned()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Assign %(order)s", order=self.name),
            "res_model": "aftersales.order.assign",
            "view_mode": "form",
            "target": "new",
            "context": {"default_order_id": self.id},
        }

    def action_accept(self):
        """The service center takes the orders."""
        self._ensure_can_be_accepted()
        self._action_accept()
        return True

    def action_reject(self, reason=None, reason_id=None):
        """The service center refuses the orders, giving a reason (a text) and
        optionally a reject reason code (``aftersales.reject.reason`` id)."""
        reason_code = self.env["aftersales.reject.reason"].browse(reason_id or ())
        if reason_code and not (reason or "").strip():
            reason = reason_code.name
        reason = self._ensure_reason(reason)
        self._ensure_can_be_rejected()
        self._action_reject(reason, reason_code=reason_code)
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
        titles = {
            "reject": self.env._("Reject the job"),
            "cancel": self.env._("Cancel the work order"),
            "return": self.env._("Return the job"),
        }
        return {
            "type": "ir.actions.act_window",
            "name": titles[transition],
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
        """Assign the orders; return those left for a dispatcher."""
        self._lock_for_assignment()
        # Only orders flagged for a dispatcher have the dispatcher's to-do.
        flagged = self.filtered("needs_dispatch")
        chosen_by_hand = self.filtered("center_id")
        for order in chosen_by_hand:
            log = order._get_manual_assignment_log()
            order.center_id._ensure_can_take(order)
            order._write_assignment(order.center_id, dict(log, mode="manual"))
        left = (self - chosen_by_hand)._assign_automatically()
        (flagged - left)._close_dispatch_activities()
        return left

    def _lock_for_assignment(self):
        """Wait for the order's row lock: a concurrent assignment of the same
        order that commits first makes ours fail and be retried on fresh data,
        where the order is no longer new."""
        if not self:
            return
        # Raw SQL: wait instead of lock_for_update()'s skip-locked.
        self.env.cr.execute(
            SQL(
                "SELECT id FROM aftersales_order WHERE id IN %s FOR NO KEY UPDATE",
                tuple(self.ids),
            )
        )

    def _write_assignment(self, center, log, rule=None, scheduled_date=None):
        vals = self._prepare_assignment_vals(center, log, rule, scheduled_date)
        self._workflow_write(vals)

    def _prepare_assignment_vals(self, center, log, rule=None, scheduled_date=None):
        """Values written on an order assigned to ``center`` (extension hook)."""
        log = dict(
            log, chosen=center.id, at=fields.Datetime.to_string(fields.Datetime.now())
        )
        vals = {
            "center_id": center.id,
            "state": "assigned",
            "date_assigned": fields.Datetime.now(),
            "needs_dispatch": False,
            "assignment_log": log,
        }
        if rule is not None:
            vals["assignment_rule_id"] = rule.id
        if scheduled_date and not self.scheduled_date:
            vals["scheduled_date"] = scheduled_date
        return vals

    def _action_unassign(self):
        self._workflow_write(
            {"state": "new", "center_id": False, "technician_id": False}
        )

    def _action_accept(self):
        self._workflow_write(
            {"state": "accepted", "date_accepted": fields.Datetime.now()}
        )

    def _action_reject(self, reason, reason_code=None):
        reason_code = reason_code or self.env["aftersales.reject.reason"]
        for order in self:
            center = order.center_id
            # Post first: once the center is removed, its staff lose access.
            if reason_code and reason != reason_code.name:
                body = self.env._(
                    "Rejected by %(center)s (%(code)s): %(reason)s",
                    center=center.name,
                    code=reason_code.name,
                    reason=reason,
                )
            else:
                body = self.env._(
                    "Rejected by %(center)s: %(reason)s",
                    center=center.name,
                    reason=reason,
                )
            order.message_post(body=body)
            order._workflow_write(
                {
                    "state": "new",
                    "center_id": False,
                    "technician_id": False,
                    "reject_reason": reason,
                    "reject_reason_id": reason_code.id,
                    "rejected_center_ids": [fields.Command.link(center.id)],
                }
            )
        # The center's staff can neither see other centers nor assign: the
        # engine works on their behalf.
        orders_sudo = self.sudo()
        orders_sudo._reassign_after_rejection()

    def _action_start_travel(self):
        self._workflow_write({"state": "on_the_way"})

    def _action_start(self):
        self._workflow_write(
            {"state": "in_progress", "date_started": fields.Datetime.now()}
        )
        self._start_visit()

    def _action_request_approval(self):
        self._finish_execution()
        now = fields.Datetime.now()
        for order in self:
            hours = order.company_id.aftersales_approval_link_hours or 72
            order._workflow_write(
                {
                    "state": "awaiting_approval",
                    "approval_code": order._generate_approval_code(),
                    "date_approval_requested": now,
                    "approval_link_expiry": now + timedelta(hours=hours),
                    # A new link for each request: the previous one stops
                    # working, so nobody answers an outdated request.
                    "access_token": str(uuid.uuid4()),
                }
            )

    def _generate_approval_code(self):
        """Four digits, different from the codes of the customer's other
        orders awaiting approval (the reply names the order by it)."""
        self.ensure_one()
        # The customer's other orders may sit at centers the requesting
        # technician cannot see; only their codes are read.
        orders_sudo = self.sudo()
        taken = set(
            orders_sudo.search(
                [
                    ("customer_phone_e164", "=", self.customer_phone_e164),
                    ("state", "=", "awaiting_approval"),
                    ("id", "!=", self.id),
                ]
            ).mapped("approval_code")
            if self.customer_phone_e164
            else ()
        )
        while True:
            code = f"{secrets.randbelow(9000) + 1000}"
            if code not in taken:
                return code

    def _action_done(self):
        self._finish_execution()
        self._workflow_write(
            {"state": "done", "date_done": fields.Datetime.now(), "qc_returned": False}
        )
        self._start_installation_warranties()

    # ------------------------------------------------------------
    # Dispatch: orders no center took wait for a person
    # ------------------------------------------------------------

    def _escalate(self, note):
        """Flag the orders for a dispatcher, with a to-do activity."""
        self.write({"needs_dispatch": True})
        activity_type = self.env.ref("aftersales.mail_activity_type_dispatch")
        for order in self:
            if order.activity_ids.filtered(
                lambda a: a.activity_type_id == activity_type
            ):
                continue
            order.activity_schedule(
                "aftersales.mail_activity_type_dispatch",
                note=escape(note),
                user_id=order._get_dispatcher().id,
            )

    def _get_dispatcher(self):
        self.ensure_one()
        if self.user_id and self.user_id.has_group("aftersales.group_dispatcher"):
            return self.user_id
        dispatcher = self.company_id.aftersales_dispatcher_id
        if dispatcher:
            return dispatcher
        # Any dispatcher of the company will do, whoever triggered the
        # escalation (a salesperson may not read other users' groups).
        users_sudo = self.env["res.users"].sudo()
        return (
            users_sudo.search(
                [
                    (
                        "all_group_ids",
                        "in",
                        self.env.ref("aftersales.group_dispatcher").id,
                    ),
                    ("company_ids", "in", self.company_id.id),
                    ("share", "=", False),
                ],
                order="id",
                limit=1,
            )
            or self.env.user
        )

    def _close_dispatch_activities(self):
        if self:  # activity_unlink() queries even for no record
            self.activity_unlink(["aftersales.mail_activity_type_dispatch"])

    # ------------------------------------------------------------
    # Customer decisions
    # ------------------------------------------------------------

    def _lock_for_decision(self):
        """Serialize decisions on the same orders: a second submit waits for
        the first, then fails to serialize and is retried, seeing the order
        already decided."""
        if self.ids:
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM aftersales_order WHERE id IN %s ORDER BY id "
                    "FOR NO KEY UPDATE",
                    tuple(self.ids),
                )
            )
            self.invalidate_recordset(["state"])

    def _get_completion_blockers(self):
        """What keeps an approved order from being completed; override to add
        checks (parts not consumed, ...). The core's: quality control."""
        self.ensure_one()
        blockers = []
        if self.qc_required and self.qc_state != "passed":
            blockers.append(
                self.env._(
                    "%(order)s must pass its quality check first (%(service_type)s "
                    "requires it).",
                    order=self.name,
                    service_type=self.service_type_id.name,
                )
            )
        return blockers

    def _apply_customer_decision(self, approval):
        """Move the order as the customer decided."""
        self.ensure_one()
        if approval.decision == "approved":
            if self.state in ("in_progress", "awaiting_approval") and not (
                self._get_completion_blockers()
            ):
                self._workflow_write({"customer_rejected": False})
                self._action_done()
        else:
            self._action_customer_reject(approval)

    def _action_customer_reject(self, approval):
        """The customer refuses the work: it resumes, flagged, and the
        dispatcher and the center hear of it."""
        self.ensure_one()
        # The work is redone: a check passed before no longer counts.
        self._workflow_write(
            {
                "state": "in_progress",
                "customer_rejected": True,
                "date_work_resumed": fields.Datetime.now(),
            }
        )
        self.activity_schedule(
            "aftersales.mail_activity_type_customer_rejection",
            note=escape(approval.feedback or ""),
            user_id=self._get_dispatcher().id,
        )
        recipients = self.center_id.partner_id | self.technician_id.user_id.partner_id
        self.message_post(
            body=self.env._(
                "The customer rejected the work on %(order)s: %(reason)s",
                order=self.name,
                reason=approval.feedback or self.env._("no reason given"),
            ),
            partner_ids=recipients.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )

    def _apply_customer_rating(self, value, feedback=None):
        """Record the customer's 1-5 rating of the work. Called by our code
        only, once it checked the customer (link, SMS, portal login)."""
        self.ensure_one()
        # Ratings are written by our code only (see rating.rating's rules).
        order_sudo = self.sudo()
        token = order_sudo._rating_get_access_token()
        order_sudo.rating_apply(value, token=token, feedback=feedback or None)

    def _record_customer_decision(
        self, decision, channel, feedback=None, rating=None, **evidence
    ):
        """Record a decision on the order: the one way every channel does it.

        ``decision`` is approve(d) or reject(ed); ``channel`` one of
        aftersales.approval's channels, which the current user must be
        allowed to use (_ensure_can_record_decision). The author, the time and
        the evidence are set here from the channel: ``evidence`` may give
        phone (sms), ip_address and user_agent (link, portal), signed_by and
        signature (onsite); anything else is ignored, and only the customer's
        own channels carry a rating.
        """
        self.ensure_one()
        self._ensure_can_record_decision(channel)
        vals = self._prepare_decision_vals(
            decision, channel, feedback, rating, evidence
        )
        # Decisions are created as superuser only (aftersales.approval's
        # create): the guard above checked the user's right to the channel.
        approval_sudo = self.env["aftersales.approval"].sudo().create(vals)
        return approval_sudo.with_env(self.env)

    def _prepare_decision_vals(self, decision, channel, feedback, rating, evidence):
        """Values of a decision recorded through ``channel`` (extension hook;
        see _record_customer_decision)."""
        self.ensure_one()
        decisions = {
            "approve": "approved",
            "approved": "approved",
            "reject": "rejected",
            "rejected": "rejected",
        }
        if decision not in decisions:
            raise UserError(self.env._("A decision is to approve or to reject."))
        rating = str(rating) if rating and channel in CUSTOMER_CHANNELS else False
        if rating and rating not in ("1", "2", "3", "4", "5"):
            raise UserError(self.env._("A rating is a number from 1 to 5."))
        user = self.env.user
        vals = {
            "order_id": self.id,
            "decision": decisions[decision],
            "channel": channel,
            "feedback": feedback or False,
            "rating": rating,
            "date_decided": fields.Datetime.now(),
            # Who recorded it: the staff member, the logged-in user of the
            # link; nobody for an SMS (the cron relays the customer's phone).
            "user_id": False if channel == "sms" or user._is_public() else user.id,
        }
        for fname in CHANNEL_EVIDENCE[channel]:
            vals[fname] = evidence.get(fname) or False
        if vals.get("user_agent"):
            vals["user_agent"] = vals["user_agent"][:250]
        return vals

    def _record_decision_from_link(
        self, decision, feedback=None, rating=None, ip_address=None, user_agent=None
    ):
        """Record the decision made on the approval page: the portal channel
        for the customer logged in, the link channel for the token's holder."""
        self.ensure_one()
        channel = "portal" if self._is_customer_user() else "link"
        return self._record_customer_decision(
            decision,
            channel,
            feedback=feedback,
            rating=rating,
            ip_address=ip_address,
            user_agent=user_agent,
        )

    # ------------------------------------------------------------
    # The approval link
    # ------------------------------------------------------------

    def _is_customer_user(self, user=None):
        """Whether ``user`` (the current user by default) is the order's
        customer, logged in: the one who decides and rates without the link."""
        self.ensure_one()
        user = user or self.env.user
        # The customer is read whatever the user may read of partners.
        # Public users and dealers may not read the order's customer.
        order_sudo = self.sudo()
        customer = order_sudo.partner_id.commercial_partner_id
        return bool(
            customer
            and not user._is_public()
            and user.partner_id.commercial_partner_id == customer
        )

    @api.depends("state", "approval_link_expiry")
    def _compute_approval_link_expired(self):
        now = fields.Datetime.now()
        for order in self:
            order.approval_link_expired = bool(
                order.state == "awaiting_approval"
                and order.approval_link_expiry
                and order.approval_link_expiry < now
            )

    def _check_link_token(self, access_token):
        """What ``access_token`` is worth on this order: "valid", "expired"
        (the right token of an approval request past its expiry) or False.

        The token opens the order only while it serves its purpose, an
        approval request: a decision voids it (_close_approval_link), the
        request stops at its expiry, and outside a request no token opens
        the order at all (Odoo's portal mints a new one whenever it notifies
        the customer, which would otherwise become a permanent link)."""
        self.ensure_one()
        # The token is checked for users who may not read it.
        order_sudo = self.sudo()
        if not (
            access_token
            and order_sudo.state == "awaiting_approval"
            and order_sudo.access_token
            and consteq(order_sudo.access_token, access_token)
        ):
            return False
        return "expired" if order_sudo.approval_link_expired else "valid"

    def _close_approval_link(self):
        """A decision is recorded: the link opens nothing any more. The next
        approval request, or sharing the order with the customer, makes a new
        token."""
        self._workflow_write({"access_token": False})

    def _portal_ensure_token(self):
        if not self.env.su and self._is_customer_user():
            # The customer's own share link (an e-mail's "View" button): the
            # token's field is hidden from users who are not dispatchers.
            order_sudo = self.sudo()
            return order_sudo._portal_ensure_token()
        return super()._portal_ensure_token()

    def _sign_token(self, pid):
        # The signature of a recipient's link in a notification, not the
        # token: staff who notify the customer may not read the token itself.
        order_sudo = self.sudo()
        return super(AftersalesOrder, order_sudo)._sign_token(pid)

    def _get_approval_page_lines(self):
        """What the approval page lists as done: (label, quantity, price)
        tuples; parts and labour add theirs."""
        self.ensure_one()
        return []

    def _get_approval_page_total(self):
        """The amount the customer pays, formatted, or False where nothing
        prices the work (the account seam does)."""
        self.ensure_one()
        return False

    def _rating_get_operator(self):
        # The technician is the one rated, or else the center.
        return self.technician_id.user_id.partner_id or self.center_id.partner_id

    def _start_installation_warranties(self):
        """Installation done: start the serials' warranties that wait for it."""
        installations = self.filtered(
            lambda o: o.service_type_id.starts_warranty and o.lot_id
        )
        # Technicians complete installations without rights on warranties.
        warranties_sudo = (
            self.env["aftersales.warranty"]
            .sudo()
            .search(
                [
                    ("lot_id", "in", installations.lot_id.ids),
                    ("state", "=", "draft"),
                    ("warranty_type_id.start_trigger", "=", "installation"),
                ]
            )
        )
        for warranty in warranties_sudo:
            order = installations.filtered(lambda o, w=warranty: o.lot_id == w.lot_id)[
                :1
            ]
            warranty.action_activate(fields.Date.context_today(self, order.date_done))

    def _action_cancel(self, reason):
        self._stop_visits()
        self._workflow_write({"state": "cancelled", "cancel_reason": reason})
        for order in self:
            order.message_post(body=self.env._("Cancelled: %(reason)s", reason=reason))

    def _action_return(self, reason):
        self._stop_visits()
        self._workflow_write({"state": "returned", "return_reason": reason})
        for order in self:
            order.message_post(body=self.env._("Returned: %(reason)s", reason=reason))

    # ============================================================
    # Back-office screens: landing, kanban moves, read-only forms
    # ============================================================

    calendar_display_name = fields.Char(
        compute="_compute_calendar_display_name",
        help="What a calendar event says: reference, customer, product, technician.",
    )

    # Positions and the last rating are not quantities to add up: not offered
    # as pivot and graph measures (the analysis report averages ratings).
    rating_last_value = fields.Float(aggregator=None)

    @api.depends("name", "partner_id", "product_id", "technician_id")
    def _compute_calendar_display_name(self):
        for order in self:
            parts = [
                order.name,
                order.partner_id.name,
                order.product_id.name,
                order.technician_id.name,
            ]
            order.calendar_display_name = " · ".join(part for part in parts if part)

    # ------------------------------------------------------------
    # Landing
    # ------------------------------------------------------------

    @api.model
    def action_open_landing(self):
        """Open After-Sales where the user's role works: managers on the
        dashboard, dispatchers on the orders to assign, center staff on what
        awaits their center, technicians on their jobs, accountants (who
        have no after-sales role) on the settlements with the centers."""
        user = self.env.user
        if not user.has_group("aftersales.group_technician"):
            xmlid = "aftersales.aftersales_settlement_action"
        elif user.has_group("aftersales.group_manager"):
            xmlid = "aftersales.aftersales_dashboard_action"
        elif user.has_group("aftersales.group_dispatcher"):
            xmlid = "aftersales.aftersales_order_action_dispatch"
        elif user.has_group("aftersales.group_center_user"):
            xmlid = "aftersales.aftersales_order_action_center"
        else:
            xmlid = "aftersales.aftersales_order_action_my"
        return self.env["ir.actions.actions"]._for_xml_id(xmlid)

    def action_open_technician_app(self):
        """The phone app of the technicians, in the same tab."""
        return {"type": "ir.actions.act_url", "url": "/my/technician", "target": "self"}

    # ------------------------------------------------------------
    # Kanban
    # ------------------------------------------------------------

    def action_kanban_move(self, state):
        """A card dropped in the column of ``state``: run the step that leads
        there when the order's rules allow it, or say why not. Never writes the
        state directly."""
        self.ensure_one()
        states = dict(ORDER_STATES)
        if state not in KANBAN_MOVES:
            raise UserError(self.env._("Unknown status."))
        transition, method = KANBAN_MOVES[state]
        from_states = TRANSITIONS[transition]["from"]
        if self.state not in from_states:
            raise UserError(
                self.env._(
                    "%(order)s cannot go from %(current)s to %(wanted)s. Use the "
                    "buttons on the order for the next step.",
                    order=self.name,
                    current=states[self.state],
                    wanted=states[state],
                )
            )
        if method is None:
            return self.with_context(
                aftersales_transition=transition
            ).action_open_reason_wizard()
        if transition == "assign" and not self.center_id:
            # Dropped on "Assigned": the rules choose the center, as the
            # Assign button does; a dispatcher picks by hand if none is found.
            return self.action_assign()
        return getattr(self, method)()

    def action_kanban_move_stage(self, stage_id):
        """A card dropped in the column of a stage: within the order's status,
        the stage is picked (as staff may); in another status, the step that
        leads there runs (see action_kanban_move), and the order takes the
        chosen stage when the step brought it to that stage's status."""
        self.ensure_one()
        stage = self.env["aftersales.order.stage"].browse(stage_id).exists()
        if not stage:
            raise UserError(self.env._("This stage no longer exists."))
        if stage.work_place not in (self.work_place or "field", "both"):
            raise UserError(
                self.env._(
                    "Stage %(stage)s is not for %(order)s: it is for %(place)s work.",
                    stage=stage.name,
                    order=self.name,
                    place=dict(
                        self.env["aftersales.order.stage"]
                        ._fields["work_place"]
                        ._description_selection(self.env)
                    )[stage.work_place],
                )
            )
        if stage.state == self.state:
            self.stage_id = stage
            return True
        result = self.action_kanban_move(stage.state)
        writable = self._get_writable_fields_for_user()
        if (
            self.state == stage.state
            and self.stage_id != stage
            and (writable is None or "stage_id" in writable)
        ):
            # Users who may not pick a stage keep the one the step gave.
            self.stage_id = stage
        return result

    # ------------------------------------------------------------
    # Views
    # ------------------------------------------------------------

    @api.model
    def _get_writable_fields_for_user(self):
        """What the current user may write on an existing order (the same
        whitelists as _ensure_fields_writable), or None when not restricted."""
        user = self.env.user
        if self.env.su or user.has_group("aftersales.group_dispatcher"):
            return None
        if user.has_group("aftersales.group_center_user"):
            return self._get_writable_fields_center()
        return self._get_writable_fields_technician()

    @api.model
    def _get_technical_fields(self):
        """Bookkeeping fields not offered as a grouping (extension hook)."""
        return set(TECHNICAL_FIELDS)

    @api.model
    def fields_get(self, allfields=None, attributes=None):
        res = super().fields_get(allfields, attributes)
        for fname in self._get_technical_fields():
            if "groupable" in res.get(fname, {}):
                res[fname]["groupable"] = False
        return res

    @api.model
    def get_view(self, view_id=None, view_type="form", **options):
        """Technicians and center staff see the fields they may not change
        as read-only, instead of an error on save. Computed here, after the
        view cache, because it depends on the user's groups; the whitelist
        hooks stay the single source."""
        result = super().get_view(view_id, view_type, **options)
        writable = view_type == "form" and self._get_writable_fields_for_user()
        if writable is None or writable is False:
            return result
        create_locked = self._get_create_dispatcher_fields()
        arch = etree.fromstring(result["arch"])
        for node in arch.iter("field"):
            fname = node.get("name")
            if fname in writable or fname not in self._fields:
                continue
            if any(parent.tag == "field" for parent in node.iterancestors()):
                continue  # a field of a line, checked by the line's model
            if fname in create_locked:
                node.set("readonly", "1")
            else:
                # New orders are theirs to fill (see _ensure_create_fields_allowed).
                current = node.get("readonly")
                node.set("readonly", f"id or ({current})" if current else "id")
        result["arch"] = etree.tostring(arch, encoding="unicode")
        return result

    # ============================================================
    # Technician clashes: booked twice at the same time (warned, never blocked)
    # ============================================================

    technician_clash_order_ids = fields.Many2many(
        "aftersales.order",
        compute="_compute_technician_clash_order_ids",
        string="Technician's Other Jobs Then",
        help="Open jobs of the same technician whose time overlaps this one.",
        groups="base.group_user",
    )

    # ------------------------------------------------------------
    # Compute methods
    # ------------------------------------------------------------

    @api.depends("technician_id", "scheduled_date", "scheduled_duration")
    def _compute_technician_clash_order_ids(self):
        for order in self:
            order.technician_clash_order_ids = order._get_technician_clashes()

    @api.onchange("technician_id", "scheduled_date")
    def _onchange_technician_clash(self):
        clashes = self._get_technician_clashes()
        if clashes:
            return {
                "warning": {
                    "title": self.env._("The technician is already booked"),
                    "message": self._get_clash_message(clashes),
                }
            }
        return None

    # ------------------------------------------------------------
    # Overrides
    # ------------------------------------------------------------

    # ------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------

    def _get_technician_clashes(self):
        """The technician's other open jobs overlapping this one's time."""
        self.ensure_one()
        if not self.technician_id or not self.scheduled_date:
            return self.browse()
        start = self.scheduled_date
        end = start + timedelta(hours=self.scheduled_duration or 1.0)
        nearby = self.search(
            [
                ("technician_id", "=", self.technician_id.id),
                ("state", "in", OPEN_ORDER_STATES),
                ("id", "!=", self._origin.id or 0),
                ("scheduled_date", "<", end),
                ("scheduled_date", ">", start - timedelta(hours=MAX_JOB_HOURS)),
            ],
            order="scheduled_date, id",
        )
        return nearby.filtered(
            lambda other: (
                other.scheduled_date + timedelta(hours=other.scheduled_duration or 1.0)
                > start
            )
        )

    def _get_clash_message(self, clashes):
        self.ensure_one()
        return self.env._(
            "%(technician)s already has %(jobs)s at that time.",
            technician=self.technician_id.name,
            jobs=", ".join(
                self.env._(
                    "%(order)s (%(when)s)",
                    order=other.name,
                    when=self._format_datetime_for(self.env.user, other.scheduled_date),
                )
                for other in clashes
            ),
        )

    def _note_technician_clashes(self):
        """Say on the chatter that the technician is booked twice; the
        booking stands (the center may know better)."""
        for order in self:
            if order.state not in OPEN_ORDER_STATES:
                continue
            clashes = order._get_technician_clashes()
            if clashes:
                order._message_log(
                    body=Markup("<p>%s</p>") % order._get_clash_message(clashes)
                )

    # ============================================================
    # Unit warnings: a serial of another customer, or already open
    # ============================================================

    @api.onchange("lot_id", "partner_id")
    def _onchange_lot_id_warning(self):
        if not self.lot_id:
            return None
        messages = self._get_unit_warnings(self.lot_id, self.partner_id)
        if not messages:
            return None
        return {
            "warning": {
                "title": self.env._("Check the serial number"),
                "message": "\n".join(messages),
                "type": "notification",
            }
        }

    def _get_unit_warnings(self, lot, partner):
        """Why registering ``lot`` for ``partner`` may be a mistake: the unit
        belongs to another customer, or already has an open work order.
        Also used by Register Requests."""
        messages = []
        # sudo: the owner and the open orders may be out of the user's reach
        # (another center's customer); only a name and references leave.
        lot_sudo = lot.sudo()
        owner = lot_sudo.aftersales_owner_id.commercial_partner_id
        if partner and owner and owner != partner.commercial_partner_id:
            if self.env.user.has_group("aftersales.group_dispatcher"):
                messages.append(
                    self.env._(
                        "Serial %(serial)s belongs to another customer: %(owner)s.",
                        serial=lot_sudo.name,
                        owner=owner.display_name,
                    )
                )
            else:
                messages.append(
                    self.env._(
                        "Serial %(serial)s belongs to another customer.",
                        serial=lot_sudo.name,
                    )
                )
        open_orders_sudo = (
            self.env["aftersales.order"]
            .sudo()
            .search(
                [
                    ("lot_id", "=", lot.id),
                    ("state", "in", ("new", *OPEN_ORDER_STATES)),
                    ("id", "not in", self._origin.ids),
                ],
                limit=3,
            )
        )
        if open_orders_sudo:
            messages.append(
                self.env._(
                    "Serial %(serial)s already has an open work order: %(orders)s.",
                    serial=lot_sudo.name,
                    orders=", ".join(open_orders_sudo.mapped("name")),
                )
            )
        return messages

    # ============================================================
    # Field execution: photos, visits and quality control
    # ============================================================

    # Photos and documents
    media_ids = fields.One2many(
        "aftersales.order.media", "order_id", string="Photos and Documents"
    )
    media_count = fields.Integer(compute="_compute_media_count")

    # Visits
    visit_ids = fields.One2many("aftersales.order.visit", "order_id", string="Visits")
    worked_hours = fields.Float(compute="_compute_visit_summary", store=True)
    visit_count = fields.Integer(compute="_compute_visit_summary", store=True)
    visit_running = fields.Boolean(compute="_compute_visit_running")
    resolution_code_id = fields.Many2one(
        "aftersales.resolution.code",
        string="Resolution",
        compute="_compute_visit_summary",
        store=True,
        index="btree_not_null",
        help="The resolution of the latest visit.",
    )

    # Quality control
    qc_required = fields.Boolean(
        related="service_type_id.qc_required", string="Quality Check Required"
    )
    qc_check_ids = fields.One2many(
        "aftersales.qc.check", "order_id", string="Quality Checks"
    )
    qc_state = fields.Selection(
        [
            ("none", "Not Required"),
            ("pending", "To Check"),
            ("passed", "Passed"),
            ("failed", "Failed"),
        ],
        string="Quality",
        compute="_compute_qc_state",
        store=True,
        index=True,
    )
    qc_returned = fields.Boolean(
        string="Returned from Quality Control",
        readonly=True,
        copy=False,
        tracking=True,
        help="The work failed its quality check and must be redone.",
        groups="base.group_user",
    )
    date_work_resumed = fields.Datetime(
        string="Work Resumed Date",
        readonly=True,
        copy=False,
        help="When the customer last sent the work back: quality checks "
        "before it no longer count.",
        groups="base.group_user",
    )
    can_be_quality_checked = fields.Boolean(compute="_compute_can_be_quality_checked")

    # ------------------------------------------------------------
    # Compute methods
    # ------------------------------------------------------------

    def _compute_media_count(self):
        counts = dict(
            self.env["aftersales.order.media"]._read_group(
                [("order_id", "in", self.ids)], ["order_id"], ["__count"]
            )
        )
        for order in self:
            order.media_count = counts.get(order, 0)

    @api.depends("visit_ids.duration", "visit_ids.resolution_code_id")
    def _compute_visit_summary(self):
        for order in self:
            logs = order.visit_ids
            order.worked_hours = sum(logs.mapped("duration"))
            order.visit_count = len(logs)
            order.resolution_code_id = (
                logs.filtered("resolution_code_id")
                .sorted(lambda log: (log.date_start, log.id))[-1:]
                .resolution_code_id
            )

    @api.depends("visit_ids.running")
    def _compute_visit_running(self):
        for order in self:
            order.visit_running = any(order.visit_ids.mapped("running"))

    @api.depends("qc_required", "qc_check_ids.result", "date_work_resumed")
    def _compute_qc_state(self):
        for order in self:
            resumed = order.date_work_resumed
            checks = order.qc_check_ids.filtered(
                lambda c, since=resumed: not since or c.date > since
            )
            latest = checks.sorted(lambda c: (c.date, c.id))[-1:]
            if latest:
                order.qc_state = "passed" if latest.result == "pass" else "failed"
            else:
                order.qc_state = "pending" if order.qc_required else "none"

    @api.depends("state")
    @api.depends_context("uid")
    def _compute_can_be_quality_checked(self):
        inspector = self.env.user.has_group("aftersales.group_qc")
        for order in self:
            order.can_be_quality_checked = inspector and order.state in (
                "in_progress",
                "awaiting_approval",
            )

    # ------------------------------------------------------------
    # Guards
    # ------------------------------------------------------------

    def _ensure_execution_editable(self):
        """Parts and visits change while the work goes on, not after."""
        closed = self.filtered(lambda o: o.state not in EXECUTION_STATES)
        if closed and not self.env.su:
            raise UserError(
                self.env._(
                    "Parts and visits of %(orders)s can no longer change: the "
                    "work order is %(state)s.",
                    orders=", ".join(closed.mapped("name")),
                    state=closed[0]
                    ._fields["state"]
                    .convert_to_export(closed[0].state, closed[0]),
                )
            )

    def _ensure_media_editable(self):
        """Technicians add photos until the work ends; the center and the
        back office may still add documents to closed orders."""
        closed = self.filtered(lambda o: o.state in CLOSED_STATES)
        if (
            closed
            and not self.env.su
            and not self.env.user.has_group("aftersales.group_center_user")
        ):
            raise UserError(
                self.env._(
                    "Work order %(order)s is closed: its photos can no longer change.",
                    order=closed[0].name,
                )
            )

    def _ensure_can_be_quality_checked(self):
        if not self.env.su and not self.env.user.has_group("aftersales.group_qc"):
            raise UserError(self.env._("Only quality inspectors check work orders."))
        # Inspectors may not read technicians; only who did the work is read.
        orders_sudo = self.sudo()
        own_work = orders_sudo.filtered(
            lambda o: o.technician_id.user_id == self.env.user
        )
        if own_work and not self.env.su:
            raise UserError(
                self.env._(
                    "You did the work on %(orders)s: another inspector checks it.",
                    orders=", ".join(own_work.mapped("name")),
                )
            )
        not_finished = self.filtered(
            lambda o: o.state not in ("in_progress", "awaiting_approval")
        )
        if not_finished:
            raise UserError(
                self.env._(
                    "Only work in progress or awaiting approval can be checked: "
                    "%(orders)s is not.",
                    orders=", ".join(not_finished.mapped("name")),
                )
            )

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_start_visit(self):
        """Start the timer of a new visit on site."""
        self._ensure_can_record_visit()
        self._start_visit()
        return True

    def action_stop_visit(self):
        """Stop the timer of the running visit."""
        self._ensure_can_record_visit()
        self.visit_ids.action_stop()
        return True

    def action_open_quality_check(self):
        """Record a quality check of the work (inspectors)."""
        self.ensure_one()
        self._ensure_can_be_quality_checked()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Quality Check of %(order)s", order=self.name),
            "res_model": "aftersales.qc.check",
            "view_mode": "form",
            "target": "new",
            "context": {"default_order_id": self.id},
        }

    def action_view_media(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Photos of %(order)s", order=self.name),
            "res_model": "aftersales.order.media",
            "view_mode": "kanban,list,form",
            "domain": [("order_id", "=", self.id)],
            "context": {"default_order_id": self.id},
        }

    # ------------------------------------------------------------
    # Workers
    # ------------------------------------------------------------

    def _ensure_can_record_visit(self):
        self.check_access("write")
        self._ensure_execution_editable()

    def _start_visit(self):
        Visit = self.env["aftersales.order.visit"]
        for order in self.filtered(lambda o: not o.visit_running):
            Visit.create(order._prepare_visit_vals())

    def _prepare_visit_vals(self):
        """Values of a visit started now (extension hook)."""
        self.ensure_one()
        return {
            "order_id": self.id,
            "technician_id": self.technician_id.id,
            "date_start": fields.Datetime.now(),
        }

    def _stop_visits(self):
        self.visit_ids.action_stop()

    def _finish_execution(self):
        """The work ends: stop the clock (the stock seam also takes the parts
        out of stock)."""
        self._stop_visits()

    # ------------------------------------------------------------
    # Workshop hooks: the workshop flow (workshop.py) calls them, the seams
    # of stock, sale and account fill them in. The core's do nothing.
    # ------------------------------------------------------------

    def _ensure_replacement_lot(self, lot):
        """The replacement is one serial of the same product (extension hook:
        replacement.py checks it is in stock)."""
        for order in self:
            if not lot or len(lot) != 1:
                raise UserError(self.env._("Choose the serial that replaces the unit."))
            if lot.product_id != order.product_id:
                raise UserError(
                    self.env._(
                        "%(serial)s is not a %(product)s: a unit is replaced by one "
                        "of the same product.",
                        serial=lot.name,
                        product=order.product_id.display_name,
                    )
                )
            if lot == order.lot_id:
                raise UserError(self.env._("A unit cannot replace itself."))

    def _transfer_warranty_to_replacement(self):
        """The replacement serial takes over the old unit's warranty
        (replacement.py: remaining or new term, company setting)."""

    def _receive_units(self):
        """The units are handed in at the desk: move them into its stock as
        the customers' property (desk.py)."""

    def _hand_back_units(self):
        """The customers pick their units up: deliver them (desk.py), or the
        units that replaced them."""

    def _scrap_replaced_units(self):
        """The replaced units leave the customers' property for the defective
        location (replacement.py)."""

    def _get_hand_back_picking_type(self, warehouse):
        """The operation type that hands units over to the customers of
        ``warehouse`` (desk.py: its "Units Handed Back" type). None: the
        caller takes the warehouse's delivery type (replacement.py)."""
        return None

    def _reserve_repair_parts(self):
        """Reserve the parts the accepted estimates need; return the orders
        whose parts are all there (desk.py: the rest wait for parts)."""
        return self

    def _prepare_estimates(self):
        """Create or refresh the estimates to send (estimate.py)."""

    def _send_estimates(self):
        """Send the estimates to the customers (estimate.py, sms.py)."""

    def _confirm_estimate(self, approval):
        """The customer accepted the estimate through ``approval``
        (estimate.py confirms its quotation)."""

    def _cancel_estimate(self, approval):
        """The estimate is void: the customer declined it through
        ``approval``, or it became moot (``approval`` None: the unit was
        replaced). estimate.py cancels its quotation."""

    def _invoice_hand_back(self):
        """Invoice what the customer pays at pickup: the accepted estimate,
        or the inspection fee of a declined one (estimate.py)."""

    def _apply_quality_check(self, check):
        """Follow the inspector's verdict: a failed check sends the work back
        to the technician; a pass completes the order the customer already
        approved."""
        self.ensure_one()
        # Inspectors read the orders they check but may not write them; the
        # check itself was guarded, the chatter and activity follow from it.
        order_sudo = self.sudo()
        if check.result == "fail":
            order_sudo._action_return_from_qc(check)
            return
        self._workflow_write({"qc_returned": False})
        order_sudo.message_post(
            body=self.env._(
                "Quality check passed (%(inspector)s).", inspector=check.user_id.name
            )
        )
        if (
            order_sudo.approval_state == "approved"
            and self.state in ("in_progress", "awaiting_approval")
            and not order_sudo._get_completion_blockers()
        ):
            order_sudo._action_done()

    def _action_return_from_qc(self, check):
        self._workflow_write({"state": "in_progress", "qc_returned": True})
        recipients = self.center_id.partner_id | self.technician_id.user_id.partner_id
        self.message_post(
            body=self.env._(
                "Returned from quality control by %(inspector)s: %(reason)s",
                inspector=check.user_id.name,
                reason=check.reason,
            ),
            partner_ids=recipients.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self.activity_schedule(
            "aftersales.mail_activity_type_qc_failed",
            note=escape(check.reason),
            user_id=(self.technician_id.user_id or self._get_dispatcher()).id,
        )

    def _get_approval_page_media(self):
        """The photos the customer sees on the approval page."""
        self.ensure_one()
        return self.media_ids.filtered(
            lambda m: (
                m.visible_to_customer
                and m.media_type == "image"
                and m.kind in PHOTO_KINDS
            )
        )

    # ============================================================
    # Hooks the seams fill (the core itself never sends, bills, moves stock
    # or chooses a center)
    # ============================================================

    def _assign_new_orders(self):
        """Assign the orders just created where their company assigns
        automatically; return those left new. Here: none is (the assignment
        seam chooses centers)."""
        return self.filtered(lambda o: o.state == "new")

    def _get_manual_assignment_log(self):
        """The assignment log of an order given by hand to its center. The
        assignment seam adds how the centers ranked at the time."""
        self.ensure_one()
        return {"mode": "manual"}

    def _assign_automatically(self):
        """Choose a center for each of these new orders that have none, and
        assign them; return those left for a dispatcher. Here: all are (the
        assignment seam chooses centers)."""
        if self:
            self._escalate(self.env._("No service center can take this work order."))
        return self

    def _reassign_after_rejection(self):
        """What becomes of orders their center rejected: here, a dispatcher
        assigns them again (the assignment seam may route them itself)."""
        self._escalate(self.env._("Rejected by its center: assign it again."))

    def _get_sms_events(self):
        """{event: (company setting that enables it, SMS template XML id,
        audience "customer" | "technician")} of the events that may be sent by
        SMS. Extension hook: the SMS seam and others return
        ``super()._get_sms_events() | {...}``."""
        return {}

    def _send_sms_event(self, event, technician=None):
        """Announce ``event`` (a key of _get_sms_events()) for each order: the
        SMS seam queues the text where the company sends it. Here: nothing."""
        return None

    def _technician_app_parts(self):
        """The parts the technician app offers for this order and the lines
        already recorded; the stock seam fills it."""
        self.ensure_one()
        return {"locations": [], "catalogue": [], "lines": []}

    # ============================================================
    # Times, addresses and links as their reader reads them (screens,
    # e-mails and SMS alike)
    # ============================================================

    schedule_text = fields.Char(
        compute="_compute_sms_texts",
        help="The scheduled time as its reader reads it: the SMS recipient's "
        "(or the viewer's) zone, language and date format, the zone named where "
        "it could be ambiguous.",
    )
    address_text = fields.Char(compute="_compute_sms_texts")
    technician_url = fields.Char(
        compute="_compute_sms_texts",
        help="The link that opens the job in the technician's phone app.",
        groups="base.group_user",
    )
    center_phone = fields.Char(related="center_id.phone", string="Center Phone")
    technician_mobile = fields.Char(
        related="technician_id.mobile",
        string="Technician Mobile",
        groups="base.group_user",
    )

    # ------------------------------------------------------------
    # Compute methods
    # ------------------------------------------------------------

    @api.depends("scheduled_date", "address_id", "center_id")
    @api.depends_context("lang", "uid", RECIPIENT_KEY, AUDIENCE_KEY)
    def _compute_sms_texts(self):
        recipient = self._get_context_recipient()
        to_customer = self.env.context.get(AUDIENCE_KEY) == "customer"
        now = fields.Datetime.now()
        for order in self:
            when = order.scheduled_date
            if to_customer and (not when or when < now):
                # Never tell the customer a time that has passed (or none).
                order.schedule_text = self.env._(
                    "the center will confirm the time with you"
                )
            else:
                order.schedule_text = order._format_datetime_for(recipient, when)
            address = order.address_id
            order.address_text = ", ".join(
                part
                for part in (
                    address.street,
                    address.street2,
                    order.district,
                    address.zip,
                    address.city,
                )
                if part
            )
            order.technician_url = (
                order._get_technician_app_url() if order.id else False
            )

    # ------------------------------------------------------------
    # Times and links in messages
    # ------------------------------------------------------------

    def _get_context_recipient(self):
        """Who the texts are for: the recipient named in the context, else
        the current user (a screen shows the viewer's time)."""
        model, res_id = self.env.context.get(RECIPIENT_KEY) or ("res.users", 0)
        if model == "place":
            return None
        if model not in ("res.users", "res.partner", "aftersales.technician"):
            return self.env.user
        # Only the zone and language are read, whoever renders the message.
        recipient_sudo = self.env[model].sudo().browse(res_id)
        return recipient_sudo if res_id else self.env.user

    def _get_place_tz(self):
        """The zone of the place of the work: the center's calendar, else the
        company's address, else the company's calendar."""
        self.ensure_one()
        return (
            self.center_id.resource_calendar_id.tz
            or self.company_id.partner_id.tz
            or self.company_id.resource_calendar_id.tz
            or "UTC"
        )

    def _get_recipient_tz_lang(self, recipient):
        """(zone, language, whether the zone is the recipient's own) of a user,
        partner or technician; the place's zone and the company's language
        where they have none."""
        self.ensure_one()
        user = partner = None
        if recipient is not None and recipient._name == "aftersales.technician":
            user = recipient.user_id
        elif recipient is not None and recipient._name == "res.users":
            user = recipient
        elif recipient is not None and recipient._name == "res.partner":
            partner = recipient
        person = user or partner
        tz = person.tz if person else False
        if tz not in pytz.all_timezones_set:
            tz = False
        lang = (person.lang if person else False) or (
            self.company_id.partner_id.lang or self.env.lang or "en_US"
        )
        return tz or self._get_place_tz(), lang, bool(tz)

    def _format_datetime_for(self, recipient, dt):
        """``dt`` (UTC) as ``recipient`` (a user, partner or technician; None:
        the place of the work) reads it: their zone, language and date
        format, falling back to the center's calendar zone, then the
        company's. The zone is named unless it is the recipient's own and the
        place's: "02.12.2026 10:00 (GMT+3)"."""
        self.ensure_one()
        if not dt:
            return ""
        tz, lang, own = self._get_recipient_tz_lang(recipient)
        text = format_datetime(self.env, dt, tz=tz, dt_format="short", lang_code=lang)
        if own and tz == self._get_place_tz():
            return text
        return self.with_context(lang=lang).env._(
            "%(datetime)s (%(zone)s)", datetime=text, zone=zone_label(tz, dt)
        )

    def _get_technician_app_url(self):
        """The absolute link that opens this job in the technician's phone
        app (``/my/technician/job/<id>``, login first if needed)."""
        self.ensure_one()
        return f"{self.get_base_url()}/my/technician/job/{self.id}"

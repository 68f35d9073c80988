from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import email_normalize, html2plaintext, plaintext2html

from ...tools.labels import field_labels

TICKET_STATES = [
    ("new", "New"),
    ("open", "In Progress"),
    ("waiting", "Waiting for Customer"),
    ("solved", "Solved"),
    ("converted", "Converted to Work"),
    ("cancelled", "Cancelled"),
]
# The desk still owes the customer something.
OPEN_TICKET_STATES = ("new", "open", "waiting")
# Answered and closed, turned into work, or dropped (spam, duplicate).
CLOSED_TICKET_STATES = ("solved", "converted", "cancelled")

TICKET_CHANNELS = [
    ("email", "E-mail"),
    ("web", "Web Form"),
    ("portal", "Portal"),
    ("chat", "Live Chat"),
    ("sms", "SMS"),
    ("qr", "Site QR Code"),
    ("phone", "Phone"),
    ("backend", "Back Office"),
]

# One table for the state machine of the request, as TRANSITIONS for the work
# order: the states a transition starts from, its target, the lowest group
# allowed to run it and its UI flag.
TICKET_TRANSITIONS = {
    "open": {
        "flag": "can_be_opened",
        "from": ("new", "waiting"),
        "to": "open",
        "group": "aftersales.group_desk_agent",
    },
    "wait": {
        "flag": "can_be_put_waiting",
        "from": ("new", "open"),
        "to": "waiting",
        "group": "aftersales.group_desk_agent",
    },
    "solve": {
        "flag": "can_be_solved",
        "from": OPEN_TICKET_STATES,
        "to": "solved",
        "group": "aftersales.group_desk_agent",
    },
    # A converted request may become more work (a second unit, a follow-up).
    "convert": {
        "flag": "can_be_converted",
        "from": (*OPEN_TICKET_STATES, "converted"),
        "to": "converted",
        "group": "aftersales.group_desk_agent",
    },
    "cancel": {
        "flag": "can_be_cancelled",
        "from": OPEN_TICKET_STATES,
        "to": "cancelled",
        "group": "aftersales.group_desk_agent",
    },
    "reopen": {
        "flag": "can_be_reopened",
        "from": ("solved", "cancelled"),
        "to": "open",
        "group": "aftersales.group_desk_agent",
    },
}

# Fields only the state machine (and the channels' intake) writes: users
# cannot, not even through RPC. Seams add theirs through _get_workflow_fields().
TICKET_WORKFLOW_FIELDS = {
    "state",
    "name",
    "channel",
    "date_first_response",
    "date_closed",
    "cancel_reason",
    "first_response_hours",
    "resolution_hours",
    "order_count",
}


class AftersalesTicket(models.Model):
    """A service request: what a customer asks, by any channel, before (or
    instead of) work. The desk answers and closes it, or converts it into
    work orders or a contract inquiry (convert.py).

    Mixins as the work order: ``portal.mixin`` for the customer's link,
    ``rating.mixin`` (with ``mail.thread``) for the rating,
    ``mail.activity.mixin``, ``mail.tracking.duration.mixin`` for the time in
    each stage."""

    _name = "aftersales.ticket"
    _description = "After-Sales Service Request"
    _inherit = [
        "portal.mixin",
        "rating.mixin",
        "mail.activity.mixin",
        "mail.tracking.duration.mixin",
    ]
    _track_duration_field = "stage_id"
    _order = "priority desc, id desc"
    _check_company_auto = True
    _primary_email = "email_from"

    name = fields.Char(
        string="Reference",
        required=True,
        readonly=True,
        copy=False,
        default=lambda self: self.env._("New"),
        index="trigram",
    )
    subject = fields.Char(required=True, tracking=True, index="trigram")
    description = fields.Html(sanitize_style=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    state = fields.Selection(
        TICKET_STATES,
        string="Status",
        required=True,
        readonly=True,
        copy=False,
        default="new",
        index=True,
        tracking=True,
        help="* New: received, nobody works on it yet.\n"
        "* In Progress: the desk works on it.\n"
        "* Waiting for Customer: the desk asked the customer; a reply resumes it.\n"
        "* Solved: answered and closed.\n"
        "* Converted to Work: became work orders or a contract inquiry.\n"
        "* Cancelled: spam, duplicate or withdrawn.",
    )
    stage_id = fields.Many2one(
        "aftersales.ticket.stage",
        compute="_compute_stage_id",
        store=True,
        readonly=False,
        index=True,
        tracking=True,
        copy=False,
        group_expand="_read_group_stage_ids",
        ondelete="restrict",
        help="The first stage of the status by default; staff may pick another "
        "stage of the same status.",
    )
    stage_color = fields.Integer(related="stage_id.color")
    priority = fields.Selection(
        [("0", "Normal"), ("1", "High"), ("2", "Urgent")],
        default="0",
        index=True,
        tracking=True,
    )
    channel = fields.Selection(
        TICKET_CHANNELS,
        required=True,
        default="backend",
        index=True,
        readonly=True,
        help="How the request came in.",
    )
    category_id = fields.Many2one(
        "aftersales.ticket.category",
        index=True,
        tracking=True,
        check_company=True,
    )

    # Who asks, and where
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        index=True,
        tracking=True,
        check_company=True,
    )
    commercial_partner_id = fields.Many2one(
        related="partner_id.commercial_partner_id", store=True, index=True
    )
    contact_id = fields.Many2one(
        "res.partner",
        string="Contact Person",
        check_company=True,
        domain="[('id', 'child_of', commercial_partner_id)]",
        help="The person at the customer to talk to.",
    )
    site_id = fields.Many2one(
        "res.partner",
        index=True,
        check_company=True,
        domain="[('id', 'child_of', commercial_partner_id)]",
        help="The address the request is about (the customer's own by default).",
    )
    email_from = fields.Char(
        string="E-mail", help="The address the request came from or answers go to."
    )
    partner_phone = fields.Char(string="Phone")

    # What it is about
    product_id = fields.Many2one("product.product", index=True)
    lot_id = fields.Many2one(
        "stock.lot",
        string="Serial Number",
        index=True,
        domain="[('product_id', '=?', product_id)]",
    )

    discuss_channel_id = fields.Many2one(
        "discuss.channel",
        string="Live Chat Conversation",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The live chat conversation the request was opened from.",
    )

    # Who handles it
    team_id = fields.Many2one(
        "aftersales.ticket.team",
        index=True,
        tracking=True,
        check_company=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        index=True,
        tracking=True,
        domain=[("share", "=", False)],
    )

    # The work it became (convert.py makes it; the link is on the order)
    order_ids = fields.One2many("aftersales.order", "ticket_id", string="Work Orders")
    order_count = fields.Integer(
        compute="_compute_order_count", store=True, string="Work Order Count"
    )

    # Times (the reports read them)
    date_first_response = fields.Datetime(
        readonly=True,
        copy=False,
        help="When the desk first answered the customer (a message, not a note).",
    )
    date_closed = fields.Datetime(readonly=True, copy=False, index=True)
    first_response_hours = fields.Float(
        compute="_compute_response_hours",
        store=True,
        aggregator="avg",
        help="Hours from the request to the desk's first answer.",
    )
    resolution_hours = fields.Float(
        compute="_compute_response_hours",
        store=True,
        aggregator="avg",
        help="Hours from the request to its closing (solved or converted).",
    )
    cancel_reason = fields.Text(readonly=True, copy=False)

    # UI flags, one per transition (from TICKET_TRANSITIONS)
    can_be_opened = fields.Boolean(compute="_compute_can_be")
    can_be_put_waiting = fields.Boolean(compute="_compute_can_be")
    can_be_solved = fields.Boolean(compute="_compute_can_be")
    can_be_converted = fields.Boolean(compute="_compute_can_be")
    can_be_cancelled = fields.Boolean(compute="_compute_can_be")
    can_be_reopened = fields.Boolean(compute="_compute_can_be")

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("state")
    def _compute_stage_id(self):
        Stage = self.env["aftersales.ticket.stage"]
        for ticket in self:
            ticket.stage_id = Stage.browse(Stage._get_default_stage_id(ticket.state))

    @api.model
    def _read_group_stage_ids(self, stages, domain):
        """Every stage is a column of the board, even empty ones."""
        # Stages are a configuration table of a few records.
        return stages.search([])  # pylint: disable=no-search-all

    @api.depends("order_ids")
    def _compute_order_count(self):
        for ticket in self:
            ticket.order_count = len(ticket.order_ids)

    @api.depends("date_first_response", "date_closed", "create_date")
    def _compute_response_hours(self):
        for ticket in self:
            start = ticket.create_date
            first, closed = ticket.date_first_response, ticket.date_closed
            ticket.first_response_hours = (
                (first - start).total_seconds() / 3600 if start and first else 0.0
            )
            ticket.resolution_hours = (
                (closed - start).total_seconds() / 3600
                if start and closed and ticket.state != "cancelled"
                else 0.0
            )

    @api.depends("state")
    @api.depends_context("uid")
    def _compute_can_be(self):
        for transition, rule in TICKET_TRANSITIONS.items():
            allowed = self._user_may(transition)
            for ticket in self:
                ticket[rule["flag"]] = allowed and ticket.state in rule["from"]

    @api.depends("name", "subject")
    def _compute_display_name(self):
        for ticket in self:
            ticket.display_name = " ".join(
                part for part in (ticket.name, ticket.subject) if part
            )

    def _compute_access_url(self):
        super()._compute_access_url()
        for ticket in self:
            ticket.access_url = f"/my/requests/{ticket.id}"
        return None

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", self.env._("New")) == self.env._("New"):
                company = self.env["res.company"].browse(
                    vals.get("company_id") or self.env.company.id
                )
                vals["name"] = self.env["ir.sequence"].with_company(
                    company
                ).next_by_code("aftersales.ticket") or self.env._("New")
            if vals.get("partner_id") and not vals.get("site_id"):
                vals["site_id"] = vals["partner_id"]
        tickets = super().create(vals_list)
        tickets._route()
        return tickets

    def write(self, vals):
        if not self.env.su:
            blocked = set(vals) & self._get_workflow_fields()
            if blocked:
                raise UserError(
                    self.env._(
                        "%(fields)s change through the request's actions, not by hand.",
                        fields=field_labels(self, blocked),
                    )
                )
        return super().write(vals)

    @api.model
    def _get_workflow_fields(self):
        """Fields only the state machine writes; seams add theirs."""
        return set(TICKET_WORKFLOW_FIELDS)

    def _workflow_write(self, vals):
        """Write as the state machine: the only way to change the fields of
        _get_workflow_fields()."""
        # The guards (_ensure_transition) checked the user's right to write
        # the requests; the workflow fields are then written as superuser.
        if vals.get("state") in CLOSED_TICKET_STATES:
            vals = dict(vals, date_closed=fields.Datetime.now())
        elif vals.get("state"):
            vals = dict(vals, date_closed=False)
        tickets_sudo = self.sudo()
        return tickets_sudo.write(vals)

    # ------------------------------------------------------------------
    # Hooks (the seams override them)
    # ------------------------------------------------------------------

    def _route(self):
        """Give new requests their team and responsible (routing.py)."""
        return True

    @api.model
    def _prepare_ticket_vals(self, channel, values, partner):
        """The values of a request coming in by ``channel`` from ``partner``
        (found or created); ``values`` as the channel read them."""
        description = values.get("description") or ""
        if description and not values.get("description_is_html"):
            description = plaintext2html(description)
        vals = {
            "channel": channel,
            "subject": (values.get("subject") or "").strip()
            or self.env._("Request from %(name)s", name=partner.display_name),
            "description": description,
            "partner_id": partner.id,
            "email_from": values.get("email") or partner.email,
            "partner_phone": values.get("phone") or partner.phone,
        }
        for key in (
            "company_id",
            "category_id",
            "contact_id",
            "site_id",
            "product_id",
            "lot_id",
            "team_id",
            "priority",
            "discuss_channel_id",
        ):
            if values.get(key):
                vals[key] = values[key]
        return vals

    @api.model
    def _create_from_channel(self, channel, values, attachments=()):
        """Open a request from a channel (e-mail, web, portal, chat, SMS,
        QR, phone): find or create the customer, create the request, file the
        customer's attachments in its thread. ``values``: subject,
        description, name, email, phone, partner_id, contact_id, site_id,
        product_id, lot_id, category_id, company_id, team_id, priority.
        ``attachments``: (file name, bytes, mimetype) tuples, already checked
        by the channel. Raises UserError on a bad e-mail or phone: nothing is
        created then."""
        company = self.env["res.company"].browse(
            values.get("company_id") or self.env.company.id
        )
        partner = self.env["res.partner"].browse(values.get("partner_id")).exists()
        if not partner:
            partner = self._find_or_create_customer(
                values.get("name"), values.get("email"), values.get("phone"), company
            )
        # What a new request notifies (the customer's acknowledgement, the
        # responsible's assignment, the followers of the mail the gateway
        # then posts) goes through Odoo's mail queue: the channel (the mail
        # gateway, the public form, the SMS webhook) answers without waiting
        # on the SMTP server, and the queue's cron, triggered by the queued
        # mails (see _trigger_mail_queue), sends them within the minute.
        ticket = (
            self.with_company(company)
            .with_context(mail_notify_force_send=False)
            .create(
                self._prepare_ticket_vals(
                    channel, dict(values, company_id=company.id), partner
                )
            )
        )
        if attachments:
            ticket._post_customer_attachments(partner, attachments)
        ticket._trigger_mail_queue()
        return ticket

    def _trigger_mail_queue(self):
        """Wake Odoo's mail queue (hourly by default) for what the request
        just queued."""
        self._trigger_cron_soon("mail.ir_cron_mail_scheduler_action")

    @api.model
    def _trigger_cron_soon(self, xmlid):
        """Have the cron ``xmlid`` run at the cron workers' next poll (within
        the minute). Not at once: an immediate trigger opens a connection to
        notify the workers, on every request (7 ms each), and they would
        look before this transaction commits anyway."""
        cron = self.env.ref(xmlid, raise_if_not_found=False)
        if cron:
            # The intake runs as the public user, a customer or the gateway:
            # none of them may read crons.
            cron_sudo = cron.sudo()
            cron_sudo._trigger(at=fields.Datetime.now() + timedelta(seconds=1))

    def _post_customer_attachments(self, partner, attachments):
        """File the customer's files in the thread, as the customer."""
        self.ensure_one()
        Attachment = self.env["ir.attachment"]
        files = Attachment.create(
            [
                {
                    "name": name,
                    "raw": content,
                    "mimetype": mimetype,
                    "res_model": self._name,
                    "res_id": self.id,
                }
                for name, content, mimetype in attachments
            ]
        )
        self.message_post(
            body=self.env._("Files sent with the request"),
            author_id=partner.id,
            attachment_ids=files.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )

    @api.model
    def _find_or_create_customer(self, name, email, phone, company):
        """The contact behind a request: found by e-mail (normalized), else
        by phone (E.164), else created. Raises UserError on an e-mail or a
        phone that is not one, and when neither is given."""
        name = (name or "").strip()
        email_normalized = False
        if email:
            email_normalized = email_normalize(email)
            if not email_normalized:
                raise UserError(
                    self.env._("%(email)s is not an e-mail address.", email=email)
                )
        phone_e164 = False
        if phone:
            country = company.country_id
            phone_e164 = self.env["res.partner"]._phone_format(
                number=phone, country=country, force_format="E164"
            )
            if not phone_e164:
                raise UserError(
                    self.env._(
                        "%(phone)s is not a phone number we can call.", phone=phone
                    )
                )
        if not email_normalized and not phone_e164:
            raise UserError(
                self.env._("Give an e-mail address or a phone number to answer to.")
            )
        Partner = self.env["res.partner"].with_context(active_test=True)
        company_domain = [("company_id", "in", (False, company.id))]
        partner = Partner.browse()
        if email_normalized:
            partner = Partner.search(
                [("email_normalized", "=", email_normalized), *company_domain],
                order="id",
                limit=1,
            )
        if not partner and phone_e164:
            partner = Partner.search(
                [("phone_sanitized", "=", phone_e164), *company_domain],
                order="id",
                limit=1,
            )
        if partner:
            return partner
        # No "contact created" note: the request's thread tells the story.
        return Partner.with_context(mail_create_nolog=True).create(
            {
                "name": name or email_normalized or phone_e164,
                "email": email_normalized or False,
                "phone": phone_e164 or False,
                "company_id": False,
            }
        )

    # ------------------------------------------------------------------
    # State machine
    # ------------------------------------------------------------------

    @api.model
    def _user_may(self, transition):
        return self.env.su or self.env.user.has_group(
            TICKET_TRANSITIONS[transition]["group"]
        )

    def _ensure_transition(self, transition, label):
        """Raise unless the current user may run ``transition`` on all of
        ``self``."""
        self.check_access("write")
        if not self._user_may(transition):
            raise AccessError(
                self.env._(
                    "You are not allowed to %(action)s service requests.",
                    action=label,
                )
            )
        allowed = TICKET_TRANSITIONS[transition]["from"]
        blocked = self.filtered(lambda t: t.state not in allowed)
        if blocked:
            states = dict(self._fields["state"]._description_selection(self.env))
            raise UserError(
                self.env._(
                    "You cannot %(action)s %(tickets)s: the request must be "
                    "%(states)s.",
                    action=label,
                    tickets=", ".join(f"{t.name} ({states[t.state]})" for t in blocked),
                    states=self.env._(" or ").join(states[s] for s in allowed),
                )
            )

    def action_open(self):
        """Start working on the request (also when the customer answered)."""
        self._ensure_transition("open", self.env._("start"))
        return self._action_set_state("open")

    def action_wait(self):
        """The desk asked the customer: the request waits for the answer."""
        self._ensure_transition("wait", self.env._("wait for the customer on"))
        return self._action_set_state("waiting")

    def action_solve(self):
        """Answered: close the request."""
        self._ensure_transition("solve", self.env._("solve"))
        return self._action_solve()

    def action_cancel(self, reason=None):
        """Drop the request (spam, duplicate, withdrawn)."""
        self._ensure_transition("cancel", self.env._("cancel"))
        return self._action_cancel(reason)

    def action_reopen(self):
        """Open a solved or cancelled request again."""
        self._ensure_transition("reopen", self.env._("reopen"))
        return self._action_set_state("open")

    def _action_set_state(self, state):
        vals = {"state": state}
        if state == "open":
            vals["cancel_reason"] = False
        return self._workflow_write(vals)

    def _action_solve(self):
        return self._action_set_state("solved")

    def _action_cancel(self, reason):
        return self._workflow_write({"state": "cancelled", "cancel_reason": reason})

    def _action_mark_converted(self):
        """Worker of the conversion (convert.py): the request became work."""
        return self._action_set_state("converted")

    def _action_first_response(self, when=None):
        """The desk answered the customer for the first time (mail.py)."""
        pending = self.filtered(lambda t: not t.date_first_response)
        if pending:
            pending._workflow_write(
                {"date_first_response": when or fields.Datetime.now()}
            )
        return True

    def _get_customer_text(self):
        """The request's text, plain (for matching articles, SMS, chat)."""
        self.ensure_one()
        return html2plaintext(self.description or "")

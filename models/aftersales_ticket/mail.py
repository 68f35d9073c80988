"""mail seam of aftersales.ticket (see __init__.py): the team's e-mail alias,
the customer's replies, who hears of what.

The mail gateway (``message_process``) routes a new mail sent to a team's
alias to ``message_new`` and a reply (matched by its Message-Id references) to
the request's thread. It drops a sender's mails once they opened 20 requests
or wrote 20 messages on one within 120 minutes (``_detect_loop_sender``,
system parameters ``mail.gateway.loop.minutes`` / ``.threshold``): the guard
against auto-responders answering our acknowledgements. We keep it as is.
"""

from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import parse_contact_from_email

# Channels whose customer gets an acknowledgement by e-mail: those where they
# typed or sent an address and wait for an answer there. Chat and SMS answer
# in their own channel; phone and back office requests come from the desk.
ACK_CHANNELS = ("email", "web", "portal", "qr")


class AftersalesTicket(models.Model):
    _inherit = "aftersales.ticket"

    parent_ticket_id = fields.Many2one(
        "aftersales.ticket",
        string="Follow-up Of",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The closed request the customer answered long after it was "
        "solved: their message opened this one.",
    )

    acknowledgement_pending = fields.Boolean(
        readonly=True,
        copy=False,
        index=True,
        help="The customer's acknowledgement is queued: the mail queue's cron "
        "sends it within the minute.",
    )

    @api.model
    def _get_workflow_fields(self):
        return super()._get_workflow_fields() | {
            "parent_ticket_id",
            "acknowledgement_pending",
        }

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        tickets = super().create(vals_list)
        tickets._subscribe_customer()
        to_acknowledge = tickets.filtered(
            lambda t: t.channel in ACK_CHANNELS and t.partner_id.email_normalized
        )
        if to_acknowledge:
            # Queued, not sent here: rendering and posting it took a quarter
            # of the intake (35 ms of a request made by the public form or the
            # mail gateway; bench/desk.py). The cron renders them by batch.
            to_acknowledge._workflow_write({"acknowledgement_pending": True})
            self._trigger_acknowledgements()
        return tickets

    def _trigger_acknowledgements(self):
        self._trigger_cron_soon("aftersales.ir_cron_ticket_acknowledgement")

    @api.model
    def _cron_send_acknowledgements(self, batch_size=200, after_batch=None):
        """Send the queued acknowledgements, in batches; each batch's flags
        are cleared in its own transaction, so a rerun sends none twice."""
        after_batch = after_batch or self.env["ir.cron"]._commit_progress
        domain = [("acknowledgement_pending", "=", True)]
        while True:
            batch = self.search(domain, limit=batch_size, order="id")
            # Another worker holds some: they are its to send.
            locked = batch.try_lock_for_update()
            if not locked:
                break
            locked._send_acknowledgement()
            locked._workflow_write({"acknowledgement_pending": False})
            remaining = self.search_count(domain) if len(batch) == batch_size else 0
            if not after_batch(len(locked), remaining=remaining) or not remaining:
                break

    def write(self, vals):
        res = super().write(vals)
        if vals.get("partner_id"):
            self._subscribe_customer()
        return res

    def _subscribe_customer(self):
        """The customer follows the request, to hear the desk's answers (only
        public messages reach them: notes are internal subtypes). A customer
        without an e-mail address could not be told anything."""
        for ticket in self.filtered("partner_id.email_normalized"):
            ticket.message_subscribe(partner_ids=ticket.partner_id.ids)

    def _send_acknowledgement(self):
        """Tell the customer we received the request and its reference.

        Posted as an automated targeted message (``auto_comment``) on the
        internal note subtype: only the customer gets it, not the followers,
        and a reply to it still counts as the customer's (Odoo marks replies
        to internal notes internal, except to ``auto_comment`` ones)."""
        template = self.env.ref(
            "aftersales.mail_template_ticket_acknowledgement", raise_if_not_found=False
        )
        if not template or not self:
            return
        # Rendered here rather than through the composer
        # (message_post_with_source, one wizard record per request): mail
        # intake went from 8.0 to 9.1 mails/s in one process (test run).
        # compute_lang renders each text in its customer's language (the
        # template's lang).
        rendered = {
            fname: template._render_field(fname, self.ids, compute_lang=True)
            for fname in ("subject", "body_html", "email_from")
        }
        for ticket in self:
            ticket.message_post(
                body=rendered["body_html"][ticket.id],
                subject=rendered["subject"][ticket.id],
                email_from=rendered["email_from"][ticket.id] or None,
                partner_ids=ticket.partner_id.ids,
                message_type="auto_comment",
                subtype_xmlid="mail.mt_note",
                email_layout_xmlid="mail.mail_notification_light",
            )

    # ------------------------------------------------------------------
    # Mail gateway
    # ------------------------------------------------------------------

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """A new mail on a team's alias opens a request (channel ``email``).

        The customer: the contact the gateway already matched the sender to
        (``author_id``; Odoo's lookup prefers users, followers and the
        company's contacts), when it may be used in the request's company;
        else core ``_find_or_create_customer``, the same validated lookup as
        the web form, the portal and SMS use, so one address gives one contact
        whatever the channel (Odoo's ``_partner_find_from_emails_single``
        would create a contact of another company rule, without validation).
        The gateway then posts the mail itself, with its attachments, in the
        new request's thread."""
        defaults = dict(custom_values or {})
        company = self.env["res.company"].browse(
            defaults.get("company_id") or self.env.company.id
        )
        name, email = parse_contact_from_email(msg_dict.get("email_from") or "")
        values = {
            **defaults,
            "subject": msg_dict.get("subject") or "",
            "description": msg_dict.get("body") or "",
            "description_is_html": True,
            "name": name,
            "email": email,
            "company_id": company.id,
        }
        author = self.env["res.partner"].browse(msg_dict.get("author_id")).exists()
        if author and author.company_id in (company, self.env["res.company"]):
            values["partner_id"] = author.id
        # No "you have been assigned" notice to the responsible routing picks:
        # as a follower they get the customer's mail itself, which the
        # gateway posts next (one message instead of two; 13% of the intake).
        return self.with_context(
            mail_auto_subscribe_no_notify=True
        )._create_from_channel("email", values)

    def _notify_get_reply_to(self, default=None, author_id=False):
        """Answers go to the team's alias, where the gateway files them in
        the request's thread (as crm.lead does with its sales team)."""
        # Whoever posts (a portal customer) may not read the team: its alias
        # is only an address here.
        teams_sudo = self.sudo().team_id
        aliases = teams_sudo._notify_get_reply_to(default=default, author_id=author_id)
        res = {ticket.id: aliases.get(ticket.team_id.id) for ticket in self}
        leftover = self.filtered(lambda t: not res.get(t.id))
        if leftover:
            res.update(
                super(AftersalesTicket, leftover)._notify_get_reply_to(
                    default=default, author_id=author_id
                )
            )
        return res

    # ------------------------------------------------------------------
    # Followers
    # ------------------------------------------------------------------

    def _message_auto_subscribe_followers(self, updated_values, default_subtype_ids):
        """The responsible follows (Odoo's default, user_id being tracked);
        a team assigning to the whole team makes each member follow."""
        res = super()._message_auto_subscribe_followers(
            updated_values, default_subtype_ids
        )
        # The request's creator (the public through a form) may not read
        # teams and their members: only who follows is decided here.
        team_sudo = (
            self.env["aftersales.ticket.team"]
            .sudo()
            .browse(updated_values.get("team_id"))
        )
        if team_sudo and team_sudo.assign_method == "team":
            members = team_sudo._get_available_members(team_sudo.company_id)
            res += [
                (user.partner_id.id, default_subtype_ids, False) for user in members
            ]
        return res

    # ------------------------------------------------------------------
    # Messages: the desk's answers, the customer's follow-ups
    # ------------------------------------------------------------------

    def _message_post_after_hook(self, message, msg_values):
        """The desk's first public answer stamps the first response; a
        customer's message (a mail through the gateway or a post on the
        portal) resumes, reopens or follows up the request."""
        res = super()._message_post_after_hook(message, msg_values)
        if self and self._is_public_message(message):
            if self._is_desk_answer(message):
                self._action_first_response()
            elif message.author_id != self.env.ref("base.partner_root"):
                self._on_customer_follow_up(message)
        return res

    @api.model
    def _is_public_message(self, message):
        """A message the customer sees: a comment or a mail, not a note,
        not a notification, not an automated message."""
        return message.message_type in ("comment", "email") and not (
            message.subtype_id and message.subtype_id.internal
        )

    def _is_desk_answer(self, message):
        """An internal user's public message (not the customer's, not OdooBot's)."""
        author = message.author_id
        return bool(
            author
            and not author.partner_share
            and author != self.env.ref("base.partner_root")
            and author not in self.partner_id
        )

    def _on_customer_follow_up(self, message):
        """The customer wrote: a waiting request resumes; a solved one
        reopens within the company's reopen days, and after them a new
        request references it; on a converted or cancelled one the message
        only reaches the followers (the responsible)."""
        reopen_before = fields.Datetime.now()
        # The customer runs no desk transition, but their answer does: as
        # the mail gateway already does (superuser), through the machine.
        for ticket_sudo in self.sudo():
            if ticket_sudo.state == "waiting":
                ticket_sudo.action_open()
            elif ticket_sudo.state == "solved":
                days = ticket_sudo.company_id.aftersales_ticket_reopen_days
                closed = ticket_sudo.date_closed
                if closed and closed >= reopen_before - timedelta(days=days):
                    ticket_sudo.action_reopen()
                else:
                    ticket_sudo._open_follow_up(message)

    def _open_follow_up(self, message):
        """A new request from the customer's late answer on this solved one,
        referencing it (and referenced from it)."""
        self.ensure_one()
        attachments = [(a.name, a.raw, a.mimetype) for a in message.attachment_ids]
        follow_up = self._create_from_channel(
            "email" if message.message_type == "email" else "portal",
            {
                "subject": message.subject or self.subject,
                "description": message.body or "",
                "description_is_html": True,
                "partner_id": (message.author_id or self.partner_id).id,
                "company_id": self.company_id.id,
                "team_id": self.team_id.id,
                "category_id": self.category_id.id,
                "contact_id": self.contact_id.id,
                "site_id": self.site_id.id,
                "product_id": self.product_id.id,
                "lot_id": self.lot_id.id,
            },
            attachments,
        )
        follow_up._workflow_write({"parent_ticket_id": self.id})
        follow_up.message_post(
            body=Markup(self.env._("Follow-up of %(link)s, solved on %(date)s."))
            % {
                "link": self._get_html_link(),
                "date": fields.Date.to_string(self.date_closed),
            },
            subtype_xmlid="mail.mt_note",
        )
        self.message_post(
            body=Markup(
                self.env._("The customer wrote after it was solved: %(link)s opened.")
            )
            % {"link": follow_up._get_html_link()},
            subtype_xmlid="mail.mt_note",
        )
        return follow_up

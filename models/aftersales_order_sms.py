import logging
import re

import pytz
from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import format_datetime

from odoo.addons.sms.tools.sms_tools import sms_content_to_rendered_html

_logger = logging.getLogger(__name__)

# Event: (company setting that enables it, template, who receives it).
SMS_EVENTS = {
    "technician_assigned": (
        "aftersales_sms_technician_assigned",
        "aftersales.sms_template_technician_assigned",
        "technician",
    ),
    "technician_changed": (
        "aftersales_sms_technician_changed",
        "aftersales.sms_template_technician_changed",
        "technician",
    ),
    "technician_cancelled": (
        "aftersales_sms_technician_cancelled",
        "aftersales.sms_template_technician_cancelled",
        "technician",
    ),
    "customer_assigned": (
        "aftersales_sms_customer_assigned",
        "aftersales.sms_template_customer_assigned",
        "customer",
    ),
    "customer_on_the_way": (
        "aftersales_sms_customer_on_the_way",
        "aftersales.sms_template_customer_on_the_way",
        "customer",
    ),
    "customer_approval": (
        "aftersales_sms_customer_approval",
        "aftersales.sms_template_customer_approval",
        "customer",
    ),
    "customer_rating": (
        "aftersales_sms_customer_rating",
        "aftersales.sms_template_customer_rating",
        "customer",
    ),
}
# States in which the technician holds the job and hears of its changes.
TECHNICIAN_STATES = ("assigned", "accepted", "on_the_way", "in_progress")
# Changes of these fields are news for the technician.
TECHNICIAN_CHANGE_FIELDS = ("scheduled_date", "address_id", "district")
# A link carrying an order's token: the customer's credential.
TOKEN_LINK = re.compile(r"\S*[?&]access_token=\S*")
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


class AftersalesOrder(models.Model):
    """SMS notifications of the work order, kept apart from its workflow."""

    _inherit = "aftersales.order"

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

    # ------------------------------------------------------------
    # Overrides
    # ------------------------------------------------------------

    def write(self, vals):
        watched = "technician_id" in vals or any(
            fname in vals for fname in TECHNICIAN_CHANGE_FIELDS
        )
        before = (
            {order: (order.technician_id, order.state) for order in self}
            if watched
            else {}
        )
        result = super().write(vals)
        if before:
            self._notify_changes_by_sms(before, vals)
        return result

    # ------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------

    def _notify_changes_by_sms(self, before, vals):
        for order, (old_technician, old_state) in before.items():
            new_technician = order.technician_id
            if old_technician != new_technician:
                if old_technician and old_state in TECHNICIAN_STATES:
                    order._send_sms_event(
                        "technician_cancelled", technician=old_technician
                    )
                if new_technician and order.state in TECHNICIAN_STATES:
                    order._send_sms_event("technician_assigned")
                    if order.state in ("accepted", "on_the_way"):
                        order._send_sms_event("customer_assigned")
            elif (
                new_technician
                and order.state in TECHNICIAN_STATES
                and any(fname in vals for fname in TECHNICIAN_CHANGE_FIELDS)
            ):
                order._send_sms_event("technician_changed")

    def _action_accept(self):
        result = super()._action_accept()
        self.filtered("technician_id")._send_sms_event("customer_assigned")
        return result

    def _action_start_travel(self):
        result = super()._action_start_travel()
        self._send_sms_event("customer_on_the_way")
        return result

    def _action_cancel(self, reason):
        had_technician = self.filtered(
            lambda o: o.technician_id and o.state in TECHNICIAN_STATES
        )
        result = super()._action_cancel(reason)
        had_technician._send_sms_event("technician_cancelled")
        return result

    def _action_return(self, reason):
        had_technician = self.filtered(
            lambda o: o.technician_id and o.state in TECHNICIAN_STATES
        )
        result = super()._action_return(reason)
        had_technician._send_sms_event("technician_cancelled")
        return result

    def _send_sms_event(self, event, technician=None):
        """Queue the SMS of ``event`` for each order, where the company sends
        it and the recipient may receive it. The SMS are only queued: Odoo's
        SMS cron sends them after this transaction commits."""
        setting, template_xmlid, audience = SMS_EVENTS[event]
        template = self.env.ref(template_xmlid, raise_if_not_found=False)
        if not template:
            return
        for order in self:
            if not order.company_id[setting]:
                continue
            recipient = order._get_sms_recipient(audience, technician)
            if not recipient:
                continue
            partner, number, lang = recipient
            person = partner or technician or order.technician_id
            order.with_context(
                **{
                    RECIPIENT_KEY: (person._name, person.id),
                    AUDIENCE_KEY: audience,
                }
            )._queue_sms(template, partner, number, lang)

    def _get_sms_recipient(self, audience, technician=None):
        """(partner, E.164 number, language) of who should receive an SMS of
        ``audience``, or None when nobody may."""
        self.ensure_one()
        if audience == "technician":
            technician = technician or self.technician_id
            if not technician.sms_allowed or not technician.mobile:
                return None
            lang = technician.user_id.lang or self.company_id.partner_id.lang
            return self.env["res.partner"], technician.mobile, lang
        number = self.customer_phone_e164
        if not number or self._is_phone_blacklisted(number):
            return None
        return self.partner_id, number, self.partner_id.lang

    def _is_phone_blacklisted(self, number):
        # The blacklist is not readable by technicians, who trigger SMS.
        blacklist_sudo = self.env["phone.blacklist"].sudo()
        return bool(
            blacklist_sudo.search_count(
                [("number", "=", number), ("active", "=", True)], limit=1
            )
        )

    def _queue_sms(self, template, partner, number, lang):
        self.ensure_one()
        # Rendering reads the center, technician and customer, which a
        # technician may not all be allowed to; the template is ours.
        # The recipient and audience in the context shape the times in it.
        template_sudo = template.sudo().with_context(
            **{
                key: self.env.context[key]
                for key in (RECIPIENT_KEY, AUDIENCE_KEY)
                if key in self.env.context
            }
        )
        body = template_sudo._render_field("body", self.ids, set_lang=lang or False)[
            self.id
        ]
        kwargs = {"put_in_queue": True}
        if partner:
            kwargs |= {
                "partner_ids": partner.ids,
                "sms_pid_to_number": {partner.id: number},
            }
        else:
            kwargs |= {"partner_ids": [], "sms_numbers": [number]}
        message = self._message_sms(body, **kwargs)
        redacted = TOKEN_LINK.sub(self.env._("[link sent to the customer]"), body)
        if redacted != body:
            # The SMS itself keeps the link; its copy in the chatter, which
            # the technician and the center read, does not: the link opens
            # the order and records the customer's decision. The message was
            # just posted by us.
            message_sudo = message.sudo()
            message_sudo.body = sms_content_to_rendered_html(redacted)

    # ------------------------------------------------------------
    # Incoming SMS
    # ------------------------------------------------------------

    def _post_inbound_sms(self, inbound, ambiguous=False, expired=False):
        """Show the customer's SMS on the order's chatter."""
        self.ensure_one()
        body = Markup("<p>%s</p>") % (inbound.body or "")
        if expired:
            body += Markup("<p><i>%s</i></p>") % self.env._(
                "The approval request had expired when this reply came in: "
                "nothing was changed."
            )
        if ambiguous:
            body += Markup("<p><i>%s</i></p>") % self.env._(
                "Several work orders await this customer's approval and the "
                "reply names none by its code: nothing was changed."
            )
        self.message_post(
            body=body,
            author_id=self.partner_id.id,
            message_type="sms",
            subtype_xmlid="mail.mt_note",
        )

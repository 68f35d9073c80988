import logging
import re

from babel.dates import get_day_names
from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools.misc import babel_locale_parse

from odoo.addons.sms.tools.sms_tools import sms_content_to_rendered_html

from .core import AUDIENCE_KEY, RECIPIENT_KEY
from .states import TECHNICIAN_STATES

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
    # The workshop flow (workshop.py's _send_workshop_event) sends these.
    "estimate_sent": (
        "aftersales_sms_estimate_sent",
        "aftersales.sms_template_estimate_sent",
        "customer",
    ),
    "estimate_reminder": (
        "aftersales_sms_estimate_reminder",
        "aftersales.sms_template_estimate_reminder",
        "customer",
    ),
    "ready_for_pickup": (
        "aftersales_sms_ready_for_pickup",
        "aftersales.sms_template_ready_for_pickup",
        "customer",
    ),
}
# Changes of these fields are news for the technician.
TECHNICIAN_CHANGE_FIELDS = ("scheduled_date", "address_id", "district")
# A link carrying an order's token: the customer's credential.
TOKEN_LINK = re.compile(r"\S*[?&]access_token=\S*")
# First-strong isolate: an amount or an address keeps its own direction
# inside a right-to-left text (sent only to readers of such languages: the
# marks make any SMS a Unicode one).
FSI, PDI = "\u2068", "\u2069"


def format_hours(hours):
    """8.5 as "08:30"."""
    minutes = round(hours * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class AftersalesOrder(models.Model):
    """SMS notifications of the work order, kept apart from its workflow."""

    _inherit = "aftersales.order"

    # What the workshop texts tell the customer, in the language they are
    # rendered in (templates estimate_sent, estimate_reminder,
    # ready_for_pickup).
    sms_estimate_total = fields.Char(
        string="Estimate Total (SMS)",
        compute="_compute_sms_workshop_texts",
        groups="base.group_user",
    )
    sms_desk_text = fields.Char(
        string="Service Desk (SMS)",
        compute="_compute_sms_workshop_texts",
        help="The desk's name, address and opening hours, as the pickup text "
        "gives them.",
        groups="base.group_user",
    )

    # ------------------------------------------------------------
    # Compute methods
    # ------------------------------------------------------------

    @api.depends("center_id", "part_ids", "workshop_state")
    @api.depends_context("lang")
    def _compute_sms_workshop_texts(self):
        rtl = self.env["res.lang"]._get_data(code=self.env.lang).direction == "rtl"

        def isolate(text):
            return f"{FSI}{text}{PDI}" if text and rtl else text or ""

        for order in self:
            total = order._get_approval_page_total() if order.id else False
            order.sms_estimate_total = isolate(total)
            center = order.center_id
            partner = center.partner_id
            address = ", ".join(
                part for part in (partner.street, partner.street2, partner.city) if part
            )
            hours = order._get_desk_hours_text()
            order.sms_desk_text = ", ".join(
                part
                for part in (
                    center.name,
                    isolate(address),
                    hours and self.env._("open %(hours)s", hours=isolate(hours)),
                )
                if part
            )

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

    def _action_request_approval(self):
        result = super()._action_request_approval()
        self._send_sms_event("customer_approval")
        return result

    def _action_done(self):
        result = super()._action_done()
        # A workshop unit is rated once the customer has it back.
        self.filtered(
            lambda o: (
                o.work_place != "workshop" and not o.rating_ids.filtered("consumed")
            )
        )._send_sms_event("customer_rating")
        return result

    def _hand_back_units(self):
        result = super()._hand_back_units()
        self.filtered(lambda o: not o.rating_ids.filtered("consumed"))._send_sms_event(
            "customer_rating"
        )
        return result

    def _get_desk_hours_text(self):
        """The desk's opening hours from its calendar, days with the same
        hours together ("Mon–Fri 08:00–12:00, 13:00–17:00"), in the current
        language; "" where the calendar does not say (none, two weeks)."""
        self.ensure_one()
        calendar = self.center_id.resource_calendar_id
        if not calendar or calendar.two_weeks_calendar or calendar.flexible_hours:
            return ""
        ranges = {}
        for attendance in calendar.attendance_ids.sorted("hour_from"):
            if attendance.day_period == "lunch" or attendance.display_type:
                continue
            ranges.setdefault(int(attendance.dayofweek), []).append(
                f"{format_hours(attendance.hour_from)}–"
                f"{format_hours(attendance.hour_to)}"
            )
        if not ranges:
            return ""
        locale = babel_locale_parse(self.env.lang or "en_US")
        names = get_day_names("abbreviated", locale=locale)
        texts = []
        days = [(day, ", ".join(ranges[day])) for day in sorted(ranges)]
        # Consecutive days with the same hours make one span.
        spans = []
        for day, hours in days:
            if spans and spans[-1][2] == hours and spans[-1][1] == day - 1:
                spans[-1][1] = day
            else:
                spans.append([day, day, hours])
        for first, last, hours in spans:
            label = names[first] if first == last else f"{names[first]}–{names[last]}"
            texts.append(f"{label} {hours}")
        return "; ".join(texts)

    def _get_sms_events(self):
        return super()._get_sms_events() | SMS_EVENTS

    def _send_sms_event(self, event, technician=None):
        """Queue the SMS of ``event`` for each order, where the company sends
        it and the recipient may receive it. The SMS are only queued: Odoo's
        SMS cron sends them after this transaction commits."""
        setting, template_xmlid, audience = self._get_sms_events()[event]
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
        # Nor the pickup code: whoever gives it takes the unit home, and the
        # field is hidden from the staff who check it. Read for the same
        # reason as the template.
        pickup_code = self.sudo().pickup_code
        if pickup_code and pickup_code in redacted:
            redacted = redacted.replace(
                pickup_code, self.env._("[code sent to the customer]")
            )
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

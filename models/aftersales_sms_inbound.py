import logging
import re
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

from ..tools.phone import e164_or_none
from ..tools.sms_text import DIGITS, tokenize
from .aftersales_ticket.core import OPEN_TICKET_STATES

_logger = logging.getLogger(__name__)

# Days after completion during which a lone digit still rates the order.
RATING_REPLY_DAYS = 30
# Outcomes of a text that answered no order: it may open a service request.
NO_ORDER_OUTCOMES = ("not_waiting", "unknown_sender")
# Words of a text looked up as serials or warranty card numbers: the first
# ones, long enough to be one (an SMS is short; a pasted essay is not read).
UNIT_MAX_WORDS = 20
UNIT_MIN_LENGTH = 4
# Punctuation around a word that is not part of a serial ("SN-123," "(AB12)").
UNIT_STRIP = ".,;:!?()[]{}<>\"'«»“”‘’"
# Characters of a subject taken from the text.
SUBJECT_LENGTH = 80


class AftersalesSmsInbound(models.Model):
    """An SMS a customer sent us, as the gateway forwarded it, and what it did."""

    _name = "aftersales.sms.inbound"
    _description = "Incoming SMS"
    _order = "id desc"
    _rec_name = "sender"
    _check_company_auto = True

    gateway_id = fields.Many2one(
        "aftersales.sms.gateway", required=True, readonly=True, index=True
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        index=True,
        help="The gateway's company, set when the SMS is received.",
    )
    signature = fields.Char(
        readonly=True,
        help="The request's signature: a request seen once is never processed again.",
    )
    provider_ref = fields.Char(string="Provider Reference", readonly=True)
    sender = fields.Char(readonly=True, required=True)
    sender_e164 = fields.Char(string="Sender (E.164)", readonly=True, index=True)
    body = fields.Text(readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    order_id = fields.Many2one(
        "aftersales.order", string="Work Order", readonly=True, index="btree_not_null"
    )
    approval_id = fields.Many2one(
        "aftersales.approval", string="Decision", readonly=True
    )
    ticket_id = fields.Many2one(
        "aftersales.ticket",
        string="Service Request",
        readonly=True,
        index="btree_not_null",
        help="The request this SMS opened or was added to.",
    )
    outcome = fields.Selection(
        [
            ("approved", "Approved"),
            ("rejected", "Rejected"),
            ("rated", "Rated"),
            ("feedback", "Feedback"),
            ("ambiguous", "Several Orders Waiting, No Code"),
            ("expired", "Approval Request Expired"),
            ("not_waiting", "No Order Awaiting Approval"),
            ("unknown_sender", "Unknown Sender"),
            ("ticket", "Request Opened"),
            ("ticket_reply", "Added to a Request"),
            ("failed", "Could Not Be Processed"),
        ],
        readonly=True,
        index=True,
        help="Empty until the reply is processed, a few seconds after it came in.",
    )

    _replay_unique = models.Constraint(
        "unique(gateway_id, signature)",
        "This request was already received.",
    )
    # A provider that retries signs again with a new timestamp: its own
    # message id tells it is the same SMS.
    _provider_ref_unique = models.Constraint(
        "unique(gateway_id, provider_ref)",
        "This message was already received.",
    )
    _pending_idx = models.Index("(id) WHERE outcome IS NULL")

    # ------------------------------------------------------------
    # Queue
    # ------------------------------------------------------------

    @api.model
    def _receive(self, gateway, signature, provider_ref, sender, body):
        """Store a reply the gateway signed; return its id, or None when the
        same request or provider message was already received.

        The webhook's hot path, so plain SQL: one INSERT whose conflict on
        the unique constraints is the replay check (no savepoint, no
        exception), and the cron woken only by the first pending reply.
        """
        self.env.cr.execute(
            SQL(
                "INSERT INTO aftersales_sms_inbound (gateway_id, company_id, "
                "signature, provider_ref, sender, body, create_uid, write_uid, "
                "create_date, write_date) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, now() at time zone 'UTC', "
                "now() at time zone 'UTC') ON CONFLICT DO NOTHING RETURNING id",
                gateway.id,
                gateway.company_id.id,
                signature,
                provider_ref or None,
                sender,
                body,
                self.env.uid,
                self.env.uid,
            )
        )
        row = self.env.cr.fetchone()
        if not row:
            return None
        self.env.cr.execute(
            SQL(
                "SELECT 1 FROM aftersales_sms_inbound WHERE outcome IS NULL "
                "AND id <> %s LIMIT 1",
                row[0],
            )
        )
        if not self.env.cr.fetchone():
            # Other pending replies mean the cron is woken already; it wakes
            # itself once more after a run, for replies stored meanwhile.
            self.env.ref("aftersales.ir_cron_process_inbound_sms")._trigger()
        return row[0]

    @api.model
    def _cron_process_pending(self, batch_size=100):
        """Apply the received replies, one committed batch at a time."""
        processed = self._process_pending(
            batch_size, self.env["ir.cron"]._commit_progress
        )
        if processed:
            # A reply stored while the last batch ran did not wake the cron.
            self.env.ref("aftersales.ir_cron_process_inbound_sms")._trigger(
                fields.Datetime.now() + timedelta(seconds=10)
            )

    @api.model
    def _process_pending(self, batch_size=100, after_batch=None):
        """Process pending replies in batches; ``after_batch(processed,
        remaining=...)`` runs after each (the cron commits there) and stops
        the run when it returns a false value. Return how many were done."""
        processed = 0
        while True:
            query = self._search(
                [("outcome", "=", False)], order="id", limit=batch_size
            )
            # Workers running at once take different batches.
            self.env.cr.execute(SQL("%s FOR NO KEY UPDATE SKIP LOCKED", query.select()))
            batch = self.browse(row[0] for row in self.env.cr.fetchall())
            if not batch:
                return processed
            for inbound in batch:
                inbound._process_safely()
            processed += len(batch)
            if after_batch is None:
                continue
            remaining = self.search_count([("outcome", "=", False)])
            if not after_batch(len(batch), remaining=remaining) or not remaining:
                return processed

    def _process_safely(self):
        """Process one reply; a reply that fails is marked, never retried in
        a loop, and does not stop the others."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                self._process()
        except Exception:
            _logger.exception("Inbound SMS %s could not be processed", self.id)
            self.outcome = "failed"

    # ------------------------------------------------------------
    # Processing
    # ------------------------------------------------------------

    @api.model
    def _parse(self, text, meanings):
        """What a reply says: (meaning, code, rating, rest of the text).

        The first word is an approve/reject keyword in any language, or a
        digit 1-5 (a rating); a 4-digit number names the order; the rest is
        the customer's comment.
        """
        words = (text or "").split()
        tokens = tokenize(text)
        meaning = meanings.get(tokens[0]) if tokens else None
        rating = None
        if tokens and re.fullmatch(r"[1-5]", tokens[0]):
            rating = int(tokens[0])
        code = next((t for t in tokens[1:] if re.fullmatch(r"\d{4}", t)), None)
        if not code and tokens and re.fullmatch(r"\d{4}", tokens[0]):
            code = tokens[0]
        rest_words = words[1:] if (meaning or rating) else words
        rest = " ".join(
            word for word in rest_words if not (code and tokenize(word) == [code])
        )
        return meaning, code, rating, rest.strip()

    def _process(self):
        """Apply the reply to the order it answers; record what happened."""
        self.ensure_one()
        company = self.company_id
        Order = self.env["aftersales.order"].with_company(company)
        # The partner's country: the company's own field recomputes its address.
        sender = e164_or_none(self.sender, company.partner_id.country_id) or self.sender
        meaning, code, rating, rest = self._parse(
            self.body, self.env["aftersales.sms.keyword"]._get_meanings()
        )
        base_domain = [
            ("customer_phone_e164", "=", sender),
            ("company_id", "=", company.id),
        ]
        waiting = Order.search(base_domain + [("state", "=", "awaiting_approval")])
        vals = {"sender_e164": sender}
        if code and len(waiting) > 1:
            waiting = waiting.filtered(lambda o: o.approval_code == code) or waiting
        if meaning:
            if len(waiting) == 1 and waiting.approval_link_expired:
                # The expiry of the request holds for every channel of it.
                order = waiting
                vals["outcome"] = "expired"
            elif len(waiting) == 1:
                order = waiting
                approval = order._record_customer_decision(
                    meaning, "sms", feedback=rest, rating=rating, phone=sender
                )
                vals |= {
                    "approval_id": approval.id,
                    "outcome": approval.decision,
                }
            elif waiting:
                order = Order
                vals["outcome"] = "ambiguous"
                for candidate in waiting:
                    candidate._post_inbound_sms(self, ambiguous=True)
            else:
                order = Order.search(base_domain, order="id desc", limit=1)
                vals["outcome"] = "not_waiting" if order else "unknown_sender"
        elif rating:
            order = (
                waiting
                if len(waiting) == 1
                else Order.search(
                    base_domain
                    + [
                        ("state", "=", "done"),
                        (
                            "date_done",
                            ">=",
                            fields.Datetime.subtract(
                                fields.Datetime.now(), days=RATING_REPLY_DAYS
                            ),
                        ),
                    ],
                    order="date_done desc, id desc",
                    limit=1,
                )
            )
            if order:
                order._apply_customer_rating(rating, rest)
                vals["outcome"] = "rated"
            else:
                order = Order.search(base_domain, order="id desc", limit=1)
                vals["outcome"] = "not_waiting" if order else "unknown_sender"
        else:
            order = waiting[:1] or Order.search(base_domain, order="id desc", limit=1)
            vals["outcome"] = "feedback" if order else "unknown_sender"
        ticket_vals = (
            self._apply_to_ticket(
                sender, company, vals["outcome"], free_text=not (meaning or rating)
            )
            if not waiting and vals["outcome"] in (*NO_ORDER_OUTCOMES, "feedback")
            else {}
        )
        if ticket_vals:
            vals |= ticket_vals
        elif order:
            vals |= {"order_id": order.id, "partner_id": order.partner_id.id}
            order._post_inbound_sms(self, expired=vals["outcome"] == "expired")
        if vals["outcome"] in ("not_waiting", "unknown_sender", "ambiguous", "expired"):
            _logger.info(
                "Inbound SMS %s from %s changed nothing: %s",
                self.id,
                sender,
                vals["outcome"],
            )
        self.write(vals)
        return vals["outcome"]

    # ------------------------------------------------------------
    # Service requests
    # ------------------------------------------------------------

    def _apply_to_ticket(self, sender, company, outcome, free_text=True):
        """Open a service request from a text that answered no waiting order,
        or add it to the request this number opened by SMS; return the values
        of the inbound record then, else {} (the order path goes on).

        - a serial or a warranty card number in the text: a new request for
          that unit (or the open one of this number for the same unit);
        - otherwise, an open SMS request of this number: a follow-up;
        - otherwise, a known customer's free text (not a keyword or a
          rating) that no order takes: a request too, the desk asks which
          unit (a text with nowhere to go would be lost, the customer told
          nothing);
        - otherwise (an unknown number, no unit): nothing, as before, so a
          wrong number or spam creates no contact.
        """
        self.ensure_one()
        if not e164_or_none(sender, company.partner_id.country_id):
            # An alphanumeric sender id: nobody to answer or to find.
            return {}
        lot, warranty = self._find_unit(company)
        open_ticket = self._find_open_ticket(sender, company)
        if open_ticket and (not lot or lot == open_ticket.lot_id):
            return self._add_to_ticket(open_ticket)
        if lot:
            return self._open_ticket(sender, company, lot, warranty)
        if outcome != "unknown_sender" or not free_text:
            # A text about the customer's orders stays on the last one; a
            # lone keyword or digit asks for nothing.
            return {}
        Partner = self.env["res.partner"].with_context(active_test=True)
        known = Partner.search_count(
            [
                ("phone_sanitized", "=", sender),
                ("company_id", "in", (False, company.id)),
            ],
            limit=1,
        )
        if not known:
            return {}
        return self._open_ticket(sender, company, lot, warranty)

    def _unit_words(self):
        """The words of the text that could be a serial or a card number."""
        words = []
        for word in (self.body or "").split()[:UNIT_MAX_WORDS]:
            word = word.strip(UNIT_STRIP).translate(DIGITS)
            if len(word) >= UNIT_MIN_LENGTH and word not in words:
                words.append(word)
        return words

    def _find_unit(self, company):
        """(serial, warranty) the text names, by serial or by warranty card
        number (case-insensitive, in ``company``); empty records when none
        or when a word names several units (the desk will ask)."""
        Lot = self.env["stock.lot"].with_company(company)
        Warranty = self.env["aftersales.warranty"].with_company(company)
        words = self._unit_words()
        if not words:
            return Lot, Warranty
        # =ilike matches the whole word; its wildcards are escaped.
        patterns = [
            word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            for word in words
        ]
        warranties = Warranty.search(
            Domain("company_id", "=", company.id)
            & Domain("state", "!=", "void")
            & Domain.OR(Domain("card_number", "=ilike", p) for p in patterns),
            limit=2,
        )
        if len(warranties) == 1:
            return warranties.lot_id, warranties
        lots = Lot.search(
            Domain("company_id", "in", (False, company.id))
            & Domain.OR(Domain("name", "=ilike", p) for p in patterns),
            limit=2,
        )
        if len(lots) != 1:
            return Lot, Warranty
        return lots, lots.aftersales_warranty_id

    def _find_open_ticket(self, sender, company):
        """The open request this number opened by SMS, the latest."""
        previous = self.search(
            [
                ("id", "!=", self.id),
                ("sender_e164", "=", sender),
                ("company_id", "=", company.id),
                ("ticket_id.state", "in", OPEN_TICKET_STATES),
                ("ticket_id.channel", "=", "sms"),
            ],
            order="id desc",
            limit=1,
        )
        return previous.ticket_id

    def _open_ticket(self, sender, company, lot, warranty):
        """A new request from this text, for ``lot`` when known; the unit
        registered to the sender when the company allows it; the reference
        sent back by SMS."""
        Ticket = self.env["aftersales.ticket"].with_company(company)
        partner = Ticket._find_or_create_customer(None, None, sender, company)
        text = (self.body or "").strip()
        subject = " ".join(text.split())
        if len(subject) > SUBJECT_LENGTH:
            subject = subject[: SUBJECT_LENGTH - 1].rstrip() + "…"
        ticket = Ticket._create_from_channel(
            "sms",
            {
                "company_id": company.id,
                "partner_id": partner.id,
                "phone": sender,
                "subject": subject,
                "description": text,
                "product_id": lot.product_id.id,
                "lot_id": lot.id,
            },
        )
        if warranty and company.aftersales_sms_ticket_register_unit:
            self._register_unit(warranty, partner, ticket)
        self._reply_with_reference(ticket, partner, sender)
        return {"ticket_id": ticket.id, "partner_id": partner.id, "outcome": "ticket"}

    def _add_to_ticket(self, ticket):
        """A follow-up: the text in the request's thread, as the customer."""
        ticket.message_post(
            body=Markup("<p>%s</p>") % (self.body or ""),
            author_id=ticket.partner_id.id,
            message_type="sms",
            subtype_xmlid="mail.mt_comment",
        )
        return {
            "ticket_id": ticket.id,
            "partner_id": ticket.partner_id.id,
            "outcome": "ticket_reply",
        }

    @api.model
    def _register_unit(self, warranty, partner, ticket):
        """Register the unit to the customer who texted its serial, when its
        warranty waits for the customer's registration (not started, of a
        type that starts on registration) in the company of the request."""
        if (
            warranty.state != "draft"
            or warranty.warranty_type_id.start_trigger != "registration"
            or warranty.company_id != ticket.company_id
        ):
            return False
        if warranty.partner_id != partner:
            # The terms of a warranty not started yet may still change.
            warranty.partner_id = partner
        warranty.action_activate()
        message = self.env._(
            "Registered by SMS to %(customer)s with request %(request)s.",
            customer=partner.display_name,
            request=ticket.name,
        )
        warranty.message_post(body=message)
        ticket.message_post(
            body=self.env._(
                "Warranty %(card)s registered to the customer.",
                card=warranty.card_number,
            )
        )
        return True

    @api.model
    def _reply_with_reference(self, ticket, partner, number):
        """Tell the customer the reference, by SMS, in the customer's language
        (queued: the gateway sends it after the commit)."""
        if (
            self.env["phone.blacklist"]
            .sudo()
            .search_count([("number", "=", number), ("active", "=", True)], limit=1)
        ):
            return
        lang = partner.lang or ticket.company_id.partner_id.lang
        ticket_lang = ticket.with_context(lang=lang)
        body = ticket_lang.env._(
            "We received your service request %(reference)s. Reply to this "
            "number to add to it.",
            reference=ticket.name,
        )
        ticket._message_sms(
            body,
            partner_ids=partner.ids,
            sms_pid_to_number={partner.id: number},
            put_in_queue=True,
        )

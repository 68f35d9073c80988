import logging
import secrets
from datetime import timedelta

import phonenumbers

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, consteq
from odoo.tools.misc import hmac

from ..tools.phone import e164_or_none

_logger = logging.getLogger(__name__)

CODE_VALIDITY = timedelta(minutes=15)
MAX_CODE_ATTEMPTS = 5
# Codes sent, (codes, window in seconds): to one number for one unit, to
# numbers other than the owner's for one unit, and to one number a day.
LIMIT_CODES_PER_UNIT_AND_NUMBER = (3, 3600)
LIMIT_CODES_PER_UNIT_TO_OTHERS = (5, 3600)
LIMIT_CODES_PER_NUMBER = (6, 86400)
DAY = 86400
# What an SMS can reach; no premium-rate, shared-cost, VoIP or landlines.
MOBILE_TYPES = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
)


class CodeQuotaError(UserError):
    """Too many codes asked for; the route answers 429."""


class AftersalesQrVerification(models.Model):
    """A phone number proven by an SMS code, so that someone who scanned a
    unit's QR code without an account can request service for it."""

    _name = "aftersales.qr.verification"
    _description = "After-Sales QR Phone Verification"
    _order = "id desc"

    lot_id = fields.Many2one("stock.lot", required=True, ondelete="cascade", index=True)
    phone = fields.Char(required=True, help="The number, in E.164 form.")
    # With the key and 5 tries a reader could spend the code: hidden as well.
    key = fields.Char(
        required=True,
        index=True,
        default=lambda self: secrets.token_urlsafe(24),
        groups="base.group_system",
        help="Identifies the verification in the page that asks for the code.",
    )
    code_hash = fields.Char(required=True, groups="base.group_system")
    expires_at = fields.Datetime(required=True)
    attempts = fields.Integer(default=0, help="Wrong codes tried.")
    used = fields.Boolean(help="A request was made with it: it cannot be used again.")
    order_id = fields.Many2one("aftersales.order", readonly=True)

    _key_unique = models.Constraint("UNIQUE(key)", "A verification key is unique.")

    # ------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------

    @api.model
    def _hash_code(self, key, code):
        # Keyed with the database secret: a six-digit code hashed plainly is
        # found offline in a second by whoever reads the hash.
        env_sudo = self.sudo().env  # database.secret is for the system only
        return hmac(env_sudo, "aftersales.qr.verification", f"{key}:{code}")

    @api.model
    def _served_countries(self, company):
        """Where ``company`` serves: its country and its centers' areas."""
        areas = self.env["aftersales.center.area"].search(
            [("company_id", "=", company.id), ("center_id.active", "=", True)]
        )
        return company.country_id | areas.country_id

    @api.model
    def _get_mobile_number(self, company, phone_text):
        """``phone_text`` in E.164 form; raise UserError unless it is a mobile
        number of a country ``company`` serves: codes must not go to
        premium-rate, satellite or foreign numbers (SMS pumping, F11)."""
        phone = e164_or_none(phone_text, company.country_id)
        if not phone:
            raise UserError(
                self.env._(
                    "Enter a valid mobile number with its country code, e.g. "
                    "+90 532 123 45 67."
                )
            )
        parsed = phonenumbers.parse(phone)
        countries = self._served_countries(company)
        calling_codes = {
            phonenumbers.country_code_for_region(code)
            for code in countries.mapped("code")
        }
        region = phonenumbers.region_code_for_number(parsed)
        if (
            phonenumbers.number_type(parsed) not in MOBILE_TYPES
            or region in (None, "ZZ", phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY)
            or (calling_codes and parsed.country_code not in calling_codes)
        ):
            raise UserError(
                self.env._(
                    "We send codes only to mobile numbers of %(countries)s. "
                    "Enter your mobile number, or log in.",
                    countries=", ".join(countries.mapped("name")) or "-",
                )
            )
        return phone

    @api.model
    def _get_owner_numbers(self, lot):
        """{number in E.164 form: contact} of the unit's owner."""
        owner = lot.aftersales_owner_id
        country = lot.company_id.country_id or self.env.company.country_id
        numbers = {}
        for candidate in owner | owner.child_ids:
            number = e164_or_none(candidate.phone or "", country)
            if number:
                numbers.setdefault(number, candidate)
        return numbers

    @api.model
    def _spend_code_quota(self, lot, phone):
        """Count one code sent to ``phone`` for ``lot``; raise CodeQuotaError
        when a quota is spent. The owner's numbers have buckets of their own:
        strangers asking codes for the unit never spend them (F7). The caller
        must answer (429) rather than roll back: the counts must stand."""
        company = lot.company_id or self.env.company
        RateLimit = self.env["aftersales.rate.limit"]
        buckets = [(f"qr-code:{lot.id}:{phone}", LIMIT_CODES_PER_UNIT_AND_NUMBER)]
        if phone not in self._get_owner_numbers(lot):
            buckets.append((f"qr-code:{lot.id}:others", LIMIT_CODES_PER_UNIT_TO_OTHERS))
        buckets.append((f"qr-code-number:{phone}", LIMIT_CODES_PER_NUMBER))
        for key, (codes, window) in buckets:
            if RateLimit._hit(key, window) > codes:
                raise CodeQuotaError(
                    self.env._("Too many codes asked for. Please try again later.")
                )
        # Counted last: only codes that would really be sent spend the day's.
        if RateLimit._hit(f"qr-code-company:{company.id}", DAY) > (
            company.aftersales_qr_codes_per_day
        ):
            _logger.warning("QR codes by SMS: daily cap of %s reached", company.name)
            raise CodeQuotaError(
                self.env._(
                    "Too many codes asked for today. Please log in, or try again "
                    "tomorrow."
                )
            )

    @api.model
    def _start(self, lot, phone_text):
        """Send a code to ``phone_text`` for ``lot``; return the verification.
        Raises UserError for a number that gets no codes, CodeQuotaError when
        too many codes were asked for."""
        company = lot.company_id or self.env.company
        phone = self._get_mobile_number(company, phone_text)
        self._spend_code_quota(lot, phone)
        code = f"{secrets.randbelow(10**6):06d}"
        key = secrets.token_urlsafe(24)
        verification = self.create(
            {
                "lot_id": lot.id,
                "phone": phone,
                "key": key,
                "code_hash": self._hash_code(key, code),
                "expires_at": fields.Datetime.now() + CODE_VALIDITY,
            }
        )
        verification._send_code(code)
        return verification

    def _send_code(self, code):
        """Queue the SMS: the SMS cron sends it after this transaction."""
        self.ensure_one()
        company = self.lot_id.company_id or self.env.company
        body = self.env._(
            "%(company)s: your code is %(code)s. It expires in 15 minutes.",
            company=company.name,
            code=code,
        )
        self.env["sms.sms"].create(
            {"number": self.phone, "body": body, "state": "outgoing"}
        )
        cron = self.env.ref(
            "sms.ir_cron_sms_scheduler_action", raise_if_not_found=False
        )
        if cron:
            cron._trigger()

    @api.model
    def _get_by_key(self, key):
        if not key or len(key) > 64:
            return self.browse()
        verification = self.search([("key", "=", key)], limit=1)
        if verification and consteq(verification.key, key):
            return verification
        return self.browse()

    def _check_code(self, code):
        """Spend one attempt on ``code``: False when it is right, else the
        reason it is refused. Returns rather than raises: the attempt must
        commit with the caller's transaction, which an exception would roll
        back."""
        self.ensure_one()
        if self.used:
            return self.env._("This code was already used.")
        if self.expires_at < fields.Datetime.now():
            return self.env._("The code expired: ask for a new one.")
        self.flush_recordset()
        # Our own table, an atomic counter (F9): the attempt is taken before
        # the code is compared and only while fewer than the maximum were, so
        # parallel guesses can never evaluate more. A guess racing another on
        # this row is retried by Odoo (serialization failure) and then reads
        # the committed count; no second connection is needed.
        self.env.cr.execute(
            SQL(
                "UPDATE aftersales_qr_verification "
                "SET attempts = COALESCE(attempts, 0) + 1 "
                "WHERE id = %s AND COALESCE(attempts, 0) < %s RETURNING attempts",
                self.id,
                MAX_CODE_ATTEMPTS,
            )
        )
        taken = self.env.cr.fetchone()
        self.invalidate_recordset(["attempts"])
        if not taken:
            return self.env._("Too many wrong codes: ask for a new one.")
        given = self._hash_code(self.key, (code or "").strip())
        if not consteq(self.code_hash, given):
            return self.env._("The code is not right.")
        # Right: the attempt is given back, only wrong codes count.
        self.env.cr.execute(
            SQL(
                "UPDATE aftersales_qr_verification SET attempts = attempts - 1 "
                "WHERE id = %s",
                self.id,
            )
        )
        self.invalidate_recordset(["attempts"])
        return False

    def _get_requester(self, name):
        """The customer: the unit's owner when the number is theirs, else the
        contact with this number, else a new one."""
        self.ensure_one()
        Partner = self.env["res.partner"]
        owner = self._get_owner_numbers(self.lot_id).get(self.phone)
        if owner:
            return owner
        partner = Partner.search([("phone", "=", self.phone)], limit=1)
        if partner:
            return partner
        name = (name or "").strip()[:128]
        if not name:
            raise UserError(self.env._("Tell us your name."))
        return Partner.create({"name": name, "phone": self.phone})

    def _request_service(self, code, values):
        """Check the code and create the request; one request per code.

        Returns (order, refusal): a wrong code is an answer, not an exception,
        so that the attempt it spent commits with the caller's transaction.
        Other bad input (no name, a refused photo) raises UserError and leaves
        nothing behind."""
        self.ensure_one()
        refusal = self._check_code(code)
        if refusal:
            return self.env["aftersales.order"], refusal
        with self.env.cr.savepoint():
            partner = self._get_requester(values.get("name"))
            order = self.env["aftersales.order"]._portal_create_request(
                partner,
                # The scanned unit itself, not a search by its name (review F12).
                dict(values, lot_id=None, serial=None, unit=self.lot_id, channel="qr"),
                values.get("photos", ()),
            )
            self.write({"used": True, "order_id": order.id})
        return order, False

    @api.autovacuum
    def _gc_expired(self):
        self.search(
            [("expires_at", "<", fields.Datetime.now() - timedelta(days=30))]
        ).unlink()

import hashlib
import secrets
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import consteq

from .phone import e164_or_none

CODE_VALIDITY = timedelta(minutes=15)
MAX_CODE_ATTEMPTS = 5


class AftersalesQrVerification(models.Model):
    """A phone number proven by an SMS code, so that someone who scanned a
    unit's QR code without an account can request service for it."""

    _name = "aftersales.qr.verification"
    _description = "After-Sales QR Phone Verification"
    _order = "id desc"

    lot_id = fields.Many2one("stock.lot", required=True, ondelete="cascade", index=True)
    phone = fields.Char(required=True, help="The number, in E.164 form.")
    key = fields.Char(
        required=True,
        index=True,
        default=lambda self: secrets.token_urlsafe(24),
        help="Identifies the verification in the page that asks for the code.",
    )
    code_hash = fields.Char(required=True)
    expires_at = fields.Datetime(required=True)
    attempts = fields.Integer(default=0)
    used = fields.Boolean(help="A request was made with it: it cannot be used again.")
    order_id = fields.Many2one("aftersales.order", readonly=True)

    _key_unique = models.Constraint("UNIQUE(key)", "A verification key is unique.")

    # ------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------

    @api.model
    def _hash_code(self, key, code):
        return hashlib.sha256(f"{key}:{code}".encode()).hexdigest()

    @api.model
    def _start(self, lot, phone_text):
        """Send a code to ``phone_text`` for ``lot``; return the verification.
        Raises UserError for a number that is not a valid phone number."""
        country = lot.company_id.country_id or self.env.company.country_id
        phone = e164_or_none(phone_text, country)
        if not phone:
            raise UserError(
                self.env._(
                    "Enter a valid mobile number with its country code, e.g. "
                    "+90 532 123 45 67."
                )
            )
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
        """Raise UserError unless ``code`` is right; wrong codes count."""
        self.ensure_one()
        if self.used:
            raise UserError(self.env._("This code was already used."))
        if self.expires_at < fields.Datetime.now():
            raise UserError(self.env._("The code expired: ask for a new one."))
        if self.attempts >= MAX_CODE_ATTEMPTS:
            raise UserError(self.env._("Too many wrong codes: ask for a new one."))
        expected = self.code_hash
        given = self._hash_code(self.key, (code or "").strip())
        if not consteq(expected, given):
            # Counted in its own transaction: the request's is rolled back.
            with self.env.registry.cursor() as cr:
                cr.execute(
                    "UPDATE aftersales_qr_verification "
                    "SET attempts = COALESCE(attempts, 0) + 1 "
                    "WHERE id = %s",
                    (self.id,),
                )
            self.invalidate_recordset(["attempts"])
            raise UserError(self.env._("The code is not right."))

    def _get_requester(self, name):
        """The customer: the unit's owner when the number is theirs, else the
        contact with this number, else a new one."""
        self.ensure_one()
        Partner = self.env["res.partner"]
        owner = self.lot_id.aftersales_owner_id
        country = self.lot_id.company_id.country_id or self.env.company.country_id
        for candidate in owner | owner.child_ids:
            numbers = {
                e164_or_none(candidate.phone or "", country),
            }
            if self.phone in numbers:
                return candidate
        partner = Partner.search([("phone", "=", self.phone)], limit=1)
        if partner:
            return partner
        name = (name or "").strip()[:128]
        if not name:
            raise UserError(self.env._("Tell us your name."))
        return Partner.create({"name": name, "phone": self.phone})

    def _request_service(self, code, values):
        """Check the code and create the request; one request per code."""
        self.ensure_one()
        self._check_code(code)
        partner = self._get_requester(values.get("name"))
        order = self.env["aftersales.order"]._portal_create_request(
            partner,
            # The scanned unit itself, not a search by its name (review F12).
            dict(values, lot_id=None, serial=None, unit=self.lot_id, channel="qr"),
            values.get("photos", ()),
        )
        self.write({"used": True, "order_id": order.id})
        return order

    @api.autovacuum
    def _gc_expired(self):
        self.search(
            [("expires_at", "<", fields.Datetime.now() - timedelta(days=30))]
        ).unlink()

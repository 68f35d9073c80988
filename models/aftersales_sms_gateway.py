import hashlib
import hmac
import json
import logging
import re
import secrets
import time
import uuid
from urllib.parse import parse_qsl, urlencode

import requests

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

from ..tools.sms_http_api import (
    RESULT_AUTH,
    RESULT_REFUSED,
    RESULT_RETRY,
    RESULT_SUCCESS,
)

_logger = logging.getLogger(__name__)

PLACEHOLDERS = ("number", "content", "uuid", "sender")
# How old a signed inbound request may be, and how far in the future its clock.
SIGNATURE_MAX_AGE = 300
SIGNATURE_MAX_SKEW = 60
# HTTP statuses worth trying again later: the gateway is busy or down.
RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}


def _fill(text, values):
    for key in PLACEHOLDERS:
        text = text.replace("{{" + key + "}}", values[key])
    return text


def _fill_json(node, values):
    if isinstance(node, str):
        return _fill(node, values)
    if isinstance(node, list):
        return [_fill_json(item, values) for item in node]
    if isinstance(node, dict):
        return {key: _fill_json(value, values) for key, value in node.items()}
    return node


class AftersalesSmsGateway(models.Model):
    """A local SMS provider reached over HTTP: how to send, and the secret
    with which it signs the replies it forwards to us."""

    _name = "aftersales.sms.gateway"
    _description = "SMS Gateway (HTTP)"
    _order = "company_id, name, id"
    _check_company_auto = True

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )

    # Sending
    url = fields.Char(string="Send URL", required=True)
    method = fields.Selection(
        [("POST", "POST"), ("GET", "GET")], required=True, default="POST"
    )
    content_type = fields.Selection(
        [("json", "JSON"), ("form", "Form (URL-encoded)")],
        string="Payload Format",
        required=True,
        default="json",
    )
    payload_template = fields.Text(
        required=True,
        default='{"to": "{{number}}", "text": "{{content}}", "ref": "{{uuid}}"}',
        help="The request body (or query for GET), with the placeholders "
        "{{number}}, {{content}}, {{uuid}} and {{sender}}. A JSON template is "
        "filled value by value, so texts are escaped properly; a form template "
        "is written as key={{placeholder}}&key2=...",
    )
    sender = fields.Char(help="Sender name or number, for the {{sender}} placeholder.")
    auth_header = fields.Char(
        string="Auth Header Name",
        default="Authorization",
        help="Header carrying the credentials, e.g. Authorization or X-Api-Key.",
    )
    auth_value = fields.Char(
        string="Auth Header Value",
        groups="base.group_system",
        help="e.g. 'Bearer <token>'. Visible to administrators only.",
    )
    success_pattern = fields.Char(
        default=".",
        help="Regular expression the response body must match (on a 2xx status) "
        "for the SMS to count as sent. A named group 'ref' captures the "
        'provider\'s message id, e.g. "id":\\s*"(?P<ref>[^"]+)".',
    )
    timeout = fields.Float(string="Timeout (seconds)", default=5.0)
    max_attempts = fields.Integer(
        default=5,
        help="Transient failures (timeouts, 5xx, 429) are tried again this many "
        "times in all, then reported as failed.",
    )
    retry_delay = fields.Integer(
        string="First Retry After (seconds)",
        default=60,
        help="Each next try waits twice as long as the one before.",
    )

    # Receiving
    inbound_token = fields.Char(
        required=True,
        readonly=True,
        copy=False,
        index=True,
        default=lambda self: uuid.uuid4().hex,
        help="Identifies this gateway in the URL its replies are posted to.",
    )
    inbound_secret = fields.Char(
        required=True,
        copy=False,
        groups="base.group_system",
        default=lambda self: secrets.token_hex(32),
        help="Shared secret of the HMAC-SHA256 signature of incoming replies.",
    )
    inbound_url = fields.Char(
        string="Replies URL",
        compute="_compute_inbound_url",
        help="Give this URL to the provider for incoming SMS. Each request must "
        "carry the headers X-Aftersales-Timestamp (Unix seconds) and "
        "X-Aftersales-Signature: hex HMAC-SHA256 of '<timestamp>.<body>' with "
        "the secret.",
    )

    _inbound_token_unique = models.Constraint(
        "unique(inbound_token)", "Each gateway needs its own replies URL."
    )

    # ------------------------------------------------------------
    # Constrains and computes
    # ------------------------------------------------------------

    @api.constrains("payload_template", "content_type", "success_pattern", "url")
    def _check_template(self):
        for gateway in self:
            if not re.match(r"https?://", gateway.url or ""):
                raise ValidationError(
                    self.env._("The gateway URL must start with http:// or https://.")
                )
            if gateway.content_type == "json":
                try:
                    json.loads(gateway.payload_template)
                except ValueError as error:
                    raise ValidationError(
                        self.env._(
                            "The payload template of %(gateway)s is not valid "
                            "JSON: %(error)s",
                            gateway=gateway.name,
                            error=error,
                        )
                    ) from error
            try:
                re.compile(gateway.success_pattern or "")
            except re.error as error:
                raise ValidationError(
                    self.env._(
                        "The success pattern is not a valid regular expression: "
                        "%(error)s",
                        error=error,
                    )
                ) from error

    @api.depends("inbound_token")
    def _compute_inbound_url(self):
        for gateway in self:
            gateway.inbound_url = (
                f"{gateway.get_base_url()}/aftersales/sms/inbound/"
                f"{gateway.inbound_token}"
            )

    # ------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------

    def _prepare_request(self, number, content, uuid):
        """Return the keyword arguments of requests.request for one SMS."""
        self.ensure_one()
        values = {
            "number": number or "",
            "content": content or "",
            "uuid": uuid or "",
            "sender": self.sender or "",
        }
        headers = {}
        if self.auth_header and self.auth_value:
            headers[self.auth_header] = self.auth_value
        request = {
            "method": self.method,
            "url": self.url,
            "headers": headers,
            "timeout": self.timeout or 5.0,
        }
        if self.content_type == "json":
            payload = _fill_json(json.loads(self.payload_template), values)
            if self.method == "GET":
                request["params"] = payload
            else:
                request["json"] = payload
        else:
            pairs = [
                (key, _fill(value, values))
                for key, value in parse_qsl(
                    self.payload_template.strip(), keep_blank_values=True
                )
            ]
            if self.method == "GET":
                request["params"] = pairs
            else:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
                request["data"] = urlencode(pairs)
        return request

    def _send_one(self, session, number, content, uuid):
        """Send one SMS; return its result for the SMS queue."""
        self.ensure_one()
        result = {"uuid": uuid}
        try:
            response = session.request(**self._prepare_request(number, content, uuid))
        except requests.Timeout:
            return result | {
                "state": RESULT_RETRY,
                "failure_reason": self.env._("The gateway did not answer in time."),
            }
        except requests.RequestException as error:
            return result | {
                "state": RESULT_RETRY,
                "failure_reason": self.env._(
                    "The gateway could not be reached: %(error)s", error=error
                ),
            }
        body = response.text[:500]
        if response.status_code in RETRY_STATUSES:
            state = RESULT_RETRY
        elif response.status_code in (401, 403):
            state = RESULT_AUTH
        elif not response.ok:
            state = RESULT_REFUSED
        else:
            match = re.search(self.success_pattern or "", response.text)
            if match:
                ref = match.groupdict().get("ref")
                return result | {"state": RESULT_SUCCESS, "provider_ref": ref or ""}
            state = RESULT_REFUSED
        return result | {
            "state": state,
            "failure_reason": self.env._(
                "Gateway answered %(status)s: %(body)s",
                status=response.status_code,
                body=body,
            ),
        }

    def _get_retry_delay(self, attempt):
        """Seconds to wait before try ``attempt + 1`` (exponential back-off)."""
        self.ensure_one()
        return max(self.retry_delay, 1) * 2 ** max(attempt - 1, 0)

    # ------------------------------------------------------------
    # Receiving
    # ------------------------------------------------------------

    @api.model
    def _get_by_inbound_token(self, token):
        """The active gateway of a replies URL (sudo), or an empty recordset."""
        gateway_id = self._get_id_by_inbound_token(token)
        # Read by the public webhook, before it knows the request is authentic.
        return self.sudo().browse(gateway_id).exists() if gateway_id else self.sudo()

    @api.model
    @tools.ormcache("token")
    def _get_id_by_inbound_token(self, token):
        # Every incoming SMS looks its gateway up: cached. The caller is the
        # public webhook, which has no access to gateways.
        gateway_sudo = self.sudo().search([("inbound_token", "=", token)], limit=1)
        return gateway_sudo.id

    @api.model_create_multi
    def create(self, vals_list):
        gateways = super().create(vals_list)
        self.env.registry.clear_cache()
        return gateways

    def write(self, vals):
        result = super().write(vals)
        if {"inbound_token", "active"} & set(vals):
            self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

    def _sign(self, timestamp, body):
        """Signature of an inbound request, as the provider must compute it."""
        self.ensure_one()
        # The secret is readable by administrators only (field groups).
        gateway_sudo = self.sudo()
        return hmac.new(
            gateway_sudo.inbound_secret.encode(),
            str(timestamp).encode() + b"." + body,
            hashlib.sha256,
        ).hexdigest()

    def _verify_signature(self, timestamp, signature, body, now=None):
        """Return None when the request is authentic and fresh, else why not."""
        self.ensure_one()
        now = time.time() if now is None else now
        try:
            timestamp = int(timestamp)
        except (TypeError, ValueError):
            return "timestamp"
        if timestamp < now - SIGNATURE_MAX_AGE or timestamp > now + SIGNATURE_MAX_SKEW:
            return "timestamp"
        expected = self._sign(timestamp, body)
        if not hmac.compare_digest(expected, (signature or "").lower()):
            return "signature"
        return None

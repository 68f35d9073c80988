import base64
import binascii
import json
import logging
import math
import re
from datetime import UTC, datetime

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import format_datetime

from ..tools.untrusted import is_storable_text

_logger = logging.getLogger(__name__)

# What a technician's phone may replay, and the order method behind each step.
SYNC_TRANSITIONS = {
    "start_travel": "action_start_travel",
    "start": "action_start",
    "request_approval": "action_request_approval",
    "done": "action_done",
}
SYNC_KINDS = (
    *SYNC_TRANSITIONS,
    "worklog",
    "photo",
    "part",
    "part_update",
    "part_remove",
    "approval",
)
CLIENT_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
MAX_ACTIONS_PER_SYNC = 100
MAX_TEXT = 4000
# Beyond these a value cannot be a record id (PostgreSQL integer) or a part
# used on one visit; refused before the ORM, the database or a settlement.
MAX_RECORD_ID = 2**31 - 1
MAX_PART_QUANTITY = 10000
# Texts a phone may send, and what of its data the log keeps.
TEXT_KEYS = ("fault_found", "work_done", "name", "feedback", "signed_by")
PAYLOAD_KEYS = (
    *TEXT_KEYS,
    "kind",
    "product_id",
    "part_id",
    "location_id",
    "quantity",
    "decision",
)


class AftersalesSyncAction(models.Model):
    """One action a technician took on the phone, possibly offline, applied
    once: the client's id makes a replay return the first result and change
    nothing. A conflict keeps what the technician sent (photos included)."""

    _name = "aftersales.sync.action"
    _description = "After-Sales Technician Sync Action"
    _order = "id desc"

    client_id = fields.Char(required=True, readonly=True, index=True)
    user_id = fields.Many2one("res.users", required=True, readonly=True, index=True)
    order_id = fields.Many2one(
        "aftersales.order", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="order_id.company_id", store=True, index=True)
    kind = fields.Selection(
        [
            ("start_travel", "On the Way"),
            ("start", "Start"),
            ("request_approval", "Ask Approval"),
            ("done", "Complete"),
            ("worklog", "Visit"),
            ("photo", "Photo"),
            ("part", "Part Used"),
            ("part_update", "Part Changed"),
            ("part_remove", "Part Removed"),
            ("approval", "Customer Decision"),
        ],
        required=True,
        readonly=True,
    )
    date_client = fields.Datetime(
        string="Done On Phone At", readonly=True, help="When the technician did it."
    )
    payload = fields.Json(readonly=True)
    payload_text = fields.Text(string="Sent", compute="_compute_payload_text")
    file = fields.Binary(
        attachment=True,
        readonly=True,
        help="The photo sent, kept even when it could not be added to the order.",
    )
    state = fields.Selection(
        [("applied", "Applied"), ("conflict", "Conflict")],
        required=True,
        readonly=True,
        index=True,
    )
    message = fields.Text(readonly=True)
    resolved_by_id = fields.Many2one(
        "aftersales.sync.action",
        readonly=True,
        index="btree_not_null",
        help="The technician's later action of the same kind on the same work "
        "order that went through: this conflict needs no one's attention.",
    )

    _client_unique = models.Constraint(
        "UNIQUE(user_id, client_id)", "An action is applied once."
    )

    @api.depends("kind", "create_date")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for record in self:
            record.display_name = self.env._(
                "%(kind)s, received %(date)s",
                kind=kinds.get(record.kind, ""),
                date=format_datetime(self.env, record.create_date, dt_format="short")
                if record.create_date
                else "",
            )

    def _compute_payload_text(self):
        for record in self:
            record.payload_text = (
                json.dumps(record.payload, indent=1, ensure_ascii=False)
                if record.payload
                else False
            )

    # ------------------------------------------------------------
    # Checking a batch
    # ------------------------------------------------------------

    @api.model
    def _parse_batch(self, actions):
        """Check the shape of the batch and of every action before applying
        any; raise ValidationError when the batch cannot be answered action by
        action. A malformed action is kept with its reason in "error"."""
        if not isinstance(actions, list) or not actions:
            raise ValidationError(self.env._("Send a non-empty list of actions."))
        if len(actions) > MAX_ACTIONS_PER_SYNC:
            raise ValidationError(
                self.env._(
                    "At most %(count)s actions per sync.", count=MAX_ACTIONS_PER_SYNC
                )
            )
        parsed = []
        for index, action in enumerate(actions, start=1):
            parsed.append(self._parse_action(index, action))
        ids = [action["client_id"] for action in parsed]
        if len(set(ids)) != len(ids):
            raise ValidationError(self.env._("An action id is sent twice."))
        return parsed

    @api.model
    def _parse_action(self, index, action):
        """The checked action. Without an id of its own it cannot be answered
        alone: ValidationError. Any other problem is kept in "error": the
        action is answered as a conflict and the actions after it still apply,
        so that one bad action never blocks the phone's queue."""

        def bad(reason):
            return ValidationError(
                self.env._("Action %(index)s: %(reason)s", index=index, reason=reason)
            )

        if not isinstance(action, dict):
            raise bad(self.env._("not an object."))
        client_id = action.get("id")
        if not isinstance(client_id, str) or not CLIENT_ID.fullmatch(client_id):
            raise bad(self.env._("its id must be 8 to 64 letters, digits or dashes."))
        parsed = {
            "client_id": client_id,
            "order_id": False,
            "kind": False,
            "date_client": False,
            "data": {},
            "content": None,
            "error": False,
        }
        try:
            parsed["order_id"] = self._parse_id(action.get("order_id"), bad, "order_id")
            kind = action.get("kind")
            if not isinstance(kind, str) or kind not in SYNC_KINDS:
                raise bad(self.env._("unknown kind %(kind)s.", kind=repr(kind)[:40]))
            parsed["kind"] = kind
            data = action.get("data") or {}
            if not isinstance(data, dict):
                raise bad(self.env._("data must be an object."))
            parsed["data"] = data
            parsed["date_client"] = self._parse_date_client(action.get("at"), bad)
            # First, so that a photo refused for its data is still kept.
            parsed["content"] = self._parse_content(kind, data, bad)
            self._parse_data(kind, data, bad)
        except ValidationError as error:
            parsed["error"] = error.args[0]
        return parsed

    @api.model
    def _parse_id(self, value, bad, name):
        """A record id the database can hold, or ValidationError naming the
        JSON key ``name``."""
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or not 0 < value <= MAX_RECORD_ID
        ):
            raise bad(self.env._("%(name)s must be a record id.", name=name))
        return value

    @api.model
    def _parse_date_client(self, at, bad):
        """The ISO time the phone recorded, as naive UTC; False when absent."""
        if at is None:
            return False
        try:
            if not isinstance(at, str):
                raise ValueError(at)
            date_client = datetime.fromisoformat(at.replace("Z", "+00:00"))
            if date_client.tzinfo:
                date_client = date_client.astimezone(UTC).replace(tzinfo=None)
        except (ValueError, OverflowError):
            raise bad(self.env._("'at' is not an ISO date and time.")) from None
        # A phone's clock may run ahead: nothing was done in the future.
        return min(date_client.replace(microsecond=0), fields.Datetime.now())

    @api.model
    def _parse_content(self, kind, data, bad):
        """The bytes of a photo or of a drawn signature, if any."""
        key = {"photo": "content", "approval": "signature"}.get(kind)
        if not key or (kind == "approval" and not data.get(key)):
            return None
        value = data.get(key) or ""
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            content = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise bad(
                self.env._("the photo is not base64.")
                if kind == "photo"
                else self.env._("the signature is not base64.")
            ) from None
        if kind == "photo" and not content:
            raise bad(self.env._("the photo is empty."))
        return content

    @api.model
    def _parse_data(self, kind, data, bad):
        """Check the data of ``kind``, bounds included: what the ORM, the
        database or the settlement could not take is refused here."""
        if kind == "photo":
            media_kind = data.get("kind") or "work"
            Media = self.env["aftersales.order.media"]
            if media_kind not in Media._fields["kind"].get_values(self.env):
                raise bad(
                    self.env._(
                        "unknown photo kind %(kind)s.", kind=repr(media_kind)[:40]
                    )
                )
        if kind == "part":
            self._parse_id(data.get("product_id"), bad, "product_id")
        if kind in ("part_update", "part_remove"):
            self._parse_id(data.get("part_id"), bad, "part_id")
        if kind in ("part", "part_update") and data.get("location_id") is not None:
            self._parse_id(data.get("location_id"), bad, "location_id")
        if kind in ("part", "part_update") and (kind == "part" or "quantity" in data):
            quantity = data.get("quantity", 1)
            if (
                not isinstance(quantity, (int, float))
                or isinstance(quantity, bool)
                or not math.isfinite(quantity)
                or not 0 < quantity <= MAX_PART_QUANTITY
            ):
                raise bad(
                    self.env._(
                        "a part needs a quantity above 0 and at most %(max)s.",
                        max=MAX_PART_QUANTITY,
                    )
                )
        if kind == "approval":
            if data.get("decision") not in ("approved", "rejected"):
                raise bad(self.env._("a decision is approved or rejected."))
            if (
                data["decision"] == "rejected"
                and not str(data.get("feedback") or "").strip()
            ):
                raise bad(self.env._("a rejection needs the customer's reason."))
        for key in TEXT_KEYS:
            if key in data and not (
                isinstance(data[key], str) and is_storable_text(data[key])
            ):
                raise bad(self.env._("%(key)s must be text.", key=key))

    # ------------------------------------------------------------
    # Applying
    # ------------------------------------------------------------

    @api.model
    def _sync(self, user, actions):
        """Apply a technician's queued actions; return one result per action,
        in order: {id, state, message, order_state}.

        Raises ValidationError for a malformed batch and AccessError when an
        action names an order that is not the user's: nothing is applied. A
        malformed action is a conflict, and the others still apply.
        """
        # All or nothing: a batch refused midway leaves none of its actions
        # applied, and the caller still answers (and commits its counts).
        with self.env.cr.savepoint():
            return self._sync_batch(user, actions)

    @api.model
    def _sync_batch(self, user, actions):
        parsed = self._parse_batch(actions)
        Order = self.env["aftersales.order"].with_user(user)
        order_ids = {action["order_id"] for action in parsed if action["order_id"]}
        # Only the technician's own orders, by the record rules.
        mine = Order.search([("id", "in", list(order_ids))])
        # Read the assignee as superuser: center staff read orders they are
        # not the technician of, and only the technician may sync.
        mine_sudo = mine.sudo()
        if set(mine.ids) != order_ids or not all(
            order.technician_id.user_id == user for order in mine_sudo
        ):
            raise AccessError(
                self.env._("You can only sync work orders assigned to you.")
            )
        # Technicians read their own log only; the lookup is by their user.
        done_sudo = self.sudo().search(
            [
                ("user_id", "=", user.id),
                ("client_id", "in", [action["client_id"] for action in parsed]),
            ]
        )
        done_by_id = {record.client_id: record for record in done_sudo}
        results = []
        for action in parsed:
            order = Order.browse(action["order_id"])
            record_sudo = done_by_id.get(action["client_id"])
            if not record_sudo and not action["kind"]:
                # No order or no kind to log it under: answered, not kept.
                results.append(
                    {
                        "id": action["client_id"],
                        "state": "conflict",
                        "message": action["error"],
                        "order_state": order.state or False,
                    }
                )
                continue
            if not record_sudo:
                record_sudo = self._apply(user, order, action)
            results.append(record_sudo._result())
        return results

    def _result(self):
        self.ensure_one()
        return {
            "id": self.client_id,
            "state": self.state,
            "message": self.message or "",
            "order_state": self.order_id.state,
        }

    @api.model
    def _apply(self, user, order, action):
        """Apply one action as the technician; a malformed action, or one the
        order's rules refuse (cancelled meanwhile, wrong step, ...), is a
        conflict, kept with what was sent."""
        state, message = "conflict", action["error"]
        if not message:
            try:
                with self.env.cr.savepoint():
                    self._apply_kind(order, action)
                state = "applied"
            except (UserError, ValidationError, AccessError) as error:
                message = error.args[0]
            except ValueError as error:
                # A value the ORM refused that the checks above let through.
                _logger.warning(
                    "Sync action %s refused: %s", action["client_id"], error
                )
                message = self.env._("The server could not apply this action.")
        # The technician may not write the log; the action was checked above.
        record_sudo = self.sudo().create(
            {
                "client_id": action["client_id"],
                "user_id": user.id,
                "order_id": order.id,
                "kind": action["kind"],
                "date_client": action["date_client"],
                "payload": self._prepare_payload(action["data"]),
                "file": base64.b64encode(action["content"])
                if action["content"]
                else False,
                "state": state,
                "message": message,
            }
        )
        if state == "applied":
            record_sudo._resolve_earlier_conflicts()
        return record_sudo

    def _resolve_earlier_conflicts(self):
        """The technician did again what had been refused, and it went
        through: the earlier conflicts of that kind on that order are
        resolved, no longer flagged in Phone Sync."""
        self.ensure_one()
        self.search(
            [
                ("user_id", "=", self.user_id.id),
                ("order_id", "=", self.order_id.id),
                ("kind", "=", self.kind),
                ("state", "=", "conflict"),
                ("resolved_by_id", "=", False),
                ("id", "<", self.id),
            ]
        ).resolved_by_id = self

    @api.model
    def _prepare_payload(self, data):
        """What is logged of the data sent: the known fields only, with the
        values the database can store (the bytes go in ``file``)."""
        payload = {}
        for key in PAYLOAD_KEYS:
            value = data.get(key)
            if isinstance(value, str):
                if is_storable_text(value):
                    payload[key] = value[:MAX_TEXT]
            elif isinstance(value, (bool, int, float)):
                payload[key] = value
        return payload

    @api.model
    def _apply_kind(self, order, action):
        kind, data = action["kind"], action["data"]
        if kind in SYNC_TRANSITIONS:
            getattr(order, SYNC_TRANSITIONS[kind])()
        elif kind == "photo":
            self.env["aftersales.order.media"].with_user(order.env.user).create(
                {
                    "order_id": order.id,
                    "kind": data.get("kind") or "work",
                    "name": (data.get("name") or "photo.jpg")[:200],
                    "file": base64.b64encode(action["content"]),
                }
            )
        elif kind == "worklog":
            self._apply_visit_note(order, action)
        elif kind == "approval":
            # The customer decides on the technician's phone: an on-site
            # decision, in the technician's name, never one of the customer's
            # own channels.
            order._record_customer_decision(
                data["decision"],
                "onsite",
                feedback=(data.get("feedback") or "")[:MAX_TEXT] or False,
                signed_by=(data.get("signed_by") or "")[:128] or False,
                signature=base64.b64encode(action["content"])
                if action["content"]
                else False,
            )
        elif kind == "part":
            vals = {
                "order_id": order.id,
                "product_id": data["product_id"],
                "quantity": data.get("quantity", 1),
            }
            if data.get("location_id"):
                vals["location_id"] = data["location_id"]
            self.env["aftersales.order.part"].with_user(order.env.user).create(vals)
        elif kind in ("part_update", "part_remove"):
            self._apply_part_change(order, action)

    @api.model
    def _apply_part_change(self, order, action):
        """Change or remove a part line of ``order``, as the technician: the
        line must be one of this order's (the record rules keep the others
        out of reach), the part's own rules refuse consumed lines."""
        data = action["data"]
        part = (
            self.env["aftersales.order.part"]
            .with_user(order.env.user)
            .search([("id", "=", data["part_id"]), ("order_id", "=", order.id)])
        )
        if not part:
            raise UserError(
                self.env._(
                    "This part is no longer on work order %(order)s.", order=order.name
                )
            )
        if action["kind"] == "part_remove":
            order._ensure_execution_editable()
            part.unlink()
            return
        vals = {key: data[key] for key in ("quantity", "location_id") if data.get(key)}
        if not vals:
            raise UserError(self.env._("Nothing to change."))
        part.write(vals)

    @api.model
    def _apply_visit_note(self, order, action):
        data = action["data"]
        texts = {
            key: data[key][:MAX_TEXT]
            for key in ("fault_found", "work_done")
            if data.get(key)
        }
        if not texts:
            raise UserError(self.env._("Nothing to log."))
        Visit = self.env["aftersales.order.visit"].with_user(order.env.user)
        running = Visit.search(
            [("order_id", "=", order.id), ("date_end", "=", False)], limit=1
        )
        if running:
            running.write(texts)
        else:
            Visit.create(
                {
                    "order_id": order.id,
                    "date_start": action["date_client"] or fields.Datetime.now(),
                    "duration": 0.0,
                    **texts,
                }
            )

from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import html2plaintext

from .aftersales_order import TRANSITIONS
from .aftersales_order_media import PHOTO_KINDS

# The steps the technician's phone offers, in the order of the work, and the
# state each leads to (the app shows it at once, offline included).
APP_STEPS = ("start_travel", "start", "request_approval", "done")
APP_STEP_TARGETS = {
    "start_travel": "on_the_way",
    "start": "in_progress",
    "request_approval": "awaiting_approval",
    "done": "done",
}
APP_STATES = ("assigned", "accepted", "on_the_way", "in_progress", "awaiting_approval")


class AftersalesOrder(models.Model):
    """The work order as the technician's phone app shows it."""

    _inherit = "aftersales.order"

    @api.model
    def _technician_app_orders(self, user):
        """The user's open jobs, today's first: one search, read as the user."""
        return self.with_user(user).search(
            [
                ("technician_id.user_id", "=", user.id),
                # An archived technician has no jobs any more.
                ("technician_id.active", "=", True),
                ("state", "in", APP_STATES),
            ],
            order="scheduled_date asc, priority desc, id",
            limit=200,
        )

    @api.model
    def _technician_app_labels(self):
        """Every text the phone app shows, in the current language: the page
        hands them to app.js, which has no text of its own."""
        states = dict(self._fields["state"]._description_selection(self.env))
        return {
            "states": states,
            "steps": {
                "start_travel": self.env._("On my way"),
                "start": self.env._("Start work"),
                "request_approval": self.env._("Ask approval"),
                "done": self.env._("Complete"),
            },
            "step_targets": APP_STEP_TARGETS,
            "photo_kinds": [
                [key, label]
                for key, label in self.env["aftersales.order.media"]
                ._fields["kind"]
                ._description_selection(self.env)
                if key in PHOTO_KINDS
            ],
            "no_job": self.env._("No job for now."),
            "all_jobs": self.env._("All jobs"),
            "map": self.env._("Map"),
            "call": self.env._("Call"),
            "sms": self.env._("SMS"),
            "serial": self.env._("S/N %(serial)s"),
            "waiting_center": self.env._(
                "Waiting for your center to accept this job: you can start once "
                "they have."
            ),
            "note_placeholder": self.env._("Work done"),
            "save_note": self.env._("Save note"),
            "notes": self.env._("Notes"),
            "photo": self.env._("Photo"),
            "photo_kind": self.env._("Kind of photo"),
            "photos": self.env._("Photos"),
            "part_used": self.env._("Part used"),
            "choose_part": self.env._("Choose a part…"),
            "taken_from": self.env._("Taken from"),
            "quantity": self.env._("Quantity"),
            "add_part": self.env._("Add part"),
            "parts": self.env._("Parts"),
            "remove": self.env._("Remove"),
            "save": self.env._("Save"),
            "in_stock": self.env._("%(quantity)s in %(location)s"),
            "not_in_stock": self.env._(
                "Only %(available)s of %(part)s in %(location)s: take it from "
                "another place, or ask your center to transfer it."
            ),
            "parts_short": self.env._(
                "Some parts are not in stock where they are taken from: change "
                "the place or the quantity, or remove them, before you finish."
            ),
            "waiting": self.env._("waiting to sync"),
            "syncing": self.env._("Syncing…"),
            "all_synced": self.env._("All synced"),
            "offline": self.env._("Offline"),
            "offline_waiting": self.env._("Offline: %(count)s waiting"),
            "not_applied": self.env._("%(count)s not applied"),
            "sync_refused": self.env._("Sync refused: %(message)s"),
            "decision": self.env._("Customer's decision"),
            "onsite_note": self.env._(
                "The customer decides here, on your phone; it is recorded as an "
                "on-site decision, in your name."
            ),
            "summary": self.env._("Work done"),
            "covered": self.env._("Covered"),
            "signed_by": self.env._("Customer's name"),
            "feedback": self.env._("Customer's comment (required to reject)"),
            "signature": self.env._("Signature (optional)"),
            "clear": self.env._("Clear"),
            "approves": self.env._("Customer approves"),
            "rejects": self.env._("Customer rejects"),
            "completed": self.env._("%(order)s completed."),
            "rejected": self.env._(
                "%(order)s: the customer rejected the work; it is back in progress."
            ),
            "awaiting": self.env._("%(order)s is waiting for the customer's approval."),
            "close": self.env._("Close"),
        }

    def _technician_app_steps(self, state):
        """The steps the order's rules accept from ``state``: what the phone
        offers, offline too, once the step before it is queued."""
        self.ensure_one()
        steps = []
        for step in APP_STEPS:
            if state not in TRANSITIONS[step]["from"]:
                continue
            if step == "done" and (
                (self.approval_required and self.approval_state != "approved")
                or self._get_completion_blockers()
            ):
                continue
            steps.append(step)
        return steps

    def _technician_app_locations(self):
        """Where the technician may take parts from: their van, then the
        center's stock (as superuser: technicians do not read locations)."""
        self.ensure_one()
        order_sudo = self.sudo()
        return (
            order_sudo.technician_id.van_location_id
            | order_sudo.center_id.stock_location_id
        ).filtered(lambda location: location.usage == "internal")

    def _technician_app_stock(self, products, locations):
        """{(product id, location id): free quantity}, from one grouped query."""
        # Reading stock is not a technician's right; only quantities are read.
        quants_sudo = self.env["stock.quant"].sudo()
        stock = defaultdict(float)
        if not products or not locations:
            return stock
        for product, location, quantity, reserved in quants_sudo._read_group(
            [
                ("product_id", "in", products.ids),
                ("location_id", "in", locations.ids),
            ],
            ["product_id", "location_id"],
            ["quantity:sum", "reserved_quantity:sum"],
        ):
            stock[(product.id, location.id)] += quantity - reserved
        return stock

    def _technician_app_parts(self):
        """The parts the app offers, with their stock per place, and the
        lines already recorded."""
        self.ensure_one()
        order_sudo = self.sudo()
        locations = self._technician_app_locations()
        lines = order_sudo.part_ids.filtered(lambda p: p.state != "cancel")
        products = order_sudo.suggested_part_ids | lines.product_id
        stock = self._technician_app_stock(products, locations | lines.location_id)

        def available(product, location):
            if not product.is_storable:
                return None
            return stock.get((product.id, location.id), 0.0)

        return {
            "locations": [
                {"id": location.id, "name": location.display_name}
                for location in locations
            ],
            "catalogue": [
                {
                    "id": product.id,
                    "name": product.display_name,
                    "stock": {
                        str(location.id): available(product, location)
                        for location in locations
                    },
                }
                for product in order_sudo.suggested_part_ids
            ],
            "lines": [
                {
                    "id": line.id,
                    "product_id": line.product_id.id,
                    "product": line.product_id.display_name,
                    "quantity": line.quantity,
                    "uom": line.uom_id.name,
                    "location_id": line.location_id.id,
                    "location": line.location_id.display_name or "",
                    "available": available(line.product_id, line.location_id),
                    "editable": line.state == "draft",
                }
                for line in lines
            ],
        }

    def _technician_app_values(self, user=None):
        """What the app needs of each order, as JSON-ready dicts."""
        user = user or self.env.user
        states = dict(self._fields["state"]._description_selection(self.env))
        values = []
        # Read as superuser after the search as the user: the app shows the
        # customer's address and product, which technicians may not all read.
        for order in self.sudo():
            address = order.address_text or ""
            media = order.media_ids.filtered(lambda m: m.kind in PHOTO_KINDS)
            kinds = dict(media._fields["kind"]._description_selection(self.env))
            values.append(
                {
                    "id": order.id,
                    "name": order.name,
                    "state": order.state,
                    "state_label": states.get(order.state),
                    "steps": order._technician_app_steps(order.state),
                    # What the phone offers after a step queued offline.
                    "steps_by_state": {
                        state: order._technician_app_steps(state)
                        for state in set(APP_STEP_TARGETS.values())
                    },
                    "waiting_center": order.state == "assigned",
                    "customer": order.partner_id.name,
                    "phone": order.phone or "",
                    "address": address,
                    "map_url": "https://www.google.com/maps/search/?api=1&query="
                    + (
                        f"{order.latitude},{order.longitude}"
                        if order.latitude or order.longitude
                        else address.replace(" ", "+")
                    ),
                    "scheduled": fields.Datetime.to_string(order.scheduled_date)
                    if order.scheduled_date
                    else "",
                    "schedule_text": order._format_datetime_for(
                        user, order.scheduled_date
                    ),
                    "product": order.product_id.display_name,
                    "serial": order.lot_id.name or "",
                    "service": order.service_type_id.name,
                    "description": html2plaintext(order.description or ""),
                    "awaiting_customer": order.state == "awaiting_approval",
                    # The same lines as the customer's approval page.
                    "approval_lines": [
                        list(line) for line in order._get_approval_page_lines()
                    ]
                    if order.state == "awaiting_approval"
                    else [],
                    "notes": [
                        {
                            "id": log.id,
                            "text": "\n".join(
                                text
                                for text in (log.fault_found, log.work_done)
                                if text
                            ),
                            "date": order._format_datetime_for(user, log.date_start),
                        }
                        for log in order.worklog_ids
                        if log.fault_found or log.work_done
                    ],
                    "photos": [
                        {
                            "id": photo.id,
                            "name": photo.name,
                            "kind": photo.kind,
                            "kind_label": kinds.get(photo.kind),
                            "url": f"/web/image/aftersales.order.media/{photo.id}"
                            "/thumbnail",
                        }
                        for photo in media
                    ],
                    "parts": order._technician_app_parts(),
                }
            )
        return values

from odoo import api, fields, models
from odoo.tools import html2plaintext

from .aftersales_order import TRANSITIONS

# The steps the technician's phone offers, in the order of the work.
APP_STEPS = ("start_travel", "start", "request_approval", "done")
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

    def _technician_app_values(self):
        """What the app needs of each order, as JSON-ready dicts."""
        states = dict(self._fields["state"]._description_selection(self.env))
        values = []
        # Read as superuser after the search as the user: the app shows the
        # customer's address and product, which technicians may not all read.
        for order in self.sudo():
            address = order.address_text or ""
            steps = [
                step
                for step in APP_STEPS
                if order.state in TRANSITIONS[step]["from"]
                and not (step == "done" and order.approval_required)
            ]
            values.append(
                {
                    "id": order.id,
                    "name": order.name,
                    "state": order.state,
                    "state_label": states.get(order.state),
                    "steps": steps,
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
                    "schedule_text": order.schedule_text or "",
                    "product": order.product_id.display_name,
                    "serial": order.lot_id.name or "",
                    "service": order.service_type_id.name,
                    "description": html2plaintext(order.description or ""),
                    "awaiting_customer": order.state == "awaiting_approval",
                    "parts": [
                        {"id": product.id, "name": product.display_name}
                        for product in order.suggested_part_ids
                    ],
                }
            )
        return values

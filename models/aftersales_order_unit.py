from odoo import api, models

from .aftersales_center import OPEN_ORDER_STATES


class AftersalesOrder(models.Model):
    """Warnings about the unit of a work order being registered."""

    _inherit = "aftersales.order"

    @api.onchange("lot_id", "partner_id")
    def _onchange_lot_id_warning(self):
        if not self.lot_id:
            return None
        messages = self._get_unit_warnings(self.lot_id, self.partner_id)
        if not messages:
            return None
        return {
            "warning": {
                "title": self.env._("Check the serial number"),
                "message": "\n".join(messages),
                "type": "notification",
            }
        }

    def _get_unit_warnings(self, lot, partner):
        """Why registering ``lot`` for ``partner`` may be a mistake: the unit
        belongs to another customer, or already has an open work order.
        Also used by Register Requests."""
        messages = []
        # sudo: the owner and the open orders may be out of the user's reach
        # (another center's customer); only a name and references leave.
        lot_sudo = lot.sudo()
        owner = lot_sudo.aftersales_owner_id.commercial_partner_id
        if partner and owner and owner != partner.commercial_partner_id:
            if self.env.user.has_group("aftersales.group_dispatcher"):
                messages.append(
                    self.env._(
                        "Serial %(serial)s belongs to another customer: %(owner)s.",
                        serial=lot_sudo.name,
                        owner=owner.display_name,
                    )
                )
            else:
                messages.append(
                    self.env._(
                        "Serial %(serial)s belongs to another customer.",
                        serial=lot_sudo.name,
                    )
                )
        open_orders_sudo = (
            self.env["aftersales.order"]
            .sudo()
            .search(
                [
                    ("lot_id", "=", lot.id),
                    ("state", "in", ("new", *OPEN_ORDER_STATES)),
                    ("id", "not in", self._origin.ids),
                ],
                limit=3,
            )
        )
        if open_orders_sudo:
            messages.append(
                self.env._(
                    "Serial %(serial)s already has an open work order: %(orders)s.",
                    serial=lot_sudo.name,
                    orders=", ".join(open_orders_sudo.mapped("name")),
                )
            )
        return messages

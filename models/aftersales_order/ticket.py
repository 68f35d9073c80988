"""The service request a work order was made of (aftersales.ticket)."""

from odoo import fields, models


class AftersalesOrder(models.Model):
    _inherit = "aftersales.order"

    ticket_id = fields.Many2one(
        "aftersales.ticket",
        string="Service Request",
        index="btree_not_null",
        readonly=True,
        copy=False,
        groups="aftersales.group_desk_agent",
        help="The request this work order was made of.",
    )

    def _get_workflow_fields(self):
        # Set by the request's conversion only: an order linked by hand to
        # another customer's request would show on that customer's page.
        return super()._get_workflow_fields() | {"ticket_id"}

    def action_view_ticket(self):
        """Open the request this work order was made of."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "aftersales.ticket",
            "res_id": self.ticket_id.id,
            "view_mode": "form",
        }

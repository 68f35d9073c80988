"""The service request a contract inquiry was made of (aftersales.ticket)."""

from odoo import fields, models


class AftersalesContract(models.Model):
    _inherit = "aftersales.contract"

    ticket_id = fields.Many2one(
        "aftersales.ticket",
        string="Service Request",
        index="btree_not_null",
        readonly=True,
        copy=False,
        check_company=True,
        groups="aftersales.group_desk_agent",
        help="The request whose customer asked for this contract.",
    )

    def _get_workflow_fields(self):
        # Set by the request's conversion only (see the order's ticket_id).
        return super()._get_workflow_fields() | {"ticket_id"}

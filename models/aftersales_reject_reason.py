from odoo import fields, models


class AftersalesRejectReason(models.Model):
    """Why a service center refuses a job: a code reports can group by, as
    CRM's lost reasons (the free-text note stays on the order)."""

    _name = "aftersales.reject.reason"
    _description = "After-Sales Reject Reason"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", index=True, help="Leave empty to offer it in every company."
    )
    order_count = fields.Integer(
        compute="_compute_order_count", string="Rejected Orders"
    )

    def _compute_order_count(self):
        counts = dict(
            self.env["aftersales.order"]._read_group(
                [("reject_reason_id", "in", self.ids)],
                ["reject_reason_id"],
                ["__count"],
            )
        )
        for reason in self:
            reason.order_count = counts.get(reason, 0)

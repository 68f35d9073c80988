from odoo import api, fields, models
from odoo.exceptions import UserError


class AftersalesApproval(models.Model):
    """One customer decision on a work order.

    A decision is evidence: once recorded it is never changed or deleted; a
    customer who changes their mind gives a new decision.
    """

    _name = "aftersales.approval"
    _description = "Customer Decision on a Work Order"
    _order = "decision_date desc, id desc"
    _check_company_auto = True
    _rec_name = "order_id"

    order_id = fields.Many2one(
        "aftersales.order",
        string="Work Order",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(related="order_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        compute="_compute_partner_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    decision = fields.Selection(
        [("approved", "Approved"), ("rejected", "Rejected")],
        required=True,
        index=True,
    )
    channel = fields.Selection(
        [
            ("sms", "SMS"),
            ("link", "Link"),
            ("portal", "Portal"),
            ("backend", "Back Office"),
        ],
        required=True,
        default="backend",
    )
    feedback = fields.Text()
    decision_date = fields.Datetime(
        string="Decided On", required=True, default=fields.Datetime.now
    )
    user_id = fields.Many2one(
        "res.users",
        string="Recorded By",
        default=lambda self: self.env.user,
        readonly=True,
    )
    signed_by = fields.Char(
        help="The name the customer gave when deciding on the technician's phone."
    )
    signature = fields.Binary(
        attachment=True,
        copy=False,
        help="The customer's signature, drawn on the technician's phone.",
    )
    rating = fields.Selection(
        [("1", "1"), ("2", "2"), ("3", "3"), ("4", "4"), ("5", "5")],
        help="The customer's rating of the work, from 1 (bad) to 5 (excellent).",
    )
    phone = fields.Char(help="The number the decision came from, by SMS.")
    ip_address = fields.Char(string="IP Address")
    user_agent = fields.Char()

    # ------------------------------------------------------------
    # Compute methods
    # ------------------------------------------------------------

    @api.depends("order_id")
    def _compute_partner_id(self):
        for approval in self:
            approval.partner_id = approval.order_id.partner_id

    # ------------------------------------------------------------
    # Overrides
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        Order = self.env["aftersales.order"]
        Order.browse(
            [vals["order_id"] for vals in vals_list if vals.get("order_id")]
        )._lock_for_decision()
        for vals in vals_list:
            Order.browse(vals.get("order_id"))._ensure_can_record_approval(
                vals.get("channel", "backend")
            )
        approvals = super().create(vals_list)
        for approval in approvals:
            order = approval.order_id
            order.message_post(
                body=approval._get_chatter_summary(),
                author_id=(
                    approval.partner_id.id
                    if approval.channel != "backend"
                    else self.env.user.partner_id.id
                ),
            )
            if approval.rating:
                order._apply_customer_rating(int(approval.rating), approval.feedback)
            order._apply_customer_decision(approval)
        return approvals

    def write(self, vals):
        if not vals:
            return super().write(vals)
        raise UserError(
            self.env._(
                "A customer decision cannot be changed once recorded; record a "
                "new decision instead."
            )
        )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_recorded(self):
        raise UserError(
            self.env._("A customer decision is evidence and cannot be deleted.")
        )

    # ------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------

    def _get_chatter_summary(self):
        self.ensure_one()
        channel = dict(self._fields["channel"]._description_selection(self.env))[
            self.channel
        ]
        if self.decision == "approved":
            summary = self.env._(
                "%(customer)s approved the work (%(channel)s).",
                customer=self.partner_id.name,
                channel=channel,
            )
        else:
            summary = self.env._(
                "%(customer)s rejected the work (%(channel)s).",
                customer=self.partner_id.name,
                channel=channel,
            )
        if self.feedback:
            summary = f"{summary} {self.feedback}"
        return summary

from odoo import api, fields, models
from odoo.exceptions import UserError

# The customer's own channels: the customer decides, nobody relays it.
CUSTOMER_CHANNELS = ("sms", "link", "portal")
# The evidence each channel records besides the decision, its feedback and the
# customer's rating; aftersales.order._prepare_decision_vals sets it.
CHANNEL_EVIDENCE = {
    "sms": ("phone",),
    "link": ("ip_address", "user_agent"),
    "portal": ("ip_address", "user_agent"),
    "onsite": ("signed_by", "signature"),
    "backend": (),
}


class AftersalesApproval(models.Model):
    """One customer decision on a work order.

    A decision is evidence: once recorded it is never changed or deleted; a
    customer who changes their mind gives a new decision. It is recorded only
    through aftersales.order._record_customer_decision, which checks that the
    user may use the channel and sets the channel, the author, the time and
    the evidence itself.
    """

    _name = "aftersales.approval"
    _description = "Customer Decision on a Work Order"
    _order = "date_decided desc, id desc"
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
            ("onsite", "On Site"),
            ("backend", "Back Office"),
        ],
        required=True,
        default="backend",
    )
    feedback = fields.Text()
    date_decided = fields.Datetime(
        string="Decided On", required=True, default=fields.Datetime.now
    )
    user_id = fields.Many2one(
        "res.users",
        string="Recorded By",
        default=lambda self: self.env.user,
        readonly=True,
        help="Who recorded the decision: the staff member for a back-office "
        "or on-site decision, the logged-in user of the link, nobody for an SMS.",
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
        if not self.env.su:
            # A user creating a decision directly (RPC, the order form's
            # list) records what the customer told the back office: the
            # order's method sets everything else, whatever vals say.
            self.check_access("create")
            Order = self.env["aftersales.order"]
            return self.union(
                *(
                    Order.browse(vals.get("order_id"))._record_customer_decision(
                        vals.get("decision"), "backend", feedback=vals.get("feedback")
                    )
                    for vals in vals_list
                )
            )
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
                author_id=approval._get_chatter_author().id,
            )
            if approval.rating:
                order._apply_customer_rating(int(approval.rating), approval.feedback)
            order._apply_customer_decision(approval)
        # The link's purpose is served, whichever channel answered.
        approvals.order_id._close_approval_link()
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

    def _get_chatter_author(self):
        """The customer for the customer's own channels; otherwise the user
        who recorded the decision."""
        self.ensure_one()
        if self.channel in CUSTOMER_CHANNELS:
            return self.partner_id
        return (self.user_id or self.env.user).partner_id

    def _get_chatter_summary(self):
        self.ensure_one()
        env = self.env
        channel = dict(self._fields["channel"]._description_selection(env))[
            self.channel
        ]
        values = {
            "customer": self.partner_id.name,
            "channel": channel,
            "user": (self.user_id or env.user).name,
        }
        approved = self.decision == "approved"
        if self.channel == "onsite":
            summary = (
                env._(
                    "%(customer)s approved the work on the technician's phone, "
                    "recorded by %(user)s (%(channel)s).",
                    **values,
                )
                if approved
                else env._(
                    "%(customer)s rejected the work on the technician's phone, "
                    "recorded by %(user)s (%(channel)s).",
                    **values,
                )
            )
            if self.signed_by:
                summary += " " + env._("Signed by %(name)s.", name=self.signed_by)
        elif self.channel not in CUSTOMER_CHANNELS:
            summary = (
                env._(
                    "%(user)s recorded that %(customer)s approved the work "
                    "(%(channel)s).",
                    **values,
                )
                if approved
                else env._(
                    "%(user)s recorded that %(customer)s rejected the work "
                    "(%(channel)s).",
                    **values,
                )
            )
        elif approved:
            summary = env._("%(customer)s approved the work (%(channel)s).", **values)
        else:
            summary = env._("%(customer)s rejected the work (%(channel)s).", **values)
        if self.feedback:
            summary = f"{summary} {self.feedback}"
        return summary

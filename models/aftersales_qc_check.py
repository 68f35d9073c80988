from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class AftersalesQcCheck(models.Model):
    _name = "aftersales.qc.check"
    _description = "Work Order Quality Check"
    _order = "date desc, id desc"
    _check_company_auto = True

    order_id = fields.Many2one(
        "aftersales.order",
        string="Work Order",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(related="order_id.company_id", store=True, index=True)
    technician_id = fields.Many2one(related="order_id.technician_id")
    user_id = fields.Many2one(
        "res.users",
        string="Inspector",
        required=True,
        readonly=True,
        default=lambda self: self.env.user,
    )
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    result = fields.Selection(
        [("pass", "Passed"), ("fail", "Failed")], required=True, index=True
    )
    reason = fields.Text(help="Why the work failed; the technician reads it.")
    line_ids = fields.One2many(
        "aftersales.qc.check.line",
        "check_id",
        string="Checklist",
        compute="_compute_line_ids",
        store=True,
        readonly=False,
        precompute=True,
    )

    @api.depends("order_id")
    def _compute_line_ids(self):
        for check in self:
            if check.line_ids:
                continue
            check.line_ids = [
                fields.Command.create(
                    {
                        "name": item.name,
                        "sequence": item.sequence,
                        "mandatory": item.mandatory,
                    }
                )
                for item in check.order_id.service_type_id.qc_item_ids
            ]

    # ------------------------------------------------------------
    # Overrides
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and not self.env.user.has_group("aftersales.group_qc"):
            raise AccessError(
                self.env._("Only quality inspectors record quality checks.")
            )
        for vals in vals_list:
            # The inspector is whoever records the check.
            vals.pop("user_id", None)
            vals.pop("date", None)
            if not self.env.su:
                self._prepare_checklist(vals)
        checks = super().create(vals_list)
        # Checked after the create, which applied the defaults (the order
        # comes from the context in the form); a refusal rolls it back.
        checks.order_id._lock_for_decision()
        checks.order_id._ensure_can_be_quality_checked()
        for check in checks:
            check._ensure_consistent()
            check.order_id._apply_quality_check(check)
        return checks

    @api.model
    def _prepare_checklist(self, vals):
        """The checklist comes from the service type, not from the client:
        only the ticks and notes given for its points are kept."""
        order = self.env["aftersales.order"].browse(
            vals.get("order_id") or self.env.context.get("default_order_id")
        )
        given = {}
        for command in vals.get("line_ids") or []:
            if command[0] == fields.Command.CREATE and command[2].get("name"):
                given[command[2]["name"]] = command[2]
        vals["line_ids"] = [
            fields.Command.create(
                {
                    "name": item.name,
                    "sequence": item.sequence,
                    "mandatory": item.mandatory,
                    "passed": bool(given.get(item.name, {}).get("passed")),
                    "note": given.get(item.name, {}).get("note") or False,
                }
            )
            for item in order.service_type_id.qc_item_ids
        ]

    def write(self, vals):
        if not self.env.su:
            raise UserError(self.env._("A quality check is history: record a new one."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_history(self):
        if not self.env.su:
            raise UserError(self.env._("Quality checks are kept as history."))

    # ------------------------------------------------------------
    # Guards
    # ------------------------------------------------------------

    def _ensure_consistent(self):
        self.ensure_one()
        if self.result == "fail" and not (self.reason or "").strip():
            raise UserError(self.env._("Say why the work failed the quality check."))
        unticked = self.line_ids.filtered(
            lambda line: line.mandatory and not line.passed
        )
        if self.result == "pass" and unticked:
            raise UserError(
                self.env._(
                    "The work cannot pass with mandatory points not ticked: "
                    "%(points)s.",
                    points=", ".join(unticked.mapped("name")),
                )
            )

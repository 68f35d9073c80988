from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .aftersales_order.states import EXECUTION_STATES


class AftersalesOrderVisit(models.Model):
    _name = "aftersales.order.visit"
    _description = "Work Order Visit"
    _order = "order_id, date_start desc, id desc"
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
    technician_id = fields.Many2one(
        "aftersales.technician",
        compute="_compute_technician_id",
        store=True,
        readonly=False,
        precompute=True,
        index="btree_not_null",
        check_company=True,
        domain="[('center_id', '=', center_id)]",
    )
    center_id = fields.Many2one(related="order_id.center_id")

    # Time
    date_start = fields.Datetime(
        string="Started", required=True, default=fields.Datetime.now
    )
    date_end = fields.Datetime(string="Stopped")
    duration = fields.Float(
        string="Hours",
        compute="_compute_duration",
        store=True,
        readonly=False,
        help="Worked hours: from start to stop, or typed in for a visit "
        "recorded afterwards.",
    )
    running = fields.Boolean(compute="_compute_running")

    # What was found and done
    fault_found = fields.Text()
    work_done = fields.Text()
    resolution_code_id = fields.Many2one(
        "aftersales.resolution.code",
        string="Resolution",
        check_company=True,
    )

    # ------------------------------------------------------------
    # Compute methods
    # ------------------------------------------------------------

    @api.depends("order_id")
    def _compute_technician_id(self):
        for log in self:
            log.technician_id = log.technician_id or log.order_id.technician_id

    @api.depends("date_start", "date_end")
    def _compute_duration(self):
        for log in self:
            if log.date_start and log.date_end:
                log.duration = (log.date_end - log.date_start).total_seconds() / 3600
            elif not log.date_end:
                log.duration = 0.0

    @api.depends("date_start", "date_end", "duration")
    def _compute_running(self):
        for log in self:
            log.running = bool(log.date_start and not log.date_end and not log.duration)

    # ------------------------------------------------------------
    # Constrains
    # ------------------------------------------------------------

    @api.constrains("date_start", "date_end", "duration")
    def _check_times(self):
        for log in self:
            if log.date_end and log.date_end < log.date_start:
                raise ValidationError(
                    self.env._("A visit cannot stop before it starts.")
                )
            if log.duration < 0 or log.duration > 24:
                raise ValidationError(
                    self.env._("A visit lasts between 0 and 24 hours.")
                )

    # ------------------------------------------------------------
    # Overrides
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        logs = super().create(vals_list)
        logs.order_id._ensure_execution_editable()
        return logs

    def write(self, vals):
        if "order_id" in vals and not self.env.su:
            raise UserError(self.env._("A visit stays on its work order."))
        self.order_id._ensure_execution_editable()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_closed_order(self):
        closed = self.filtered(lambda log: log.order_id.state not in EXECUTION_STATES)
        if closed and not self.env.su:
            raise UserError(self.env._("The visits of a closed work order are kept."))

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_stop(self):
        """Stop the timer of running visits."""
        self.filtered("running").write({"date_end": fields.Datetime.now()})
        return True

from markupsafe import escape

from odoo import api, fields, models
from odoo.exceptions import UserError

from .aftersales_order_media import PHOTO_KINDS

# Where parts and visits are still recorded: from acceptance to the end of
# the work. Afterwards they are history.
EXECUTION_STATES = ("accepted", "on_the_way", "in_progress", "awaiting_approval")


class AftersalesOrder(models.Model):
    """Field execution: photos, visits, parts and quality control."""

    _inherit = "aftersales.order"

    # Photos and documents
    media_ids = fields.One2many(
        "aftersales.order.media", "order_id", string="Photos and Documents"
    )
    media_count = fields.Integer(compute="_compute_media_count")

    # Visits
    worklog_ids = fields.One2many(
        "aftersales.order.worklog", "order_id", string="Visits"
    )
    worked_hours = fields.Float(compute="_compute_worklog_summary", store=True)
    visit_count = fields.Integer(compute="_compute_worklog_summary", store=True)
    visit_running = fields.Boolean(compute="_compute_visit_running")
    resolution_code_id = fields.Many2one(
        "aftersales.resolution.code",
        string="Resolution",
        compute="_compute_worklog_summary",
        store=True,
        index="btree_not_null",
        help="The resolution of the latest visit.",
    )

    # Parts
    part_ids = fields.One2many("aftersales.order.part", "order_id", string="Parts")
    # Computed as superuser: bills of materials are not readable by
    # technicians, their components are only listed.
    suggested_part_ids = fields.Many2many(
        "product.product",
        string="Spare Parts of the Unit",
        compute="_compute_suggested_part_ids",
        compute_sudo=True,
        help="The spare parts listed on the product (and its bill of materials, "
        "when Manufacturing is installed).",
        groups="base.group_user",
    )
    picking_ids = fields.Many2many(
        "stock.picking",
        string="Transfers",
        compute="_compute_picking_ids",
        groups="base.group_user",
    )
    picking_count = fields.Integer(
        compute="_compute_picking_ids", groups="base.group_user"
    )

    # Quality control
    qc_required = fields.Boolean(
        related="service_type_id.qc_required", string="Quality Check Required"
    )
    qc_check_ids = fields.One2many(
        "aftersales.qc.check", "order_id", string="Quality Checks"
    )
    qc_state = fields.Selection(
        [
            ("none", "Not Required"),
            ("pending", "To Check"),
            ("passed", "Passed"),
            ("failed", "Failed"),
        ],
        string="Quality",
        compute="_compute_qc_state",
        store=True,
        index=True,
    )
    qc_returned = fields.Boolean(
        string="Returned from Quality Control",
        readonly=True,
        copy=False,
        tracking=True,
        help="The work failed its quality check and must be redone.",
        groups="base.group_user",
    )
    work_resumed_date = fields.Datetime(
        readonly=True,
        copy=False,
        help="When the customer last sent the work back: quality checks "
        "before it no longer count.",
        groups="base.group_user",
    )
    can_be_quality_checked = fields.Boolean(compute="_compute_can_be_quality_checked")

    # ------------------------------------------------------------
    # Compute methods
    # ------------------------------------------------------------

    def _compute_media_count(self):
        counts = dict(
            self.env["aftersales.order.media"]._read_group(
                [("order_id", "in", self.ids)], ["order_id"], ["__count"]
            )
        )
        for order in self:
            order.media_count = counts.get(order, 0)

    @api.depends("worklog_ids.duration", "worklog_ids.resolution_code_id")
    def _compute_worklog_summary(self):
        for order in self:
            logs = order.worklog_ids
            order.worked_hours = sum(logs.mapped("duration"))
            order.visit_count = len(logs)
            order.resolution_code_id = (
                logs.filtered("resolution_code_id")
                .sorted(lambda log: (log.date_start, log.id))[-1:]
                .resolution_code_id
            )

    @api.depends("worklog_ids.running")
    def _compute_visit_running(self):
        for order in self:
            order.visit_running = any(order.worklog_ids.mapped("running"))

    @api.depends("product_id")
    def _compute_suggested_part_ids(self):
        for order in self:
            template = order.product_id.product_tmpl_id
            parts = template.aftersales_spare_part_ids
            if "bom_ids" in template:  # mrp installed
                parts |= template.bom_ids.bom_line_ids.product_id
            order.suggested_part_ids = parts

    @api.depends("part_ids.move_id", "part_ids.defective_move_id")
    def _compute_picking_ids(self):
        for order in self:
            pickings = (
                order.part_ids.move_id.picking_id
                | order.part_ids.defective_move_id.picking_id
            )
            order.picking_ids = pickings
            order.picking_count = len(pickings)

    @api.depends("qc_required", "qc_check_ids.result", "work_resumed_date")
    def _compute_qc_state(self):
        for order in self:
            resumed = order.work_resumed_date
            checks = order.qc_check_ids.filtered(
                lambda c, since=resumed: not since or c.date > since
            )
            latest = checks.sorted(lambda c: (c.date, c.id))[-1:]
            if latest:
                order.qc_state = "passed" if latest.result == "pass" else "failed"
            else:
                order.qc_state = "pending" if order.qc_required else "none"

    @api.depends("state")
    @api.depends_context("uid")
    def _compute_can_be_quality_checked(self):
        inspector = self.env.user.has_group("aftersales.group_qc")
        for order in self:
            order.can_be_quality_checked = inspector and order.state in (
                "in_progress",
                "awaiting_approval",
            )

    # ------------------------------------------------------------
    # Guards
    # ------------------------------------------------------------

    def _ensure_execution_editable(self):
        """Parts and visits change while the work goes on, not after."""
        closed = self.filtered(lambda o: o.state not in EXECUTION_STATES)
        if closed and not self.env.su:
            raise UserError(
                self.env._(
                    "Parts and visits of %(orders)s can no longer change: the "
                    "work order is %(state)s.",
                    orders=", ".join(closed.mapped("name")),
                    state=closed[0]
                    ._fields["state"]
                    .convert_to_export(closed[0].state, closed[0]),
                )
            )

    def _ensure_media_editable(self):
        """Technicians add photos until the work ends; the center and the
        back office may still add documents to closed orders."""
        closed = self.filtered(lambda o: o.state in ("done", "cancelled", "returned"))
        if (
            closed
            and not self.env.su
            and not self.env.user.has_group("aftersales.group_center_user")
        ):
            raise UserError(
                self.env._(
                    "Work order %(order)s is closed: its photos can no longer change.",
                    order=closed[0].name,
                )
            )

    def _ensure_can_be_quality_checked(self):
        if not self.env.su and not self.env.user.has_group("aftersales.group_qc"):
            raise UserError(self.env._("Only quality inspectors check work orders."))
        # Inspectors may not read technicians; only who did the work is read.
        orders_sudo = self.sudo()
        own_work = orders_sudo.filtered(
            lambda o: o.technician_id.user_id == self.env.user
        )
        if own_work and not self.env.su:
            raise UserError(
                self.env._(
                    "You did the work on %(orders)s: another inspector checks it.",
                    orders=", ".join(own_work.mapped("name")),
                )
            )
        not_finished = self.filtered(
            lambda o: o.state not in ("in_progress", "awaiting_approval")
        )
        if not_finished:
            raise UserError(
                self.env._(
                    "Only work in progress or awaiting approval can be checked: "
                    "%(orders)s is not.",
                    orders=", ".join(not_finished.mapped("name")),
                )
            )

    def _get_completion_blockers(self):
        blockers = super()._get_completion_blockers()
        if self.qc_required and self.qc_state != "passed":
            blockers.append(
                self.env._(
                    "%(order)s must pass its quality check first (%(service_type)s "
                    "requires it).",
                    order=self.name,
                    service_type=self.service_type_id.name,
                )
            )
        return blockers

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_start_visit(self):
        """Start the timer of a new visit on site."""
        self._ensure_can_record_visit()
        self._start_visit()
        return True

    def action_stop_visit(self):
        """Stop the timer of the running visit."""
        self._ensure_can_record_visit()
        self.worklog_ids.action_stop()
        return True

    def action_open_quality_check(self):
        """Record a quality check of the work (inspectors)."""
        self.ensure_one()
        self._ensure_can_be_quality_checked()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Quality Check of %(order)s", order=self.name),
            "res_model": "aftersales.qc.check",
            "view_mode": "form",
            "target": "new",
            "context": {"default_order_id": self.id},
        }

    def action_view_pickings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "stock.action_picking_tree_all"
        )
        action["domain"] = [("id", "in", self.picking_ids.ids)]
        action["context"] = {"create": False}
        return action

    def action_view_media(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Photos of %(order)s", order=self.name),
            "res_model": "aftersales.order.media",
            "view_mode": "kanban,list,form",
            "domain": [("order_id", "=", self.id)],
            "context": {"default_order_id": self.id},
        }

    # ------------------------------------------------------------
    # Workers
    # ------------------------------------------------------------

    def _ensure_can_record_visit(self):
        self.check_access("write")
        self._ensure_execution_editable()

    def _start_visit(self):
        Worklog = self.env["aftersales.order.worklog"]
        for order in self.filtered(lambda o: not o.visit_running):
            Worklog.create(order._prepare_worklog_vals())

    def _prepare_worklog_vals(self):
        """Values of a visit started now (extension hook)."""
        self.ensure_one()
        return {
            "order_id": self.id,
            "technician_id": self.technician_id.id,
            "date_start": fields.Datetime.now(),
        }

    def _stop_visits(self):
        self.worklog_ids.action_stop()

    def _action_start(self):
        result = super()._action_start()
        self._start_visit()
        return result

    def _finish_execution(self):
        """The work ends: stop the clock and take the parts out of stock."""
        self._stop_visits()
        self.part_ids._consume()

    def _action_request_approval(self):
        self._finish_execution()
        return super()._action_request_approval()

    def _action_done(self):
        self._finish_execution()
        result = super()._action_done()
        self._workflow_write({"qc_returned": False})
        return result

    def _apply_quality_check(self, check):
        """Follow the inspector's verdict: a failed check sends the work back
        to the technician; a pass completes the order the customer already
        approved."""
        self.ensure_one()
        # Inspectors read the orders they check but may not write them; the
        # check itself was guarded, the chatter and activity follow from it.
        order_sudo = self.sudo()
        if check.result == "fail":
            order_sudo._action_return_from_qc(check)
            return
        self._workflow_write({"qc_returned": False})
        order_sudo.message_post(
            body=self.env._(
                "Quality check passed (%(inspector)s).", inspector=check.user_id.name
            )
        )
        if (
            order_sudo.approval_state == "approved"
            and self.state in ("in_progress", "awaiting_approval")
            and not order_sudo._get_completion_blockers()
        ):
            order_sudo._action_done()

    def _action_return_from_qc(self, check):
        self._workflow_write({"state": "in_progress", "qc_returned": True})
        recipients = self.center_id.partner_id | self.technician_id.user_id.partner_id
        self.message_post(
            body=self.env._(
                "Returned from quality control by %(inspector)s: %(reason)s",
                inspector=check.user_id.name,
                reason=check.reason,
            ),
            partner_ids=recipients.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self.activity_schedule(
            "aftersales.mail_activity_type_qc_failed",
            note=escape(check.reason),
            user_id=(self.technician_id.user_id or self._get_dispatcher()).id,
        )

    def _action_cancel(self, reason):
        self._stop_visits()
        return super()._action_cancel(reason)

    def _action_return(self, reason):
        self._stop_visits()
        return super()._action_return(reason)

    def _action_customer_reject(self, approval):
        # The work is redone: a check passed before no longer counts.
        self._workflow_write({"work_resumed_date": fields.Datetime.now()})
        return super()._action_customer_reject(approval)

    def _get_parts_destination(self):
        self.ensure_one()
        return self.partner_id.with_company(
            self.company_id
        ).property_stock_customer or self.env.ref("stock.stock_location_customers")

    def _prepare_parts_picking_vals(self, picking_type, location, destination, parts):
        """Values of the transfer that moves ``parts`` (extension hook)."""
        self.ensure_one()
        return {
            "picking_type_id": picking_type.id,
            "location_id": location.id,
            "location_dest_id": destination.id,
            "partner_id": (self.address_id or self.partner_id).id,
            "origin": self.name,
            "company_id": self.company_id.id,
            "aftersales_order_id": self.id,
            "move_ids": [
                fields.Command.create(
                    {
                        "product_id": part.product_id.id,
                        "product_uom_qty": part.quantity,
                        "product_uom": part.uom_id.id,
                        "location_id": location.id,
                        "location_dest_id": destination.id,
                        "company_id": self.company_id.id,
                    }
                )
                for part in parts
            ],
        }

    def _get_approval_page_media(self):
        """The photos the customer sees on the approval page."""
        self.ensure_one()
        return self.media_ids.filtered(
            lambda m: (
                m.visible_to_customer
                and m.media_type == "image"
                and m.kind in PHOTO_KINDS
            )
        )

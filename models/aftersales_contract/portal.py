from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date

from ..aftersales_order.states import CLOSED_STATES, UNFINISHED_STATES

# The states of a planned visit the customer may still ask to move: nobody
# is on the way yet.
MOVABLE_VISIT_STATES = ("new", "assigned", "accepted")
# Past visits shown on the portal page, the newest first.
PORTAL_PAST_VISITS = 20


def _format_hour(hours):
    """9.5 -> "09:30"."""
    minutes = round((hours or 0.0) * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class AftersalesContract(models.Model):
    """The contract on the customer's portal: pages, PDF and signature."""

    _inherit = "aftersales.contract"

    # Signature
    signature = fields.Image(
        copy=False, attachment=True, max_width=1024, max_height=1024, readonly=True
    )
    signed_by = fields.Char(copy=False, readonly=True)
    signed_on = fields.Datetime(copy=False, readonly=True)

    # ------------------------------------------------------------
    # Overrides
    # ------------------------------------------------------------

    def _get_workflow_fields(self):
        return super()._get_workflow_fields() | {"signature", "signed_by", "signed_on"}

    def _get_report_base_filename(self):
        self.ensure_one()
        return self.env._("Contract %(name)s", name=self.name)

    # ------------------------------------------------------------
    # Portal
    # ------------------------------------------------------------

    def _can_be_signed(self):
        """Whether the customer may sign the contract now: running (the
        portal never shows drafts) and not signed yet."""
        self.ensure_one()
        return self.state == "running" and not self.signed_on

    def _get_portal_visits(self):
        """(planned, past) work orders of the contract: the visits its plan
        set that are still to come, the soonest first, and the closed orders
        of the contract, the newest first."""
        self.ensure_one()
        # The contract's orders, read as superuser: the caller checked the
        # contract's access (the orders of a contract are its customer's).
        orders_sudo = self.env["aftersales.order"].sudo()
        planned = orders_sudo.search(
            [
                ("contract_id", "=", self.id),
                ("contract_plan_id", "!=", False),
                ("planned_date", "!=", False),
                ("state", "in", UNFINISHED_STATES),
            ],
            order="planned_date, id",
        )
        past = orders_sudo.search(
            [("contract_id", "=", self.id), ("state", "in", CLOSED_STATES)],
            order="planned_date desc nulls last, create_date desc, id desc",
            limit=PORTAL_PAST_VISITS,
        )
        return planned, past

    def _get_plan_summary(self):
        """The contract's plan lines as the customer reads them: a list of
        dicts with service, when (the rule in words) and window."""
        self.ensure_one()
        units = dict(
            self.env["aftersales.contract.plan"]
            ._fields["interval_unit"]
            ._description_selection(self.env)
        )
        days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        summary = []
        for plan in self.plan_ids:
            if plan.rule_type == "weekdays":
                when = ", ".join(
                    plan._fields[day].get_description(self.env)["string"]
                    for day in days
                    if plan[day]
                )
            elif plan.rule_type == "monthdays":
                when = self.env._("On days %(days)s", days=plan.month_days or "")
            else:
                when = self.env._(
                    "Every %(count)s %(unit)s",
                    count=plan.interval,
                    unit=units.get(plan.interval_unit, "").lower(),
                )
            summary.append(
                {
                    "service": plan.name or plan.service_type_id.name,
                    "when": when,
                    "window": f"{_format_hour(plan.hour_from)} – "
                    f"{_format_hour(plan.hour_to)}",
                }
            )
        return summary

    def _get_movable_visits(self, orders):
        """Those of ``orders`` (the contract's planned visits) the customer
        may still ask to move: nobody on the way yet, no request open."""
        requested = self._get_visit_move_requests(orders)
        return orders.filtered(
            lambda o: o.state in MOVABLE_VISIT_STATES and o.id not in requested
        )

    def _get_visit_move_requests(self, orders):
        """The ids of ``orders`` with a move request still open."""
        activity_type = self.env.ref("aftersales.mail_activity_type_visit_move")
        # Activities of the customer's own visits, read as superuser: the
        # portal cannot read activities.
        activities_sudo = self.env["mail.activity"].sudo()
        groups = activities_sudo._read_group(
            [
                ("res_model", "=", "aftersales.order"),
                ("res_id", "in", orders.ids),
                ("activity_type_id", "=", activity_type.id),
            ],
            ["res_id"],
        )
        return {res_id for (res_id,) in groups}

    # ------------------------------------------------------------
    # Signature
    # ------------------------------------------------------------

    def _ensure_can_be_signed(self, name, signature):
        self.ensure_one()
        if self.signed_on:
            raise UserError(
                self.env._(
                    "Contract %(name)s is already signed by %(signer)s.",
                    name=self.name,
                    signer=self.signed_by,
                )
            )
        if self.state != "running":
            raise UserError(
                self.env._(
                    "Contract %(name)s is not running: it cannot be signed.",
                    name=self.name,
                )
            )
        if not (name or "").strip():
            raise UserError(self.env._("Type your name to sign the contract."))
        if not signature:
            raise UserError(self.env._("Draw or type your signature to sign."))

    def _action_sign(self, name, signature):
        """Record the customer's signature (``signature``: base64 image) by
        ``name``, and post the signed contract's PDF in the chatter. Called
        on the contract as superuser by the portal, after its access check."""
        self.ensure_one()
        # Signed once, even by two requests at once: the second is refused
        # while the first holds the row, and reads its signature after.
        if not self.try_lock_for_update(allow_referencing=True):
            raise UserError(
                self.env._("Contract %(name)s is being signed.", name=self.name)
            )
        self.invalidate_recordset(["signed_on", "signed_by", "state"])
        self._ensure_can_be_signed(name, signature)
        name = name.strip()[:200]
        try:
            # A signature that is not an image changes nothing.
            with self.env.cr.savepoint():
                self._workflow_write(
                    {
                        "signature": signature,
                        "signed_by": name,
                        "signed_on": fields.Datetime.now(),
                    }
                )
                # The PDF reads the signature from the database.
                self.env.flush_all()
        except (TypeError, ValueError) as error:
            raise UserError(
                self.env._("The signature is not a valid image.")
            ) from error
        # The customer's copy, whoever signs: rendered as superuser as the
        # portal's PDF is (the report hides nothing from the customer).
        report_sudo = self.env["ir.actions.report"].sudo()
        pdf = report_sudo._render_qweb_pdf(
            "aftersales.action_report_contract", self.ids
        )[0]
        self.message_post(
            body=self.env._("Contract signed by %(name)s.", name=name),
            attachments=[(f"{self._get_report_base_filename()}.pdf", pdf)],
            author_id=self.partner_id.id,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        return True

    # ------------------------------------------------------------
    # Moving a planned visit
    # ------------------------------------------------------------

    def _ensure_visit_movable(self, order, date):
        self.ensure_one()
        if (
            order.contract_id != self
            or not order.contract_plan_id
            or not order.planned_date
        ):
            raise UserError(
                self.env._(
                    "This visit is not planned by contract %(name)s.", name=self.name
                )
            )
        if self.state != "running":
            raise UserError(
                self.env._(
                    "Contract %(name)s is not running: its visits do not move.",
                    name=self.name,
                )
            )
        if order.state not in MOVABLE_VISIT_STATES:
            raise UserError(
                self.env._(
                    "Visit %(order)s is already under way or closed: call your "
                    "service center to change it.",
                    order=order.name,
                )
            )
        today = fields.Date.context_today(self)
        if not date or date <= today:
            raise UserError(self.env._("Choose a day after today for the visit."))
        if not self.date_start <= date <= self.date_end:
            raise UserError(
                self.env._(
                    "Choose a day within the contract's term, %(start)s to %(end)s.",
                    start=format_date(self.env, self.date_start),
                    end=format_date(self.env, self.date_end),
                )
            )
        if order.id in self._get_visit_move_requests(order):
            raise UserError(
                self.env._(
                    "You already asked to move visit %(order)s: your service "
                    "center will contact you.",
                    order=order.name,
                )
            )

    def _request_visit_move(self, order, date, note):
        """The customer asks to move the planned visit ``order`` to ``date``
        (a date), with ``note``: the request goes in the order's chatter and
        the order's dispatcher gets an activity. Nothing moves by itself."""
        self._ensure_visit_movable(order, date)
        note = (note or "").strip()[:1000]
        message = self.env._(
            "The customer asks to move this visit from %(old)s to %(new)s.",
            old=format_date(self.env, order.planned_date),
            new=format_date(self.env, date),
        )
        # Escaped: the note is the customer's text.
        body = Markup("%s<br/>%s") % (message, note) if note else message
        order.message_post(
            body=body,
            author_id=self.partner_id.id,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        order.activity_schedule(
            "aftersales.mail_activity_type_visit_move",
            note=Markup("<p>%s</p>") % body,
            user_id=order._get_dispatcher().id,
        )
        return True

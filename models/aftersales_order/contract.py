from odoo import fields, models

from .core import AUDIENCE_KEY, RECIPIENT_KEY


class AftersalesOrder(models.Model):
    """The work order under a service contract (depends on the contract): the
    contract that covers or planned it, its coverage and caps."""

    _inherit = "aftersales.order"

    contract_id = fields.Many2one(
        "aftersales.contract",
        index="btree_not_null",
        check_company=True,
        tracking=True,
        help="The service contract that covers this unit or planned this visit.",
    )
    # ============================================================
    # Coverage and caps (the coverage work writes below this line)
    # ============================================================

    # ============================================================
    # Planned visits (the planning work writes below this line)
    # ============================================================

    contract_unit_id = fields.Many2one(
        "aftersales.contract.unit", index="btree_not_null", readonly=True, copy=False
    )
    contract_plan_id = fields.Many2one(
        "aftersales.contract.plan",
        string="Contract Plan Line",
        index="btree_not_null",
        readonly=True,
        copy=False,
    )
    planned_date = fields.Date(
        readonly=True,
        copy=False,
        help="The day the contract's plan set this visit for.",
    )

    # A plan line's visit of a unit on a day exists once, whoever planned it.
    _contract_visit_uniq = models.UniqueIndex(
        "(contract_plan_id, contract_unit_id, planned_date) "
        "WHERE contract_plan_id IS NOT NULL",
        "This planned visit already has a work order.",
    )

    contract_reminder_sent = fields.Boolean(
        string="Visit Reminder Sent",
        readonly=True,
        copy=False,
        help="The customer was reminded of this planned visit.",
    )

    def _get_sms_events(self):
        return super()._get_sms_events() | {
            "customer_contract_reminder": (
                "aftersales_contract_reminder_sms",
                "aftersales.sms_template_contract_visit_reminder",
                "customer",
            )
        }

    def _send_contract_reminder(self):
        """Remind the customers of these planned visits by SMS and/or e-mail,
        as their companies enable, and mark them reminded."""
        self._send_sms_event("customer_contract_reminder")
        template = self.env.ref(
            "aftersales.mail_template_contract_visit_reminder",
            raise_if_not_found=False,
        )
        by_email = self.filtered(
            lambda o: (
                o.company_id.aftersales_contract_reminder_email and o.partner_id.email
            )
        )
        if template and by_email:
            # The cron may run as any user; the template reads the contract
            # and creates its portal token.
            # The visit's time is written as the customer reads it.
            template_sudo = template.sudo()
            for order in by_email:
                template_sudo.with_context(
                    **{
                        RECIPIENT_KEY: ("res.partner", order.partner_id.id),
                        AUDIENCE_KEY: "customer",
                    }
                ).send_mail(order.id)
        self._workflow_write({"contract_reminder_sent": True})

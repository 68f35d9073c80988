from odoo import fields, models


class AftersalesOrder(models.Model):
    """Settlement of the completed work with the service center."""

    _inherit = "aftersales.order"

    settlement_line_ids = fields.One2many(
        "aftersales.settlement.line",
        "order_id",
        string="Settlement Lines",
        readonly=True,
        groups="aftersales.group_center_user,account.group_account_invoice",
    )

    def _prepare_settlement_line_row(self):
        """Columns of the order's settlement line (extension hook)."""
        self.ensure_one()
        return {
            "order_id": self.id,
            "company_id": self.company_id.id,
            "center_id": self.center_id.id,
            "technician_id": self.technician_id.id or None,
            "service_type_id": self.service_type_id.id,
            "partner_id": self.partner_id.id,
            "lot_id": self.lot_id.id or None,
        }

    def _trigger_settlement(self):
        cron = self.env.ref(
            "aftersales.ir_cron_generate_settlement_lines", raise_if_not_found=False
        )
        if cron:
            cron._trigger()

    def _action_done(self):
        result = super()._action_done()
        self._trigger_settlement()
        return result

    def _action_cancel(self, reason):
        result = super()._action_cancel(reason)
        self._trigger_settlement()
        return result

    def _action_return(self, reason):
        result = super()._action_return(reason)
        self._trigger_settlement()
        return result

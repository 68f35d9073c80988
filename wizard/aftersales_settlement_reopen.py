from odoo import fields, models


class AftersalesSettlementReopen(models.TransientModel):
    _name = "aftersales.settlement.reopen"
    _description = "Reopen a Settlement"

    settlement_id = fields.Many2one("aftersales.settlement", required=True)
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        return self.settlement_id.action_reopen(self.reason)

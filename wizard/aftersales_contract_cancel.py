from odoo import fields, models


class AftersalesContractCancel(models.TransientModel):
    """Ask why service contracts are cancelled."""

    _name = "aftersales.contract.cancel"
    _description = "Cancel Service Contracts"

    contract_ids = fields.Many2many(
        "aftersales.contract", string="Contracts", required=True
    )
    reason = fields.Text(required=True)

    def action_confirm(self):
        """Cancel the contracts with the reason given."""
        self.ensure_one()
        self.contract_ids.action_cancel(self.reason)
        return {"type": "ir.actions.act_window_close"}

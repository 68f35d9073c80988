from odoo import api, fields, models
from odoo.exceptions import UserError


class AftersalesSettlementLine(models.Model):
    _name = "aftersales.settlement.line"
    _description = "Settled Work Order"
    _order = "date desc, id desc"
    _check_company_auto = True

    settlement_id = fields.Many2one(
        "aftersales.settlement",
        index=True,
        ondelete="restrict",
        check_company=True,
        readonly=True,
    )
    order_id = fields.Many2one(
        "aftersales.order",
        string="Work Order",
        required=True,
        index=True,
        ondelete="restrict",
        readonly=True,
        check_company=True,
    )
    kind = fields.Selection(
        [("order", "Completed Work"), ("reversal", "Reversal")],
        required=True,
        default="order",
        readonly=True,
        help="A reversal takes back what an earlier line paid, for work "
        "cancelled or returned after it was settled.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True
    )
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    center_id = fields.Many2one(
        "aftersales.center", required=True, index=True, readonly=True
    )
    technician_id = fields.Many2one(
        "aftersales.technician", index="btree_not_null", readonly=True
    )
    service_type_id = fields.Many2one(
        "aftersales.service.type", index=True, readonly=True
    )
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    lot_id = fields.Many2one("stock.lot", string="Serial Number", readonly=True)
    date = fields.Date(required=True, index=True, readonly=True)
    tariff_id = fields.Many2one("aftersales.tariff", readonly=True)
    amount_service = fields.Monetary(string="Service", readonly=True)
    amount_travel = fields.Monetary(string="Travel", readonly=True)
    amount_parts = fields.Monetary(string="Part Handling", readonly=True)
    amount = fields.Monetary(compute="_compute_amount", store=True, readonly=True)

    # One line per completed order and one reversal at most, whatever runs
    # at the same time: the generator inserts with ON CONFLICT DO NOTHING.
    _order_once = models.UniqueIndex("(order_id) WHERE kind = 'order'")
    _reversal_once = models.UniqueIndex("(order_id) WHERE kind = 'reversal'")

    @api.depends("amount_service", "amount_travel", "amount_parts")
    def _compute_amount(self):
        for line in self:
            line.amount = line.amount_service + line.amount_travel + line.amount_parts

    def _get_bill_label(self):
        self.ensure_one()
        parts = [
            self.order_id.name,
            self.partner_id.name,
            self.lot_id.name,
            fields.Date.to_string(self.date),
        ]
        label = " - ".join(filter(None, parts))
        if self.kind == "reversal":
            label = self.env._("Reversal: %(label)s", label=label)
        return label

    def write(self, vals):
        if not self.env.su:
            raise UserError(self.env._("Settlement lines are computed, not edited."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_settled(self):
        if not self.env.su:
            raise UserError(self.env._("Settlement lines are kept as history."))

from odoo import fields, models, tools
from odoo.tools import SQL

from ..models.aftersales_contract_template import CONTRACT_KINDS


class AftersalesContractIncomeReport(models.Model):
    """One row per product line of a posted contract invoice or credit note:
    the income of service contracts by kind, month, customer and preferred
    center, in company currency (credit notes count negative)."""

    _name = "aftersales.contract.income.report"
    _description = "After-Sales Contract Income"
    _auto = False
    _rec_name = "contract_id"
    _order = "date desc"

    contract_id = fields.Many2one("aftersales.contract", readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    date = fields.Date(string="Invoice Date", readonly=True)
    kind = fields.Selection(CONTRACT_KINDS, readonly=True)
    template_id = fields.Many2one("aftersales.contract.template", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    center_id = fields.Many2one(
        "aftersales.center", string="Preferred Center", readonly=True
    )
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    amount = fields.Monetary(string="Income", readonly=True, aggregator="sum")

    def _query(self):
        return SQL(
            """
            SELECT line.id AS id,
                   move.aftersales_contract_id AS contract_id,
                   move.id AS move_id,
                   line.company_id AS company_id,
                   line.company_currency_id AS currency_id,
                   move.invoice_date AS date,
                   contract.kind AS kind,
                   contract.template_id AS template_id,
                   move.commercial_partner_id AS partner_id,
                   contract.center_id AS center_id,
                   contract.user_id AS user_id,
                   line.product_id AS product_id,
                   -line.balance AS amount
              FROM account_move_line line
              JOIN account_move move ON move.id = line.move_id
              JOIN aftersales_contract contract
                ON contract.id = move.aftersales_contract_id
             WHERE move.state = 'posted'
               AND move.move_type IN ('out_invoice', 'out_refund')
               AND line.display_type = 'product'
            """
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (%s)",
                SQL.identifier(self._table),
                self._query(),
            )
        )

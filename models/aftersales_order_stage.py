from odoo import api, fields, models, tools

from .aftersales_order.states import ORDER_STATES


class AftersalesOrderStage(models.Model):
    """One record per order state, so that Odoo's tracking-duration mixin (it
    needs a many2one) can measure the time each order spends in each state."""

    _name = "aftersales.order.stage"
    _description = "After-Sales Work Order Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Selection(ORDER_STATES, required=True, readonly=True)
    sequence = fields.Integer(default=10)

    _code_unique = models.Constraint("UNIQUE(code)", "One stage per order state.")

    @api.model
    @tools.ormcache()
    def _get_stage_ids_by_code(self):
        """{state: stage id}, cached: every order created or changing state
        looks its stage up, and the stages change only with the module."""
        # One stage per state: a handful of records.
        stages_sudo = self.sudo().search([])  # pylint: disable=no-search-all
        return {stage.code: stage.id for stage in stages_sudo}

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        if "code" in vals:
            self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()

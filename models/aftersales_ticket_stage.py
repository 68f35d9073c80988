from odoo import api, fields, models, tools

from .aftersales_ticket.core import TICKET_STATES


class AftersalesTicketStage(models.Model):
    """How a desk names and colours where its requests stand: each stage
    belongs to one fixed status (``state``), as the work order's stages."""

    _name = "aftersales.ticket.stage"
    _description = "After-Sales Service Request Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    state = fields.Selection(
        TICKET_STATES,
        string="Status",
        required=True,
        index=True,
        help="The fixed status this stage belongs to.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    fold = fields.Boolean(
        string="Folded in Board", help="Shown as a folded column on the board."
    )
    portal_label = fields.Char(
        string="Customer Label",
        translate=True,
        help="What customers read on the portal (empty: the name).",
    )
    description = fields.Text(translate=True)

    @api.model
    @tools.ormcache()
    def _get_stage_table(self):
        """((id, state), ...) of the active stages by sequence, cached."""
        # A configuration table of a few records.
        stages_sudo = self.sudo().search([])  # pylint: disable=no-search-all
        return tuple((stage.id, stage.state) for stage in stages_sudo)

    @api.model
    def _get_default_stage_id(self, state):
        """The stage a request takes on entering ``state``."""
        for stage_id, stage_state in self._get_stage_table():
            if stage_state == state:
                return stage_id
        return False

    def _get_portal_label(self):
        self.ensure_one()
        return self.portal_label or self.name

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        if {"state", "sequence", "active"} & set(vals):
            self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()

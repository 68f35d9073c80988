from odoo import api, fields, models, tools

from .aftersales_order.states import ORDER_STATES, WORK_PLACES, WORKSHOP_STATES


class AftersalesOrderStage(models.Model):
    """How a business names and colours where its work orders stand.

    Each stage belongs to one fixed status (``state``): the status and its
    guards stay the rules, the stage is what the board, the reports, the
    portal and the SMS show. An order entering a status takes the first stage
    (by sequence) of that status for its work place (field, workshop) and,
    in the workshop, its workshop status; staff may then pick another stage
    of the same status. The tracking-duration mixin measures the time in
    each stage."""

    _name = "aftersales.order.stage"
    _description = "After-Sales Work Order Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    state = fields.Selection(
        ORDER_STATES,
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
    work_place = fields.Selection(
        [*WORK_PLACES, ("both", "Both")],
        string="For",
        required=True,
        default="both",
        help="Whether field work orders, workshop work orders or both use it.",
    )
    workshop_state = fields.Selection(
        WORKSHOP_STATES,
        string="Workshop Status",
        help="Workshop: the stage an order takes at this workshop status (empty: "
        "any workshop status of its status).",
    )
    portal_label = fields.Char(
        string="Customer Label",
        translate=True,
        help="What customers read on the portal and in texts (empty: the name).",
    )
    description = fields.Text(translate=True)

    @api.model
    @tools.ormcache()
    def _get_stage_table(self):
        """((id, state, work_place, workshop_state), ...) of the active
        stages by sequence, cached: every order created or changing state
        looks its stage up, and stages seldom change."""
        # The stages are a configuration table of a few dozen records.
        stages_sudo = self.sudo().search([])  # pylint: disable=no-search-all
        return tuple(
            (stage.id, stage.state, stage.work_place, stage.workshop_state or False)
            for stage in stages_sudo
        )

    @api.model
    def _get_default_stage_id(self, state, work_place, workshop_state=False):
        """The stage an order takes on entering ``state``: the first one of
        that status for its work place whose workshop status matches (a
        stage that names one is preferred), else any of the status."""
        candidates = [
            row
            for row in self._get_stage_table()
            if row[1] == state and row[2] in (work_place, "both")
        ]
        for row in candidates:
            if workshop_state and row[3] == workshop_state:
                return row[0]
        for row in candidates:
            if not row[3]:
                return row[0]
        return candidates[0][0] if candidates else False

    def _get_portal_label(self):
        """What the customer reads of this stage."""
        self.ensure_one()
        return self.portal_label or self.name

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        if {"state", "work_place", "workshop_state", "sequence", "active"} & set(vals):
            self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()

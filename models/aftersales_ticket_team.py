from odoo import fields, models

ASSIGN_METHODS = [
    ("manual", "Manually"),
    ("round_robin", "Round Robin"),
    ("least_loaded", "Least Loaded"),
    ("team", "The Whole Team"),
]


class AftersalesTicketTeam(models.Model):
    """A desk team: its members, how a new request picks one of them, and the
    e-mail alias whose mails open its requests (mail.py)."""

    _name = "aftersales.ticket.team"
    _description = "After-Sales Service Desk Team"
    _inherit = ["mail.alias.mixin", "mail.thread"]
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    member_ids = fields.Many2many(
        "res.users",
        "aftersales_ticket_team_member_rel",
        "team_id",
        "user_id",
        string="Members",
        domain=[("share", "=", False)],
    )
    leader_id = fields.Many2one(
        "res.users", string="Team Leader", domain=[("share", "=", False)]
    )
    assign_method = fields.Selection(
        ASSIGN_METHODS,
        string="Assignment",
        required=True,
        default="round_robin",
        help="* Manually: the team leader picks.\n"
        "* Round Robin: each member in turn.\n"
        "* Least Loaded: the member with the fewest open requests.\n"
        "* The Whole Team: nobody in person; every member follows and may take it.",
    )
    last_assigned_user_id = fields.Many2one("res.users", readonly=True, copy=False)
    ticket_ids = fields.One2many("aftersales.ticket", "team_id", string="Requests")

    def _alias_get_creation_values(self):
        values = super()._alias_get_creation_values()
        values["alias_model_id"] = self.env["ir.model"]._get_id("aftersales.ticket")
        if self.id:
            values["alias_defaults"] = {
                "team_id": self.id,
                "company_id": self.company_id.id,
            }
        return values

from ast import literal_eval

from odoo import api, fields, models
from odoo.tools import email_normalize

from odoo.addons.mail.tools.alias_error import AliasError

from .aftersales_ticket.core import OPEN_TICKET_STATES

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
    last_assigned_user_id = fields.Many2one(
        "res.users",
        readonly=True,
        copy=False,
        help="Least loaded: the member given the last request.",
    )
    # Round robin: the turn is a PostgreSQL sequence (nextval is atomic and
    # outside the transaction), so requests routed to the team at the same
    # time take different turns without writing, and so without locking, the
    # team row.
    rotation_sequence_id = fields.Many2one(
        "ir.sequence", readonly=True, copy=False, groups="base.group_system"
    )
    ticket_ids = fields.One2many("aftersales.ticket", "team_id", string="Requests")
    # Only the desk reads requests: other internal users see teams (as a
    # many2one) but no counts.
    open_ticket_count = fields.Integer(
        compute="_compute_open_ticket_count",
        string="Open Requests",
        groups="aftersales.group_desk_agent",
    )

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    def _compute_open_ticket_count(self):
        counts = dict(
            self.env["aftersales.ticket"]._read_group(
                [("team_id", "in", self.ids), ("state", "in", OPEN_TICKET_STATES)],
                ["team_id"],
                ["__count"],
            )
        )
        for team in self:
            team.open_ticket_count = counts.get(team, 0)

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        teams = super().create(vals_list)
        teams._ensure_rotation_sequence()
        return teams

    def _ensure_rotation_sequence(self):
        """Give each team its round-robin turn counter (at creation: made
        lazily, two first requests at once would both write the team)."""
        # Sequences are system records; desk managers create teams.
        teams_sudo = self.sudo().filtered(lambda team: not team.rotation_sequence_id)
        for team_sudo in teams_sudo:
            team_sudo.rotation_sequence_id = team_sudo.env["ir.sequence"].create(
                {
                    "name": f"Desk team rotation {team_sudo.id}",
                    "implementation": "standard",
                    "company_id": False,
                }
            )

    def write(self, vals):
        res = super().write(vals)
        if "company_id" in vals:
            # The alias creates requests of the team's company: keep its
            # defaults in step (the mixin moves the alias domain itself).
            # The alias is written as the mixin writes it (sudo): desk managers
            # manage teams, not mail.alias records.
            for team in self.filtered("alias_id"):
                alias_sudo = team.alias_id.sudo()
                alias_sudo.alias_defaults = team._alias_get_creation_values()[
                    "alias_defaults"
                ]
        return res

    # ------------------------------------------------------------------
    # Mail gateway
    # ------------------------------------------------------------------

    def _alias_get_creation_values(self):
        values = super()._alias_get_creation_values()
        values["alias_model_id"] = self.env["ir.model"]._get_id("aftersales.ticket")
        if self.id:
            # Keep what an administrator added to the defaults (a category, a
            # priority), as crm.team does; the team and company always win.
            defaults = literal_eval(self.alias_defaults or "{}")
            defaults.update(team_id=self.id, company_id=self.company_id.id)
            values["alias_defaults"] = defaults
        return values

    def _alias_get_error(self, message, message_dict, alias):
        """Refuse (and bounce) a mail whose sender is no e-mail address or is
        one of our own aliases (a loop): nothing is stored. The gateway asks
        the alias' parent record, the team, for new mails to its alias."""
        error = super()._alias_get_error(message, message_dict, alias)
        if error:
            return error
        email = email_normalize(message_dict.get("email_from") or "")
        if not email:
            return AliasError(
                "error_aftersales_invalid_sender",
                self.env._("the sender is not a valid e-mail address"),
            )
        # The gateway's user reads alias domains; sudo as Odoo's own lookup
        # of aliases (_partner_find_from_emails) does.
        domains_sudo = self.env["mail.alias.domain"].sudo()
        if domains_sudo._find_aliases([email]):
            return AliasError(
                "error_aftersales_alias_sender",
                self.env._("the sender is one of our own aliases"),
            )
        return False

    # ------------------------------------------------------------------
    # Assignment (routing.py)
    # ------------------------------------------------------------------

    def _get_available_members(self, company):
        """The members who may take a request of ``company``: active desk
        agents allowed in that company, in a stable order (by id)."""
        self.ensure_one()
        return self.member_ids.filtered(
            lambda user: (
                user.active
                and company in user.company_ids
                and user.has_group("aftersales.group_desk_agent")
            )
        ).sorted("id")

    def _pick_round_robin(self, members):
        """The member whose turn it is: the team's next turn number, among
        the members available now (in their order)."""
        self.ensure_one()
        self._ensure_rotation_sequence()
        # Routing runs as the system (routing.py): the turn counter is a
        # system record.
        sequence_sudo = self.sudo().rotation_sequence_id
        turn = int(sequence_sudo.next_by_id())
        return members[(turn - 1) % len(members)]

    def _get_open_loads(self, members):
        """{user: open requests} for ``members``, in one query."""
        return dict(
            self.env["aftersales.ticket"]._read_group(
                [("user_id", "in", members.ids), ("state", "in", OPEN_TICKET_STATES)],
                ["user_id"],
                ["__count"],
            )
        )

    @api.model
    def _pick_least_loaded(self, members, loads):
        """The member with the fewest open requests; ties: members' order."""
        return min(members, key=lambda user: (loads.get(user, 0), user.id))

    def action_view_open_tickets(self):
        """The team's open requests."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Open Requests of %(team)s", team=self.name),
            "res_model": "aftersales.ticket",
            "view_mode": "list,form",
            "domain": [("team_id", "=", self.id), ("state", "in", OPEN_TICKET_STATES)],
            "context": {"default_team_id": self.id},
        }

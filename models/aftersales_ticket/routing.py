"""routing seam of aftersales.ticket (see __init__.py): which team and which
person a new request goes to."""

from odoo import models


class AftersalesTicket(models.Model):
    _inherit = "aftersales.ticket"

    def _route(self):
        """Give each request without a team or responsible its team (the first
        matching area of responsibility, else the category's team, else the
        company's default team) and its responsible (the area's person, else
        the team's assignment method)."""
        res = super()._route()
        # The requester (the public, a portal customer, an agent) may neither
        # read every area nor stamp the team's rotation: routing reads the
        # desk's configuration and writes team and person as the system.
        tickets_sudo = self.sudo().filtered(lambda t: not (t.team_id and t.user_id))
        areas_sudo = self.env["aftersales.ticket.area"].sudo()
        areas_by_company = {}
        for ticket_sudo in tickets_sudo:
            company = ticket_sudo.company_id
            if company not in areas_by_company:
                areas_by_company[company] = areas_sudo.search(
                    [("company_id", "=", company.id)]
                )
            ticket_sudo._route_one(areas_by_company[company])
        return res

    def _route_one(self, areas):
        """Route one request among the company's ``areas`` (by sequence)."""
        self.ensure_one()
        team = self.team_id
        candidates = areas.filtered(lambda a: a.team_id == team) if team else areas
        area = next((a for a in candidates if a._matches_ticket(self)), areas.browse())
        if not team:
            team = area.team_id or self._get_fallback_team()
        vals = {}
        if team != self.team_id:
            vals["team_id"] = team.id
        if not self.user_id and team:
            user = area.user_id
            if not (user.active and self.company_id in user.company_ids):
                # No person on the area, or one who may not work in the
                # request's company: the team's assignment decides.
                user = self._pick_team_member(team)
            if user:
                vals["user_id"] = user.id
        if vals:
            self.write(vals)
        if team and not self.user_id and team.assign_method == "manual":
            self._schedule_manual_assignment(team)
        return True

    def _get_fallback_team(self):
        """The category's team (of the request's company), else the company's
        default desk team."""
        self.ensure_one()
        team = self.category_id.team_id
        if team and team.company_id == self.company_id and team.active:
            return team
        return self.company_id.aftersales_ticket_team_id

    def _pick_team_member(self, team):
        """The member of ``team`` its assignment method gives the request to,
        or no one (manual, whole team, nobody available)."""
        self.ensure_one()
        if team.assign_method not in ("round_robin", "least_loaded"):
            return self.env["res.users"]
        members = team._get_available_members(self.company_id)
        if not members:
            return members
        if team.assign_method == "round_robin":
            # A turn of the team's sequence: concurrent requests never meet.
            return team._pick_round_robin(members)
        user = team._pick_least_loaded(members, team._get_open_loads(members))
        # Least loaded reads the members' open requests: the stamp versions
        # the team row (write_date is written even when the member is
        # unchanged), so under REPEATABLE READ a request routed to this team
        # at the same time fails to serialize and Odoo replays it on fresh
        # data (HTTP, RPC, mail gateway): no two pick from the same reading.
        # Not lock_for_update(): it skips a locked row and raises LockError, a
        # UserError nobody retries (the customer's mail or form would fail).
        team.last_assigned_user_id = user
        return user

    def _schedule_manual_assignment(self, team):
        """Manual assignment: the team leader gets an activity to choose."""
        self.ensure_one()
        if not team.leader_id:
            return
        self.activity_schedule(
            "aftersales.mail_activity_type_ticket_assign",
            user_id=team.leader_id.id,
            note=self.env._("Choose who handles %(ticket)s.", ticket=self.display_name),
        )

import threading
import uuid

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import AccessError
from odoo.service.model import retrying
from odoo.sql_db import db_connect
from odoo.tests import BaseCase, new_test_user, tagged
from odoo.tests.common import get_db_name

from .common import TicketCommon


@tagged("post_install", "-at_install")
class TestTicketRouting(TicketCommon):
    """Which team and which person a new request goes to: areas of
    responsibility (first match by sequence), the category's team, the
    company's team; round robin, least loaded, whole team, manual; never a
    member who may not work in the request's company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        group = "aftersales.group_desk_agent"
        cls.user_agent_3 = new_test_user(
            cls.env,
            "as_agent_3",
            groups=group,
            company_id=cls.company.id,
            email="agent3@example.com",
        )
        # An agent of both companies, and one of the second company only.
        cls.user_agent_ab = new_test_user(
            cls.env,
            "as_agent_ab",
            groups=group,
            company_id=cls.company.id,
            company_ids=[Command.set((cls.company | cls.company_b).ids)],
        )
        Team = cls.env["aftersales.ticket.team"]
        cls.team_key = Team.create(
            {
                "name": "Key Accounts",
                "assign_method": "round_robin",
                "member_ids": [Command.set(cls.user_agent_3.ids)],
            }
        )
        cls.team_least = Team.create(
            {
                "name": "Least Loaded Desk",
                "assign_method": "least_loaded",
                "member_ids": [Command.set((cls.user_agent | cls.user_agent_2).ids)],
            }
        )
        cls.team_all = Team.create(
            {
                "name": "Whole Team Desk",
                "assign_method": "team",
                "member_ids": [Command.set((cls.user_agent | cls.user_agent_2).ids)],
            }
        )
        cls.team_manual = Team.create(
            {
                "name": "Manual Desk",
                "assign_method": "manual",
                "leader_id": cls.user_desk_manager.id,
                "member_ids": [Command.set((cls.user_agent | cls.user_agent_2).ids)],
            }
        )
        cls.categ_sub = cls.env["product.category"].create(
            {"name": "Front Loaders", "parent_id": cls.categ_appliance.id}
        )
        cls.product_sub = cls.env["product.product"].create(
            {"name": "Test Front Loader", "type": "consu", "categ_id": cls.categ_sub.id}
        )

    def _area(self, **vals):
        return self.env["aftersales.ticket.area"].create(
            {"name": "Area", "team_id": self.team_key.id, **vals}
        )

    # ------------------------------------------------------------------
    # Teams: areas, category, company
    # ------------------------------------------------------------------

    def test_company_team_and_round_robin_order(self):
        """No area, no category team: the company's desk, members in turn."""
        tickets = [self._create_ticket() for _i in range(3)]
        self.assertEqual({t.team_id for t in tickets}, {self.team})
        self.assertEqual(
            [t.user_id for t in tickets],
            [self.user_agent, self.user_agent_2, self.user_agent],
        )
        # The responsible follows the request (and hears of it).
        self.assertIn(self.user_agent.partner_id, tickets[0].message_partner_ids)

    def test_round_robin_member_left(self):
        """Members join and leave: the turns go on among those present, a
        member who left never gets one."""
        self.team.member_ids = [Command.link(self.user_agent_3.id)]
        self.assertEqual(
            [self._create_ticket().user_id for _i in range(3)],
            [self.user_agent, self.user_agent_2, self.user_agent_3],
        )
        self.team.member_ids = [Command.unlink(self.user_agent_2.id)]
        users = [self._create_ticket().user_id for _i in range(4)]
        self.assertNotIn(self.user_agent_2, users)
        self.assertEqual(users.count(self.user_agent), 2)
        self.assertEqual(users.count(self.user_agent_3), 2)

    def test_area_by_customer(self):
        area = self._area(partner_ids=[Command.set(self.customer.ids)])
        ticket = self._create_ticket()
        self.assertEqual(ticket.team_id, area.team_id)
        self.assertEqual(ticket.user_id, self.user_agent_3)
        # The customer's contact person asking: the same customer.
        ticket = self._create_ticket(partner_id=self.contact_person.id)
        self.assertEqual(ticket.team_id, area.team_id)
        # Another customer: not this area.
        other = self._create_ticket(partner_id=self.other_customer.id)
        self.assertEqual(other.team_id, self.team)

    def test_area_by_site(self):
        area = self._area(
            site_ids=[Command.set(self.site.ids)], user_id=self.user_agent_2.id
        )
        ticket = self._create_ticket(site_id=self.site.id)
        self.assertEqual(ticket.team_id, area.team_id)
        # The area's person, even if not a member of its team.
        self.assertEqual(ticket.user_id, self.user_agent_2)
        self.assertEqual(self._create_ticket().team_id, self.team)

    def test_area_by_category(self):
        area = self._area(category_ids=[Command.set(self.category_deviation.ids)])
        ticket = self._create_ticket(category_id=self.category_deviation.id)
        self.assertEqual(ticket.team_id, area.team_id)
        other = self._create_ticket(category_id=self.category_order.id)
        self.assertEqual(other.team_id, self.team)

    def test_area_by_product_category(self):
        """A product category covers its subcategories."""
        area = self._area(product_category_ids=[Command.set(self.categ_appliance.ids)])
        ticket = self._create_ticket(product_id=self.product_sub.id)
        self.assertEqual(ticket.team_id, area.team_id)
        other_categ = self.env["product.category"].create({"name": "Other"})
        other_product = self.env["product.product"].create(
            {"name": "Other Product", "categ_id": other_categ.id}
        )
        self.assertEqual(
            self._create_ticket(product_id=other_product.id).team_id, self.team
        )
        self.assertEqual(self._create_ticket().team_id, self.team)

    def test_area_all_criteria_and_sequence(self):
        """Every criterion given must match; the first match by sequence wins."""
        self._area(
            name="Deviations of the customer",
            sequence=5,
            partner_ids=[Command.set(self.customer.ids)],
            category_ids=[Command.set(self.category_deviation.ids)],
        )
        second = self._area(
            name="Any request of the customer",
            sequence=8,
            team_id=self.team_least.id,
            partner_ids=[Command.set(self.customer.ids)],
        )
        deviation = self._create_ticket(category_id=self.category_deviation.id)
        self.assertEqual(deviation.team_id, self.team_key)
        order = self._create_ticket(category_id=self.category_order.id)
        self.assertEqual(order.team_id, self.team_least)
        second.sequence = 1
        self.assertEqual(
            self._create_ticket(category_id=self.category_deviation.id).team_id,
            self.team_least,
        )
        # An archived area routes nothing.
        second.active = False
        self.assertEqual(
            self._create_ticket(category_id=self.category_order.id).team_id, self.team
        )

    def test_area_of_another_company_ignored(self):
        self.env["aftersales.ticket.area"].create(
            {
                "name": "B customers",
                "company_id": self.company_b.id,
                "team_id": self.team_b.id,
                "partner_ids": [Command.set(self.customer.ids)],
            }
        )
        self.assertEqual(self._create_ticket().team_id, self.team)

    def test_category_team_then_company_team(self):
        # A category of the company (a shared one may not name a company's team).
        self.category_question = self.env["aftersales.ticket.category"].create(
            {
                "name": "Key questions",
                "company_id": self.company.id,
                "team_id": self.team_key.id,
            }
        )
        ticket = self._create_ticket(category_id=self.category_question.id)
        self.assertEqual(ticket.team_id, self.team_key)
        self.assertEqual(ticket.user_id, self.user_agent_3)
        # An area still wins over the category.
        self._area(
            team_id=self.team_least.id,
            category_ids=[Command.set(self.category_question.ids)],
        )
        self.assertEqual(
            self._create_ticket(category_id=self.category_question.id).team_id,
            self.team_least,
        )
        # The second company's requests: its own default team.
        ticket_b = self._create_ticket(
            company_id=self.company_b.id, category_id=self.category_order.id
        )
        self.assertEqual(ticket_b.team_id, self.team_b)
        self.assertEqual(ticket_b.user_id, self.user_agent_b)

    def test_team_given_keeps_team_area_person(self):
        """A request with a team (the team's alias): its team stays; an area
        of that team still gives its person."""
        self._area(
            team_id=self.team.id,
            user_id=self.user_agent_2.id,
            site_ids=[Command.set(self.site.ids)],
        )
        self._area(
            team_id=self.team_least.id, partner_ids=[Command.set(self.customer.ids)]
        )
        ticket = self._create_ticket(team_id=self.team.id, site_id=self.site.id)
        self.assertEqual(ticket.team_id, self.team)
        self.assertEqual(ticket.user_id, self.user_agent_2)

    def test_routed_when_an_agent_creates(self):
        """An agent may not write teams: routing still stamps the rotation."""
        ticket = (
            self.env["aftersales.ticket"]
            .with_user(self.user_agent)
            ._create_from_channel(
                "phone", {"subject": "Noise", "partner_id": self.customer.id}
            )
        )
        self.assertEqual(ticket.team_id, self.team)
        self.assertEqual(ticket.user_id, self.user_agent)

    # ------------------------------------------------------------------
    # Responsible: assignment methods
    # ------------------------------------------------------------------

    def test_least_loaded(self):
        self.company.aftersales_ticket_team_id = self.team_least
        Ticket = self.env["aftersales.ticket"]
        for _i in range(2):
            self._create_ticket(team_id=self.team_key.id).user_id = self.user_agent
        # Closed requests are no load.
        for _i in range(3):
            closed = self._create_ticket(team_id=self.team_key.id)
            closed.user_id = self.user_agent_2
            closed.action_solve()
        self.assertEqual(self._create_ticket().user_id, self.user_agent_2)
        self.assertEqual(self._create_ticket().user_id, self.user_agent_2)
        # 2 and 2 now: a tie goes to the first member.
        self.assertEqual(self._create_ticket().user_id, self.user_agent)
        loads = Ticket._read_group(
            [("team_id", "=", self.team_least.id)], ["user_id"], ["__count"]
        )
        self.assertEqual(dict(loads), {self.user_agent: 1, self.user_agent_2: 2})

    def test_whole_team(self):
        self.company.aftersales_ticket_team_id = self.team_all
        ticket = self._create_ticket()
        self.assertEqual(ticket.team_id, self.team_all)
        self.assertFalse(ticket.user_id)
        self.assertLessEqual(
            (self.user_agent | self.user_agent_2).partner_id, ticket.message_partner_ids
        )
        self.assertFalse(self.team_all.last_assigned_user_id)

    def test_manual_leader_gets_activity(self):
        self.company.aftersales_ticket_team_id = self.team_manual
        ticket = self._create_ticket()
        self.assertEqual(ticket.team_id, self.team_manual)
        self.assertFalse(ticket.user_id)
        activity = ticket.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.user_desk_manager)
        self.assertEqual(
            activity.activity_type_id,
            self.env.ref("aftersales.mail_activity_type_ticket_assign"),
        )
        # An area giving the person: no activity.
        self._area(
            team_id=self.team_manual.id,
            user_id=self.user_agent.id,
            site_ids=[Command.set(self.site.ids)],
        )
        ticket = self._create_ticket(site_id=self.site.id)
        self.assertEqual(ticket.user_id, self.user_agent)
        self.assertFalse(ticket.activity_ids)

    def test_other_company_members_never_chosen(self):
        """Members who may not work in the request's company are skipped,
        whatever the method; an area's person of another company too."""
        self.team.member_ids = [
            Command.link(self.user_agent_b.id),
            Command.link(self.user_agent_ab.id),
        ]
        users = {self._create_ticket().user_id for _i in range(8)}
        self.assertEqual(
            users, {self.user_agent, self.user_agent_2, self.user_agent_ab}
        )
        self.team.assign_method = "least_loaded"
        users = {self._create_ticket().user_id for _i in range(4)}
        self.assertNotIn(self.user_agent_b, users)
        self._area(team_id=self.team.id, user_id=self.user_agent_b.id)
        self.assertNotEqual(self._create_ticket().user_id, self.user_agent_b)
        # The agent of both companies works the second company's requests.
        self.team_b.member_ids = [
            Command.set((self.user_agent_b | self.user_agent_ab | self.user_agent).ids)
        ]
        users_b = {
            self._create_ticket(company_id=self.company_b.id).user_id for _i in range(4)
        }
        self.assertEqual(users_b, {self.user_agent_b, self.user_agent_ab})

    def test_agent_cannot_configure_routing(self):
        """Agents read teams and areas; only desk managers change them (an
        agent would otherwise point the alias or an area to themselves)."""
        area = self._area(partner_ids=[Command.set(self.customer.ids)])
        with self.assertRaises(AccessError):
            self.team.with_user(self.user_agent).write({"assign_method": "manual"})
        with self.assertRaises(AccessError):
            area.with_user(self.user_agent).write({"user_id": self.user_agent.id})
        with self.assertRaises(AccessError):
            self.env["aftersales.ticket.area"].with_user(self.user_agent).create(
                {"name": "Mine", "team_id": self.team.id}
            )
        self.team.with_user(self.user_desk_manager).write({"assign_method": "manual"})
        self.assertEqual(self.team.assign_method, "manual")
        # A technician (internal, not of the desk) reads no request counts.
        with self.assertRaises(AccessError):
            self.team.with_user(self.user_technician).read(["open_ticket_count"])

    def test_team_counts_open_requests(self):
        self._create_ticket()
        solved = self._create_ticket()
        solved.action_solve()
        self.assertEqual(self.team.open_ticket_count, 1)
        action = self.team.action_view_open_tickets()
        self.assertEqual(
            self.env["aftersales.ticket"].search(action["domain"]),
            self.team.ticket_ids - solved,
        )


@tagged("post_install", "-at_install")
class TestConcurrentAssignment(BaseCase):
    """Two requests routed at the same time to a team, each in its own real
    transaction retried by Odoo's `retrying` as a request (or the mail
    gateway's RPC) is: they never get the same agent.

    Least loaded, the last agent stamped being the one both would pick, and
    no mail: only the team's stamp (its row versioned even when the member is
    unchanged) makes the second fail to serialize; without it both get the
    same agent. The data is committed (the other transaction must see it) and
    removed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dbname = get_db_name()
        tag = uuid.uuid4().hex[:8]
        with db_connect(cls.dbname).cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.ref("base.main_company")
            users = env["res.users"]
            for i in range(2):
                users |= new_test_user(
                    env,
                    f"race_agent_{i}_{tag}",
                    groups="aftersales.group_desk_agent",
                    company_id=company.id,
                )
            team = env["aftersales.ticket.team"].create(
                {
                    "name": f"Race desk {tag}",
                    "company_id": company.id,
                    "assign_method": "least_loaded",
                    "member_ids": [Command.set(users.ids)],
                }
            )
            team.last_assigned_user_id = users[0]
            # One customer each: the requests share nothing but the team.
            partners = env["res.partner"].create(
                [
                    {
                        "name": f"Race customer {i} {tag}",
                        "email": f"race{i}.{tag}@example.com",
                    }
                    for i in range(2)
                ]
            )
            cls.user_ids, cls.team_id, cls.partner_ids = (
                users.ids,
                team.id,
                partners.ids,
            )
            cr.commit()  # pylint: disable=invalid-commit
        cls.addClassCleanup(cls._remove_data)

    @classmethod
    def _remove_data(cls):
        with db_connect(cls.dbname).cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["aftersales.ticket"].search([("team_id", "=", cls.team_id)]).unlink()
            env["aftersales.ticket.team"].browse(cls.team_id).unlink()
            users = env["res.users"].browse(cls.user_ids)
            partners = users.partner_id | env["res.partner"].browse(cls.partner_ids)
            users.unlink()
            partners.unlink()
            cr.commit()  # pylint: disable=invalid-commit

    def test_two_requests_never_get_the_same_agent(self):
        results = self._race()
        self.assertEqual(
            sorted(attempts for attempts, _user in results),
            [1, 2],
            "the later request failed to serialize on the team row and was retried",
        )
        self.assertEqual(sorted(user for _attempts, user in results), self.user_ids)

    def test_round_robin_turns_never_meet(self):
        """Round robin takes turns from a sequence: two requests at once get
        different agents without either being replayed."""
        self._set_assign_method("round_robin")
        self.addCleanup(self._set_assign_method, "least_loaded")
        results = self._race()
        self.assertEqual([attempts for attempts, _user in results], [1, 1])
        self.assertEqual(sorted(user for _attempts, user in results), self.user_ids)

    def _set_assign_method(self, method):
        with db_connect(self.dbname).cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["aftersales.ticket.team"].browse(self.team_id).assign_method = method
            cr.commit()  # pylint: disable=invalid-commit

    def _race(self):
        """Route two requests to the team at once, each in its own real
        transaction; [(attempts, user id)] of each."""
        barrier = threading.Barrier(2, timeout=30)
        results = [None, None]

        def worker(index):
            attempts = 0
            with db_connect(self.dbname).cursor() as cr:
                # No mail: only the routing's own writes may meet.
                env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})

                def route():
                    nonlocal attempts
                    attempts += 1
                    team = env["aftersales.ticket.team"].browse(self.team_id)
                    team.read(["last_assigned_user_id"])  # the snapshot, now
                    if attempts == 1:
                        barrier.wait()
                    ticket = env["aftersales.ticket"]._create_from_channel(
                        "phone",
                        {
                            "subject": f"Race {index}",
                            "partner_id": self.partner_ids[index],
                            "team_id": self.team_id,
                        },
                    )
                    return ticket.user_id.id

                user_id = retrying(route, env)
            results[index] = (attempts, user_id)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        return results

"""The service desk demo (issue 20): loads on a database without other demo
data, after demo/aftersales_demo.xml, and shows every channel and stage."""

from odoo.tests import tagged
from odoo.tools import convert_file

from odoo.addons.aftersales.models.aftersales_ticket.core import (
    TICKET_CHANNELS,
    TICKET_STATES,
)

from .common import AftersalesCommon

DEMO_FILES = ("demo/aftersales_demo.xml", "demo/aftersales_ticket_demo.xml")


@tagged("post_install", "-at_install")
class TestTicketDemo(AftersalesCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for path in DEMO_FILES:
            convert_file(
                cls.env, "aftersales", path, idref={}, mode="init", noupdate=True
            )
        cls.tickets = cls.env["aftersales.ticket"].search(
            [("id", "in", cls._demo_ids("aftersales.ticket"))]
        )

    @classmethod
    def _demo_ids(cls, model):
        return (
            cls.env["ir.model.data"]
            .search(
                [
                    ("module", "=", "aftersales"),
                    ("model", "=", model),
                    ("name", "=like", "demo_%"),
                ]
            )
            .mapped("res_id")
        )

    def test_every_channel_and_stage(self):
        self.assertEqual(
            set(self.tickets.mapped("channel")), {c for c, _l in TICKET_CHANNELS}
        )
        self.assertEqual(
            set(self.tickets.mapped("state")), {s for s, _l in TICKET_STATES}
        )
        converted = self.tickets.filtered(lambda t: t.state == "converted")
        self.assertTrue(converted.order_ids)
        self.assertEqual(converted.order_ids.ticket_id, converted)
        self.assertEqual(converted.order_count, 1)
        cancelled = self.tickets.filtered(lambda t: t.state == "cancelled")
        self.assertTrue(cancelled.cancel_reason)
        closed = self.tickets.filtered(lambda t: t.state in ("solved", "converted"))
        self.assertTrue(all(closed.mapped("date_closed")))

    def test_threads_and_first_responses(self):
        answered = self.tickets.filtered("date_first_response")
        self.assertGreaterEqual(len(answered), 5)
        desk_partner = self.env.ref("aftersales.demo_user_desk").partner_id
        for ticket in self.tickets:
            with self.subTest(ticket=ticket.name):
                comments = ticket.message_ids.filtered(
                    lambda m: m.message_type in ("email", "comment", "sms")
                )
                self.assertIn(ticket.partner_id, comments.author_id, "customer asks")
                if ticket.date_first_response:
                    self.assertIn(desk_partner, comments.author_id, "desk answers")
                    self.assertGreater(ticket.first_response_hours, 0)
        new = self.tickets.filtered(lambda t: t.state == "new")
        self.assertTrue(new)
        self.assertFalse(any(new.mapped("date_first_response")), "not answered yet")

    def test_desk_team_alias_agents_and_areas(self):
        ref = self.env.ref
        team = ref("aftersales.aftersales_ticket_team_main")
        self.assertEqual(team.alias_name, "servicedesk")
        self.assertEqual(
            ref("aftersales.demo_ticket_team_climate").alias_name, "climate"
        )
        agent = ref("aftersales.demo_user_desk")
        self.assertEqual(agent.login, "desk")
        self.assertTrue(agent.has_group("aftersales.group_desk_agent"))
        self.assertFalse(agent.has_group("aftersales.group_dispatcher"))
        self.assertIn(agent, team.member_ids)
        self.assertTrue(
            ref("aftersales.demo_user_dispatcher").has_group(
                "aftersales.group_desk_agent"
            )
        )
        areas = self.env["aftersales.ticket.area"].browse(
            self._demo_ids("aftersales.ticket.area")
        )
        self.assertEqual(len(areas), 3)
        self.assertTrue(areas.product_category_ids and areas.partner_ids)
        # The agent works the desk's requests.
        self.assertEqual(
            self.env["aftersales.ticket"]
            .with_user(agent)
            .search([("id", "in", self.tickets.ids)]),
            self.tickets,
        )

    def test_portal_customer_sees_only_her_requests(self):
        customer = self.env.ref("aftersales.demo_user_customer")
        mine = (
            self.env["aftersales.ticket"]
            .with_user(customer)
            .search([("id", "in", self.tickets.ids)])
        )
        self.assertEqual(mine, self.env.ref("aftersales.demo_ticket_portal_waiting"))

    def test_sla_on_open_requests(self):
        ref = self.env.ref
        waiting = ref("aftersales.demo_ticket_portal_waiting")
        self.assertEqual(waiting.sla_policy_id, ref("aftersales.demo_sla_policy_desk"))
        self.assertTrue(waiting.sla_pause_start, "paused while waiting")
        urgent = ref("aftersales.demo_ticket_qr_new")
        self.assertEqual(
            urgent.sla_policy_id, ref("aftersales.demo_sla_policy_desk_urgent")
        )
        self.assertEqual(urgent.site_id, ref("aftersales.demo_site_mustafa_yali"))
        # The site's QR page opens with the token the README names.
        self.assertEqual(
            self.env["res.partner"]._aftersales_get_by_site_token(
                "demo-kalamis-yali-7d41c9e2"
            ),
            urgent.site_id,
        )
        self.assertTrue(urgent.sla_response_deadline)
        solved = self.tickets.filtered(lambda t: t.state == "solved")
        self.assertEqual(set(solved.mapped("sla_status")), {"met"})
        # A desk policy does not stamp work orders.
        self.assertFalse(
            self.env["aftersales.order"].search(
                [("sla_policy_id", "=", ref("aftersales.demo_sla_policy_desk").id)]
            )
        )

    def test_articles_and_deflections(self):
        articles = self.env["aftersales.article"].browse(
            self._demo_ids("aftersales.article")
        )
        self.assertGreaterEqual(len(articles), 4)
        self.assertEqual(set(articles.mapped("is_published")), {True, False})
        self.assertTrue(articles.product_ids and articles.product_category_ids)
        deflections = self.env["aftersales.article.deflection"].browse(
            self._demo_ids("aftersales.article.deflection")
        )
        self.assertGreaterEqual(len(deflections), 2)
        self.assertTrue(deflections.article_id.filtered("is_published"))

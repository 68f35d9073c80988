from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import TicketCommon


@tagged("post_install", "-at_install")
class TestTicketCore(TicketCommon):
    """The request's state machine, its guards and the customer found or
    created from what a channel read."""

    def test_reference_and_stage(self):
        ticket = self._create_ticket()
        self.assertTrue(ticket.name.startswith("REQ/"))
        self.assertEqual(ticket.state, "new")
        self.assertEqual(ticket.stage_id.state, "new")
        self.assertEqual(ticket.site_id, self.customer)

    def test_transitions_as_agent(self):
        ticket = self._create_ticket().with_user(self.user_agent)
        ticket.action_open()
        self.assertEqual(ticket.stage_id.state, "open")
        ticket.action_wait()
        ticket.action_solve()
        self.assertEqual(ticket.state, "solved")
        self.assertTrue(ticket.date_closed)
        self.assertGreaterEqual(ticket.resolution_hours, 0.0)
        with self.assertRaises(UserError):
            ticket.action_wait()
        ticket.action_reopen()
        self.assertFalse(ticket.date_closed)

    def test_workflow_fields_not_writable(self):
        ticket = self._create_ticket().with_user(self.user_agent)
        with self.assertRaises(UserError):
            ticket.write({"state": "solved"})
        with self.assertRaises(UserError):
            ticket.write({"date_first_response": "2026-01-01 00:00:00"})

    def test_technician_cannot_work_requests(self):
        ticket = self._create_ticket()
        with self.assertRaises(AccessError):
            ticket.with_user(self.user_technician).action_open()

    def test_other_company_agent_does_not_see(self):
        ticket = self._create_ticket()
        Ticket = self.env["aftersales.ticket"].with_user(self.user_agent_b)
        self.assertFalse(Ticket.search([("id", "=", ticket.id)]))

    def test_customer_found_by_email_then_phone(self):
        Ticket = self.env["aftersales.ticket"]
        found = Ticket._find_or_create_customer(
            "X", " Moda.Customer@Example.com ", None, self.company
        )
        self.assertEqual(found, self.customer)
        found = Ticket._find_or_create_customer(
            "X", None, "0530 111 22 33", self.company
        )
        self.assertEqual(found, self.customer)
        new = Ticket._find_or_create_customer(
            "New Person", "new.person@example.com", None, self.company
        )
        self.assertEqual(new.name, "New Person")
        self.assertEqual(new.email, "new.person@example.com")

    def test_bad_contact_refused_nothing_created(self):
        Ticket = self.env["aftersales.ticket"]
        count = Ticket.search_count([])
        for email, phone in (("not-an-email", None), (None, "12"), (None, None)):
            with self.assertRaises(UserError):
                Ticket._create_from_channel(
                    "web", {"subject": "S", "name": "N", "email": email, "phone": phone}
                )
        self.assertEqual(Ticket.search_count([]), count)

    def test_intake_wakes_the_mail_queue(self):
        """A new request's mails are queued (the channel does not wait on
        SMTP) and the mail queue's cron is woken for them."""
        cron = self.env.ref("mail.ir_cron_mail_scheduler_action")
        Trigger = self.env["ir.cron.trigger"].sudo()
        before = Trigger.search_count([("cron_id", "=", cron.id)])
        ticket = self._create_ticket("web")
        self.assertEqual(ticket.env.context.get("mail_notify_force_send"), False)
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), before + 1)

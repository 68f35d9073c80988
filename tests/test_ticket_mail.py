from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import MockEmail

from .common import TicketCommon

NEW_MAIL = """Return-Path: <{return_path}>
To: {to}
From: {email_from}
Subject: {subject}
Message-ID: {msg_id}
Date: Tue, 01 Dec 2026 10:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="XYZ"
{extra}
--XYZ
Content-Type: text/plain; charset="utf-8"

The dryer stops after ten minutes.
--XYZ
Content-Type: text/plain; name="error_code.txt"
Content-Disposition: attachment; filename="error_code.txt"

E21
--XYZ--
"""

REPLY_MAIL = """Return-Path: <{return_path}>
To: {to}
From: {email_from}
Subject: {subject}
Message-ID: {msg_id}
In-Reply-To: {in_reply_to}
References: {in_reply_to}
Date: Tue, 01 Dec 2026 12:00:00 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"

{body}
"""


class TicketMailCommon(TicketCommon, MockEmail):
    """Alias domains for both companies and an alias per team."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._init_mail_gateway()
        cls.domain_b = cls._init_alias_domain(
            "brand-b.example.com",
            {
                "name": "brand-b.example.com",
                "bounce_alias": "bounce.b",
                "catchall_alias": "catchall.b",
                "default_from": "notifications.b",
                "company_ids": [Command.link(cls.company_b.id)],
                "sequence": 2,
            },
        )
        cls.company.email = "desk@moda-service.example.com"
        cls.team.write(
            {"alias_name": "desk", "alias_domain_id": cls.mail_alias_domain.id}
        )
        # The same local part in the other company's domain: its own team.
        cls.team_b.write({"alias_name": "desk", "alias_domain_id": cls.domain_b.id})
        cls.team_warranty = cls.env["aftersales.ticket.team"].create(
            {
                "name": "Warranty Desk",
                "alias_name": "warranty",
                "assign_method": "round_robin",
                "member_ids": [Command.set(cls.user_agent_2.ids)],
            }
        )
        cls.desk_email = f"desk@{cls.alias_domain}"
        cls._msg_count = 0

    def _process(
        self,
        template=NEW_MAIL,
        email_from="Zeynep Yılmaz <zeynep@example.org>",
        to=None,
        subject="Dryer stops",
        **kwargs,
    ):
        """Run a mail through Odoo's gateway as the fetchmail cron does."""
        type(self)._msg_count += 1
        kwargs.setdefault("msg_id", f"<mail-{self._msg_count}-{id(self)}@example.org>")
        mail = self.format(
            template,
            to=to or self.desk_email,
            subject=subject,
            email_from=email_from,
            **kwargs,
        )
        return self.env["mail.thread"].sudo().message_process(None, mail)

    def _reply(
        self,
        ticket,
        message,
        email_from="moda.customer@example.com",
        body="Here is the photo you asked for.",
    ):
        """The customer answers ``message`` of ``ticket`` by e-mail."""
        self._process(
            REPLY_MAIL,
            email_from=email_from,
            subject=f"Re: {ticket.subject}",
            in_reply_to=message.message_id,
            body=body,
        )
        return ticket.message_ids[0]

    def _answer(self, ticket, body="Could you send a photo?", user=None):
        """An agent answers the customer from the chatter."""
        return ticket.with_user(user or self.user_agent).message_post(
            body=body, message_type="comment", subtype_xmlid="mail.mt_comment"
        )

    def _acknowledge(self):
        """Run the acknowledgements' cron as the scheduler would (its commits
        left out)."""
        self.env["aftersales.ticket"]._cron_send_acknowledgements(
            after_batch=lambda processed, remaining=None: True
        )

    def _notified(self, message):
        """The partners ``message`` notified (inbox or e-mail)."""
        return (
            self.env["mail.notification"]
            .sudo()
            .search([("mail_message_id", "=", message.id)])
            .res_partner_id
        )


@tagged("post_install", "-at_install")
class TestTicketMailIntake(TicketMailCommon):
    """Mails to a team's alias, through message_process: requests, customers,
    replies, reopening, first response, who hears what."""

    def test_new_mail_new_contact(self):
        Ticket = self.env["aftersales.ticket"]
        with self.mock_mail_gateway():
            ticket_id = self._process()
            ticket = Ticket.browse(ticket_id)
            # The acknowledgement waits for its cron: the intake does not
            # render it.
            self.assertTrue(ticket.acknowledgement_pending)
            self.assertFalse(
                ticket.message_ids.filtered(lambda m: m.message_type == "auto_comment")
            )
            self._acknowledge()
            self._acknowledge()  # a second run sends nothing more
        self.assertFalse(ticket.acknowledgement_pending)
        self.assertEqual(ticket.channel, "email")
        self.assertEqual(ticket.subject, "Dryer stops")
        self.assertIn("stops after ten minutes", ticket.description)
        self.assertEqual(ticket.team_id, self.team)
        self.assertEqual(ticket.company_id, self.company)
        self.assertEqual(ticket.user_id, self.user_agent)
        partner = ticket.partner_id
        self.assertEqual(partner.name, "Zeynep Yılmaz")
        self.assertEqual(partner.email, "zeynep@example.org")
        self.assertFalse(partner.company_id)
        self.assertEqual(ticket.email_from, "zeynep@example.org")
        # Customer and responsible follow; the gateway's user does not.
        self.assertEqual(
            ticket.message_partner_ids, partner | self.user_agent.partner_id
        )
        # The mail is in the thread, as the customer's, with its attachment.
        incoming = ticket.message_ids.filtered(lambda m: m.message_type == "email")
        self.assertEqual(incoming.author_id, partner)
        self.assertEqual(incoming.attachment_ids.mapped("name"), ["error_code.txt"])
        self.assertEqual(incoming.attachment_ids.res_id, ticket.id)
        # The responsible hears of it; the customer does not get their own mail.
        self.assertIn(self.user_agent.partner_id, self._notified(incoming))
        self.assertNotIn(partner, self._notified(incoming))
        # The acknowledgement: to the customer only, with the reference, and
        # replies go to the team's alias.
        ack = self._new_mails.filtered(lambda m: partner in m.recipient_ids)
        self.assertEqual(len(ack), 1)
        self.assertIn(ticket.name, ack.subject)
        self.assertEqual(ack.recipient_ids, partner)
        self.assertIn(self.desk_email, ack.reply_to)
        self.assertFalse(ticket.date_first_response)
        # The responsible gets one mail, the customer's, not a second "you
        # have been assigned" notice.
        to_agent = self._new_mails.filtered(
            lambda m: self.user_agent.partner_id in m.recipient_ids
        )
        self.assertEqual(len(to_agent), 1)
        self.assertEqual(to_agent.mail_message_id, incoming)

    def test_known_customer(self):
        partners_before = self.env["res.partner"].search_count([])
        ticket = self.env["aftersales.ticket"].browse(
            self._process(email_from="Moda <MODA.customer@example.com>")
        )
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertEqual(self.env["res.partner"].search_count([]), partners_before)
        self.assertIn(self.customer, ticket.message_partner_ids)
        # The portal customer sees it among theirs.
        self.assertTrue(ticket.with_user(self.portal_user).has_access("read"))

    def test_alias_per_team_and_company(self):
        Ticket = self.env["aftersales.ticket"]
        warranty = Ticket.browse(
            self._process(to=f"warranty@{self.alias_domain}", subject="Warranty card")
        )
        self.assertEqual(warranty.team_id, self.team_warranty)
        self.assertEqual(warranty.user_id, self.user_agent_2)
        # desk@ in the second company's domain: the second company's desk.
        ticket_b = Ticket.browse(
            self._process(to="desk@brand-b.example.com", subject="B")
        )
        self.assertEqual(ticket_b.team_id, self.team_b)
        self.assertEqual(ticket_b.company_id, self.company_b)
        self.assertEqual(ticket_b.user_id, self.user_agent_b)
        self.assertIn(
            "desk@brand-b.example.com", ticket_b._notify_get_reply_to()[ticket_b.id]
        )
        self.assertEqual(self.team.alias_email, self.desk_email)
        # Moving the team to the other company moves its alias defaults.
        self.team_warranty.company_id = self.company_b
        self.assertIn(str(self.company_b.id), self.team_warranty.alias_defaults)

    def test_invalid_sender_refused(self):
        Ticket = self.env["aftersales.ticket"]
        before = Ticket.search_count([]), self.env["res.partner"].search_count([])
        with self.mock_mail_gateway():
            self.assertFalse(self._process(email_from="Not an address <nobody>"))
            # Our own alias writing to itself: a loop, refused too.
            self.assertFalse(self._process(email_from=f"warranty@{self.alias_domain}"))
        self.assertEqual(
            (Ticket.search_count([]), self.env["res.partner"].search_count([])), before
        )
        # A bounce, not an invalid alias: the alias keeps working.
        self.assertNotEqual(self.team.alias_id.alias_status, "invalid")

    def test_reply_lands_in_thread_and_resumes_waiting(self):
        ticket = self._create_ticket("email")
        answer = self._answer(ticket)
        ticket.with_user(self.user_agent).action_wait()
        count = self.env["aftersales.ticket"].search_count([])
        with self.mock_mail_gateway():
            reply = self._reply(ticket, answer)
        self.assertEqual(self.env["aftersales.ticket"].search_count([]), count)
        self.assertEqual(reply.author_id, self.customer)
        self.assertEqual(reply.subtype_id, self.env.ref("mail.mt_comment"))
        self.assertIn("photo you asked", reply.body)
        self.assertEqual(ticket.state, "open")
        # The responsible hears of the follow-up, by e-mail.
        self.assertIn(ticket.user_id.partner_id, self._notified(reply))
        mail = self._new_mails.filtered(lambda m: m.mail_message_id == reply)
        self.assertIn(ticket.user_id.partner_id, mail.recipient_ids)

    def test_reply_to_acknowledgement_is_public(self):
        """The customer answering the acknowledgement: a public message that
        the responsible hears of, not an internal note."""
        with self.mock_mail_gateway():
            ticket = self.env["aftersales.ticket"].browse(self._process())
            self._acknowledge()
        ack = ticket.message_ids.filtered(lambda m: m.message_type == "auto_comment")
        self.assertEqual(len(ack), 1)
        reply = self._reply(ticket, ack, email_from="zeynep@example.org")
        self.assertEqual(reply.subtype_id, self.env.ref("mail.mt_comment"))
        self.assertIn(ticket.user_id.partner_id, self._notified(reply))

    def test_reply_reopens_solved_within_days(self):
        ticket = self._create_ticket("email")
        answer = self._answer(ticket)
        ticket.with_user(self.user_agent).action_solve()
        self._reply(ticket, answer)
        self.assertEqual(ticket.state, "open")
        self.assertFalse(ticket.date_closed)

    def test_late_reply_opens_follow_up(self):
        ticket = self._create_ticket("email")
        answer = self._answer(ticket)
        ticket.with_user(self.user_agent).action_solve()
        days = self.company.aftersales_ticket_reopen_days
        ticket._workflow_write(
            {"date_closed": fields.Datetime.now() - timedelta(days=days + 1)}
        )
        with self.mock_mail_gateway():
            self._reply(ticket, answer, body="It leaks again.")
        self.assertEqual(ticket.state, "solved")
        follow_up = self.env["aftersales.ticket"].search(
            [("parent_ticket_id", "=", ticket.id)]
        )
        self.assertEqual(len(follow_up), 1)
        self.assertEqual(follow_up.partner_id, self.customer)
        self.assertEqual(follow_up.channel, "email")
        self.assertEqual(follow_up.state, "new")
        self.assertIn("leaks again", follow_up.description)
        self.assertIn(
            ticket.name,
            follow_up.message_ids[0].body
            + "".join(follow_up.message_ids.mapped("body")),
        )
        self.assertTrue(
            self._new_mails.filtered(lambda m: follow_up.name in (m.subject or ""))
        )
        # The parent reference is the machine's, not a user's.
        with self.assertRaises(UserError):
            follow_up.with_user(self.user_agent).write({"parent_ticket_id": False})

    def test_reply_on_converted_or_cancelled_only_notifies(self):
        converted = self._create_ticket("email")
        answer = self._answer(converted)
        converted._action_mark_converted()
        cancelled = self._create_ticket("email")
        answer_c = self._answer(cancelled)
        cancelled.with_user(self.user_agent).action_cancel("Duplicate")
        count = self.env["aftersales.ticket"].search_count([])
        reply = self._reply(converted, answer)
        reply_c = self._reply(cancelled, answer_c)
        self.assertEqual((converted.state, cancelled.state), ("converted", "cancelled"))
        self.assertEqual(self.env["aftersales.ticket"].search_count([]), count)
        self.assertIn(converted.user_id.partner_id, self._notified(reply))
        self.assertIn(cancelled.user_id.partner_id, self._notified(reply_c))

    def test_first_response_by_comment_not_note(self):
        ticket = self._create_ticket("email")
        # The customer's own message is no answer.
        ticket.message_post(
            body="Any news?",
            author_id=self.customer.id,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self.assertFalse(ticket.date_first_response)
        # A note of the desk is no answer either.
        ticket.with_user(self.user_agent).message_post(
            body="Checking stock", message_type="comment", subtype_xmlid="mail.mt_note"
        )
        self.assertFalse(ticket.date_first_response)
        self._answer(ticket)
        first = ticket.date_first_response
        self.assertTrue(first)
        self._answer(ticket, body="Second answer", user=self.user_agent_2)
        self.assertEqual(ticket.date_first_response, first)

    def test_customer_hears_answers_not_notes(self):
        ticket = self._create_ticket("email")
        with self.mock_mail_gateway():
            note = ticket.with_user(self.user_agent).message_post(
                body="Customer is difficult",
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )
            answer = self._answer(ticket)
        self.assertNotIn(self.customer, self._notified(note))
        self.assertFalse(self._new_mails.filtered(lambda m: m.mail_message_id == note))
        self.assertIn(self.customer, self._notified(answer))
        mail = self._new_mails.filtered(lambda m: m.mail_message_id == answer)
        self.assertEqual(mail.recipient_ids, self.customer)
        self.assertIn(self.desk_email, mail.reply_to)

    def test_whole_team_members_follow_and_hear(self):
        self.team.assign_method = "team"
        with self.mock_mail_gateway():
            ticket = self.env["aftersales.ticket"].browse(self._process())
        self.assertFalse(ticket.user_id)
        members = (self.user_agent | self.user_agent_2).partner_id
        self.assertLessEqual(members, ticket.message_partner_ids)
        incoming = ticket.message_ids.filtered(lambda m: m.message_type == "email")
        self.assertLessEqual(members, self._notified(incoming))

    def test_acknowledgement_channels(self):
        """E-mail, web, portal, QR customers with an address get one; a
        phone request or a customer without e-mail does not."""
        no_mail = self.env["res.partner"].create(
            {"name": "No Mail", "phone": "+905301110000"}
        )
        with self.mock_mail_gateway():
            web = self._create_ticket("web")
            phone = self._create_ticket("phone")
            sms = self._create_ticket("qr", partner_id=no_mail.id)
            self._acknowledge()
        acks = self._new_mails.filtered(
            lambda m: (
                m.mail_message_id.message_type == "auto_comment"
                and m.mail_message_id.res_id in (web | phone | sms).ids
            )
        )
        self.assertEqual(acks.mail_message_id.mapped("res_id"), web.ids)
        self.assertIn(web.name, acks.subject)
        self.assertFalse(
            (phone | sms).message_ids.filtered(
                lambda m: m.message_type == "auto_comment"
            )
        )
        ack = web.message_ids.filtered(lambda m: m.message_type == "auto_comment")
        self.assertEqual(self._notified(ack), self.customer)
        # In the customer's language (the template's lang).
        template = self.env.ref("aftersales.mail_template_ticket_acknowledgement")
        self.assertEqual(template.lang, "{{ object.partner_id.lang }}")

    def test_loop_protection_is_odoo_s(self):
        """Odoo's gateway drops a sender's mails past the threshold of new
        records in the period: an auto-responder cannot flood the desk."""
        self.env["ir.config_parameter"].set_param("mail.gateway.loop.threshold", 2)
        Ticket = self.env["aftersales.ticket"]
        ids = [self._process(subject=f"Auto reply {i}") for i in range(3)]
        self.assertTrue(ids[0] and ids[1])
        self.assertFalse(ids[2])
        self.assertEqual(
            Ticket.search_count([("email_from", "=", "zeynep@example.org")]), 2
        )


@tagged("post_install", "-at_install")
class TestTicketMailPortal(HttpCase, TicketMailCommon):
    """The portal customer posting on the request's portal chatter (the
    route Odoo's portal composer calls) reaches the responsible."""

    def test_portal_message_reaches_responsible(self):
        ticket = self._create_ticket("portal")
        ticket.with_user(self.user_agent).action_wait()
        self.assertTrue(ticket.user_id)
        self.authenticate(self.portal_user.login, self.portal_user.login)
        ticket._portal_ensure_token()
        result = self.make_jsonrpc_request(
            "/mail/message/post",
            {
                "thread_model": ticket._name,
                "thread_id": ticket.id,
                "post_data": {
                    "body": "The machine is at the back door.",
                    "message_type": "comment",
                    "subtype_xmlid": "mail.mt_comment",
                },
                "token": ticket.access_token,
            },
        )
        message = self.env["mail.message"].browse(result["message_id"])
        self.assertEqual(message.author_id, self.customer)
        self.assertIn(ticket.user_id.partner_id, self._notified(message))
        self.assertEqual(ticket.state, "open")
        self.assertFalse(ticket.date_first_response)

    def test_portal_customer_cannot_post_on_others(self):
        other = self._create_ticket("portal", partner_id=self.other_customer.id)
        self.authenticate(self.portal_user.login, self.portal_user.login)
        with self.assertRaises(JsonRpcException), mute_logger("odoo.http"):
            self.make_jsonrpc_request(
                "/mail/message/post",
                {
                    "thread_model": other._name,
                    "thread_id": other.id,
                    "post_data": {"body": "Hello", "message_type": "comment"},
                },
            )
        self.assertFalse(
            other.message_ids.filtered(lambda m: m.author_id == self.customer)
        )

"""Live chat: the chatbot step that opens a service request (channel
``chat``), played as a visitor through im_livechat's routes, and the shipped
After-Sales Assistant script in a browser."""

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, tagged
from odoo.tools import convert_file

from .common import TicketCommon


@tagged("post_install", "-at_install")
class TestTicketChatbot(TicketCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ref = cls.env.ref
        cls.script = ref("aftersales.chatbot_script_aftersales")
        cls.step_email = ref("aftersales.chatbot_script_aftersales_step_email")
        cls.step_phone = ref("aftersales.chatbot_script_aftersales_step_phone")
        cls.step_describe = ref("aftersales.chatbot_script_aftersales_step_describe")
        cls.step_ticket = ref(
            "aftersales.chatbot_script_aftersales_step_ticket_product"
        )
        cls.step_goodbye = ref("aftersales.chatbot_script_aftersales_step_goodbye")
        cls.answer_product = ref("aftersales.chatbot_script_aftersales_answer_product")
        cls.answer_question = ref(
            "aftersales.chatbot_script_aftersales_answer_question"
        )
        cls.livechat_channel = cls.env["im_livechat.channel"].create(
            {
                "name": "Test After-Sales Chat",
                "rule_ids": [Command.create({"chatbot_script_id": cls.script.id})],
            }
        )

    # ------------------------------------------------------------
    # Helpers: the visitor's side, through im_livechat's routes
    # ------------------------------------------------------------

    def _start(self):
        """A new conversation: the bot has posted its welcome and the first
        question (im_livechat's welcome steps)."""
        data = self.make_jsonrpc_request(
            "/im_livechat/get_session",
            {
                "channel_id": self.livechat_channel.id,
                "chatbot_script_id": self.script.id,
            },
        )
        return self.env["discuss.channel"].sudo().browse(data["channel_id"])

    def _say(self, channel, text, answer=None, email=False):
        """Post as the visitor, as the chat window does, then let the bot go
        on; return whether the bot accepted the e-mail (when asked)."""
        data = self.make_jsonrpc_request(
            "/mail/message/post",
            {
                "thread_model": "discuss.channel",
                "thread_id": channel.id,
                "post_data": {
                    "body": text,
                    "message_type": "comment",
                    "subtype_xmlid": "mail.mt_comment",
                },
            },
        )
        if answer:
            self.make_jsonrpc_request(
                "/chatbot/answer/save",
                {
                    "channel_id": channel.id,
                    "message_id": data["message_id"],
                    "selected_answer_id": answer.id,
                },
            )
        if email:
            result = self.make_jsonrpc_request(
                "/chatbot/step/validate_email", {"channel_id": channel.id}
            )
            if not result["success"]:
                return False
        self.make_jsonrpc_request("/chatbot/step/trigger", {"channel_id": channel.id})
        return True

    def _play(self, email="visitor@example.com", phone="0532 123 45 67", answer=None):
        channel = self._start()
        answer = answer or self.answer_product
        self._say(channel, answer.name, answer=answer)
        self.assertEqual(channel.chatbot_current_step_id, self.step_email)
        self.assertTrue(self._say(channel, email, email=True))
        self.assertEqual(channel.chatbot_current_step_id, self.step_phone)
        self._say(channel, phone)
        self.assertEqual(channel.chatbot_current_step_id, self.step_describe)
        self._say(channel, "My washing machine TWM-0001 leaks water")
        return channel

    def _channel_ticket(self, channel):
        return self.env["aftersales.ticket"].search(
            [("channel", "=", "chat"), ("discuss_channel_id", "=", channel.id)]
        )

    def _bot_messages(self, channel):
        bot = self.script.operator_partner_id
        return channel.message_ids.filtered(lambda m: m.author_id == bot)

    # ------------------------------------------------------------
    # Tests
    # ------------------------------------------------------------

    def test_step_opens_a_request_for_a_new_visitor(self):
        partners = self.env["res.partner"].search_count([])
        channel = self._play()
        self.assertEqual(channel.chatbot_current_step_id, self.step_ticket)
        ticket = self._channel_ticket(channel)
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.channel, "chat")
        self.assertEqual(ticket.category_id, self.category_report)
        self.assertEqual(ticket.company_id, self.company)
        self.assertEqual(ticket.subject, "My washing machine TWM-0001 leaks water")
        customer = ticket.partner_id
        self.assertEqual(self.env["res.partner"].search_count([]), partners + 1)
        self.assertEqual(customer.email, "visitor@example.com")
        self.assertEqual(customer.phone, "+905321234567")
        self.assertIn(customer, ticket.message_partner_ids, "hears of the answers")
        # The conversation is the description.
        for text in (
            "Which e-mail address can we answer you at?",
            "visitor@example.com",
            "A problem with a product",
            "leaks water",
        ):
            self.assertIn(text, ticket.description)
        # The visitor reads the reference in the chat, and the bot goes on.
        self.assertIn(ticket.name, self._bot_messages(channel)[0].body)
        self.make_jsonrpc_request("/chatbot/step/trigger", {"channel_id": channel.id})
        self.assertEqual(channel.chatbot_current_step_id, self.step_goodbye)

    def test_known_e_mail_finds_the_customer_and_the_team_of_the_step(self):
        self.step_ticket.aftersales_ticket_team_id = self.team
        partners = self.env["res.partner"].search_count([])
        channel = self._play(email="Moda.Customer@example.com")
        ticket = self._channel_ticket(channel)
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertEqual(ticket.team_id, self.team)
        self.assertEqual(self.env["res.partner"].search_count([]), partners)

    def test_logged_in_customer_is_the_customer_whatever_e_mail_typed(self):
        self.authenticate(self.portal_user.login, self.portal_user.login)
        channel = self._play(email="someone.else@example.com")
        ticket = self._channel_ticket(channel)
        self.assertEqual(ticket.partner_id, self.portal_user.partner_id)
        self.assertEqual(ticket.email_from, "moda.customer@example.com")
        self.assertFalse(
            self.env["res.partner"].search(
                [("email", "=", "someone.else@example.com")]
            ),
            "no contact made of what a logged-in customer typed",
        )

    def test_other_answer_opens_a_request_of_its_category(self):
        channel = self._play(answer=self.answer_question)
        self.assertEqual(
            self._channel_ticket(channel).category_id, self.category_question
        )

    def test_invalid_e_mail_makes_the_bot_ask_again(self):
        channel = self._start()
        self._say(channel, self.answer_product.name, answer=self.answer_product)
        self.assertFalse(self._say(channel, "my e-mail is secret", email=True))
        self.assertIn(
            "does not look like a valid email", self._bot_messages(channel)[0].body
        )
        self.assertEqual(channel.chatbot_current_step_id, self.step_email)
        with self.assertRaises(ValidationError):
            self.step_email._process_answer(channel, "<p>my e-mail is secret</p>")
        self.assertTrue(self._say(channel, "visitor@example.com", email=True))
        self.assertEqual(channel.chatbot_current_step_id, self.step_phone)

    def test_a_phone_that_is_not_one_is_left_out(self):
        channel = self._play(phone="no")
        ticket = self._channel_ticket(channel)
        self.assertEqual(ticket.partner_id.email, "visitor@example.com")
        self.assertFalse(ticket.partner_id.phone)
        self.assertIn("no", ticket.description, "the conversation keeps it")

    def test_without_e_mail_or_phone_the_bot_says_why(self):
        # A script without an e-mail step, and a phone that is not one.
        self.step_email.step_type = "text"
        channel = self._start()
        self._say(channel, self.answer_product.name, answer=self.answer_product)
        # The former e-mail step, now a text: the bot goes on to the phone.
        self.make_jsonrpc_request("/chatbot/step/trigger", {"channel_id": channel.id})
        self.assertEqual(channel.chatbot_current_step_id, self.step_phone)
        self._say(channel, "no")
        partners = self.env["res.partner"].search_count([])
        self._say(channel, "It leaks")
        self.assertFalse(self._channel_ticket(channel))
        self.assertEqual(self.env["res.partner"].search_count([]), partners)
        self.assertIn(
            "I could not open a service request", self._bot_messages(channel)[0].body
        )

    def test_the_visitor_cannot_read_the_request(self):
        channel = self._play()
        ticket = self._channel_ticket(channel)
        public = self.env.ref("base.public_user")
        with self.assertRaises(AccessError):
            ticket.with_user(public).check_access("read")
        self.assertTrue(ticket.with_user(self.user_agent).has_access("read"))

    def test_demo_channel_plays_the_shipped_script(self):
        convert_file(
            self.env,
            "aftersales",
            "demo/aftersales_chatbot_demo.xml",
            idref={},
            mode="init",
            noupdate=True,
        )
        channel = self.env.ref("aftersales.im_livechat_channel_aftersales_demo")
        rule = self.env["im_livechat.channel.rule"].match_rule(
            channel.id, f"/im_livechat/support/{channel.id}"
        )
        self.assertEqual(rule.chatbot_script_id, self.script)

    def test_tour_after_sales_assistant(self):
        self.start_tour(
            f"/im_livechat/support/{self.livechat_channel.id}",
            "aftersales_chatbot_tour",
        )
        ticket = self.env["aftersales.ticket"].search(
            [("channel", "=", "chat"), ("email_from", "=", "tour.visitor@example.com")]
        )
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.partner_id.phone, "+905321234567")
        self.assertIn("leaks water", ticket.description)
        self.assertEqual(ticket.category_id, self.category_report)

"""The chatbot step that opens a service request (im_livechat)."""

from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import html2plaintext

# Characters of the visitor's first free answer kept as the subject.
SUBJECT_LENGTH = 100


class ChatbotScriptStep(models.Model):
    _inherit = "chatbot.script.step"

    step_type = fields.Selection(
        selection_add=[("create_aftersales_ticket", "Create Service Request")],
        ondelete={"create_aftersales_ticket": "cascade"},
    )
    aftersales_ticket_team_id = fields.Many2one(
        "aftersales.ticket.team",
        string="Service Desk Team",
        ondelete="set null",
        index="btree_not_null",
        help="The team the request goes to; empty, the desk's routing decides.",
    )
    aftersales_ticket_category_id = fields.Many2one(
        "aftersales.ticket.category",
        string="Request Category",
        ondelete="set null",
    )

    # ------------------------------------------------------------
    # Processing
    # ------------------------------------------------------------

    def _process_step(self, discuss_channel):
        self.ensure_one()
        if self.step_type != "create_aftersales_ticket":
            return super()._process_step(discuss_channel)
        try:
            # Nothing half-made (a contact without a request) on a refusal.
            with self.env.cr.savepoint():
                ticket = self._process_step_create_aftersales_ticket(discuss_channel)
        except UserError as error:
            body = Markup("<p>%s</p><p>%s</p>") % (
                self.env._(
                    "I could not open a service request: %(reason)s",
                    reason=error.args[0],
                ),
                self.env._("Please write to us or call us instead."),
            )
            return discuss_channel._chatbot_post_message(self.chatbot_script_id, body)
        body = Markup("%s<p>%s</p>") % (
            self.message or "",
            self.env._(
                "Your service request is %(reference)s: keep it to follow it up.",
                reference=ticket.name,
            ),
        )
        return discuss_channel._chatbot_post_message(self.chatbot_script_id, body)

    def _process_step_create_aftersales_ticket(self, discuss_channel):
        """Open a request (channel ``chat``) from the conversation: the
        visitor's e-mail and phone answered in earlier steps (the customer
        found or created by them; a logged-in visitor is the customer), the
        conversation as its description. Raises UserError when the visitor
        gave neither a usable e-mail nor phone."""
        self.ensure_one()
        # The visitor is the public user or a portal customer: neither may
        # create requests. The script, set up by a live chat manager, decides
        # what is created; the visitor only gives the whitelisted values below.
        ticket_sudo = self.env["aftersales.ticket"].sudo()
        step_sudo = self.sudo()
        team = step_sudo.aftersales_ticket_team_id
        category = step_sudo.aftersales_ticket_category_id
        company = team.company_id or category.company_id or self.env.company
        customer = self._chatbot_prepare_customer_values(
            discuss_channel, create_partner=False, update_partner=False
        )
        email = (customer["email"] or "").strip()
        phone = (customer["phone"] or "").strip()
        if phone and not self.env["res.partner"]._phone_format(
            number=phone, country=company.country_id, force_format="E164"
        ):
            # "No", "-" or a typo: the request goes on by e-mail; the
            # conversation keeps what the visitor typed.
            phone = ""
        values = {
            "company_id": company.id,
            "email": email,
            "phone": phone,
            "subject": self._aftersales_ticket_subject(discuss_channel),
            "description": self._aftersales_ticket_description(discuss_channel),
            "description_is_html": True,
            "category_id": category.id,
            "team_id": team.id,
            "discuss_channel_id": discuss_channel.id,
        }
        if not self.env.user._is_public():
            # A logged-in customer is the customer; what they typed stays in
            # the conversation, as crm_livechat does for its leads.
            values.update(partner_id=self.env.user.partner_id.id, email="", phone="")
        ticket_sudo = ticket_sudo._create_from_channel("chat", values)
        # The customer hears of the desk's answers by e-mail.
        ticket_sudo.message_subscribe(partner_ids=ticket_sudo.partner_id.ids)
        return ticket_sudo

    def _aftersales_ticket_subject(self, discuss_channel):
        message = self._find_first_user_free_input(discuss_channel)
        text = " ".join(html2plaintext(message.body or "").split())
        if len(text) > SUBJECT_LENGTH:
            text = text[: SUBJECT_LENGTH - 1].rstrip() + "…"
        return text or self.env._(
            "%(bot)s: live chat request", bot=self.chatbot_script_id.title
        )

    def _aftersales_ticket_description(self, discuss_channel):
        """Which conversation it was (the link a core field should hold, see
        the report of issue 20) and the conversation itself."""
        intro = self.env._(
            "Opened by the chatbot %(bot)s in live chat conversation #%(id)s "
            "(%(name)s).",
            bot=self.chatbot_script_id.title,
            id=discuss_channel.id,
            name=discuss_channel.name,
        )
        return Markup("<p>%s</p>%s") % (intro, discuss_channel._get_channel_history())

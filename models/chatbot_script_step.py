"""The chatbot step that opens a service request (im_livechat)."""

from odoo import models


class ChatbotScriptStep(models.Model):
    _inherit = "chatbot.script.step"

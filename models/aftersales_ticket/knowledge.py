"""knowledge seam of aftersales.ticket (see __init__.py): the articles the
agent is offered for a request, and the article a solved request proposes."""

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import html2plaintext, plaintext2html

SUGGESTED_ARTICLES = 5


class AftersalesTicket(models.Model):
    _inherit = "aftersales.ticket"

    suggested_article_ids = fields.Many2many(
        "aftersales.article",
        compute="_compute_suggested_article_ids",
        string="Suggested Articles",
        help="Articles matching the request's product, category and words, "
        "published or not (the agent reads them all).",
    )
    proposed_article_ids = fields.One2many(
        "aftersales.article", "ticket_id", string="Proposed Articles"
    )

    @api.depends("subject", "description", "product_id", "category_id")
    @api.depends_context("uid")
    def _compute_suggested_article_ids(self):
        Article = self.env["aftersales.article"]
        for ticket in self:
            ticket.suggested_article_ids = Article._search_articles(
                " ".join(
                    (ticket.subject or "", html2plaintext(ticket.description or ""))
                ),
                product=ticket.product_id,
                ticket_category=ticket.category_id,
                limit=SUGGESTED_ARTICLES,
            )

    def action_propose_article(self):
        """Draft a knowledge article from a solved request: its subject,
        what the customer wrote and the desk's last answer, unpublished and
        linked to the request; opened for the agent to edit."""
        self.ensure_one()
        if self.state != "solved":
            raise UserError(self.env._("Only a solved request can propose an article."))
        article = self.env["aftersales.article"].create(
            self._prepare_proposed_article_vals()
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "aftersales.article",
            "res_id": article.id,
            "view_mode": "form",
            "target": "current",
        }

    def _prepare_proposed_article_vals(self):
        self.ensure_one()
        answer = self._last_desk_answer()
        sections = [
            Markup("<h2>%s</h2>") % self.env._("Problem"),
            Markup(self.description or ""),
        ]
        if answer:
            sections += [
                Markup("<h2>%s</h2>") % self.env._("Solution"),
                Markup(answer.body or ""),
            ]
        return {
            "name": self.subject,
            "body": Markup().join(sections)
            or plaintext2html(self.env._("Describe the solution.")),
            "is_published": False,
            "company_id": self.company_id.id,
            "ticket_id": self.id,
            "product_ids": [fields.Command.set(self.product_id.ids)],
            "product_category_ids": [fields.Command.set(self.product_id.categ_id.ids)],
            "ticket_category_ids": [fields.Command.set(self.category_id.ids)],
        }

    def _last_desk_answer(self):
        """The last message the desk sent the customer: a comment (not a
        note) by an internal user."""
        self.ensure_one()
        return self.env["mail.message"].search(
            [
                ("model", "=", self._name),
                ("res_id", "=", self.id),
                ("message_type", "=", "comment"),
                ("subtype_id", "=", self.env.ref("mail.mt_comment").id),
                ("author_id.user_ids.share", "=", False),
            ],
            order="id desc",
            limit=1,
        )

"""The knowledge base on the portal, the articles suggested while a customer
writes a request, and the "this solved it" that counts a deflection.

The suggestion routes are the contract with the request forms
(static/src/knowledge/article_suggest.js): ``POST
/aftersales/articles/suggest`` (jsonrpc, public; ``query``,
``category_id``, ``product_id``) answers at most five published articles as
``{id, name, url, summary}``; ``POST /aftersales/articles/<id>/solved``
(jsonrpc, public; ``channel``, ``category_id``, ``product_id``) counts one
deflection. Both are limited per address."""

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request

from odoo.addons.portal.controllers.portal import pager as portal_pager

from .common import AftersalesPortalCommon

# Per address: (attempts, window in seconds). The form asks again at each
# pause in the typing, a few times per request written.
LIMIT_SUGGEST_PER_ADDRESS = (120, 600)
LIMIT_SOLVED_PER_ADDRESS = (10, 3600)
# One view per article, address and hour: a reload does not count again.
LIMIT_VIEWS_PER_ADDRESS = (1, 3600)
MAX_QUERY_CHARS = 500
MAX_SUGGESTIONS = 5
ARTICLES_PER_PAGE = 20


def to_id(value):
    """A record id sent by a form or a script, or 0 when it is none."""
    try:
        number = int(value or 0)
    except (TypeError, ValueError):
        return 0
    return number if 0 < number < 2**31 else 0


class AftersalesKnowledgePortal(AftersalesPortalCommon):
    """The customers' knowledge base and the request forms' suggestions."""

    # ------------------------------------------------------------
    # Home counter
    # ------------------------------------------------------------

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "article_count" in counters:
            Article = request.env["aftersales.article"]
            values["article_count"] = (
                Article.search_count([("is_published", "=", True)])
                if Article.has_access("read")
                else 0
            )
        return values

    # ------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------

    @staticmethod
    def _published_articles_sudo():
        """The published articles of the current company (and shared ones),
        as superuser: the public may not read articles at all, and the
        suggestions of its form are the published ones only."""
        # Every caller narrows to published articles of this company.
        return request.env["aftersales.article"].sudo()

    def _published_domain(self):
        return [
            ("is_published", "=", True),
            ("company_id", "in", [False, request.env.company.id]),
        ]

    def _article_for_reader(self, article_id):
        """The article ``article_id`` if the visitor may read it here, else
        an empty recordset: logged-in users as their rights say (portal
        customers: published ones), the public the published ones."""
        if request.env.user._is_public():
            return self._published_articles_sudo().search(
                [("id", "=", article_id), *self._published_domain()]
            )
        domain = [("id", "=", article_id)]
        if not request.env.user._is_internal():
            domain.append(("is_published", "=", True))
        return request.env["aftersales.article"].search(domain)

    @staticmethod
    def _article_files_sudo(article):
        """The files filed on ``article``, which the visitor may read: portal
        users have no access to attachments at all (Odoo 19), so the page
        lists them and the download route below serves them as superuser,
        for the readers of the article only."""
        return article.sudo().attachment_ids.filtered(
            lambda a: a.res_model == article._name and a.res_id == article.id
        )

    def _form_context(self, kwargs):
        """The category and product a request form sent (existing ones, or
        empty recordsets)."""
        env = request.env
        # Only ids the form chose, among what the public form offers (public
        # categories of this company); they narrow the published articles
        # and are counted with a deflection, no field of theirs is sent back.
        category_sudo = (
            env["aftersales.ticket.category"]
            .sudo()
            .search(
                [
                    ("id", "=", to_id(kwargs.get("category_id"))),
                    ("public", "=", True),
                    ("company_id", "in", [False, env.company.id]),
                ]
            )
        )
        product_sudo = (
            env["product.product"]
            .sudo()
            .search(
                [
                    ("id", "=", to_id(kwargs.get("product_id"))),
                    ("company_id", "in", [False, env.company.id]),
                ]
            )
        )
        return category_sudo, product_sudo

    # ------------------------------------------------------------
    # The knowledge base on the portal
    # ------------------------------------------------------------

    @http.route(
        ["/my/articles", "/my/articles/page/<int:page>"],
        type="http",
        auth="user",
        methods=["GET"],
        website=True,
        readonly=True,
    )
    def aftersales_portal_articles(self, page=1, search="", **kwargs):
        """The published articles, or those matching ``search``."""
        Article = request.env["aftersales.article"]
        search = (search or "").strip()[:MAX_QUERY_CHARS]
        pager = None
        if search:
            articles = Article._search_articles(
                search, published_only=True, limit=ARTICLES_PER_PAGE
            )
        else:
            domain = [("is_published", "=", True)]
            pager = portal_pager(
                url="/my/articles",
                total=Article.search_count(domain),
                page=page,
                step=ARTICLES_PER_PAGE,
            )
            articles = Article.search(
                domain, limit=ARTICLES_PER_PAGE, offset=pager["offset"]
            )
        values = self._prepare_portal_layout_values()
        values.update(
            articles=articles,
            search=search,
            pager=pager,
            page_name="article",
            categories=request.env["aftersales.ticket.category"].search(
                [("public", "=", True)]
            ),
        )
        return request.render("aftersales.portal_my_articles", values)

    @http.route(
        "/my/articles/<int:article_id>",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        readonly=True,
    )
    def aftersales_portal_article(self, article_id, **kwargs):
        """One article: published ones for customers and the public (the
        request forms link their suggestions here), any for staff."""
        article = self._article_for_reader(article_id)
        if not article:
            raise request.not_found()
        attachments_sudo = self._article_files_sudo(article)
        values = self._prepare_portal_layout_values()
        values.update(
            article=article,
            attachments=attachments_sudo,
            may_download=not request.env.user._is_public(),
            page_name="article",
        )
        return request.render("aftersales.portal_my_article", values)

    @http.route(
        "/my/articles/<int:article_id>/files/<int:attachment_id>",
        type="http",
        auth="user",
        methods=["GET"],
        readonly=True,
    )
    def aftersales_portal_article_file(self, article_id, attachment_id, **kwargs):
        """A file of an article the user may read (customers: published)."""
        article = self._article_for_reader(article_id)
        files_sudo = article and self._article_files_sudo(article).filtered(
            lambda a: a.id == attachment_id
        )
        if not files_sudo:
            raise request.not_found()
        stream = request.env["ir.binary"]._get_stream_from(files_sudo, "raw")
        return stream.get_response(as_attachment=True)

    @http.route(
        "/aftersales/articles/<int:article_id>/viewed",
        type="jsonrpc",
        auth="public",
        methods=["POST"],
    )
    def aftersales_article_viewed(self, article_id, **kwargs):
        """Count a view of the article's page, once per address and hour."""
        article = self._article_for_reader(article_id)
        if not article:
            return {"ok": False}
        key = f"article-view:{article.id}:{self._limit_address()}"
        if not self._count_attempt(key, LIMIT_VIEWS_PER_ADDRESS):
            article._record_view()
        return {"ok": True}

    # ------------------------------------------------------------
    # Suggestions of the request forms (the contract)
    # ------------------------------------------------------------

    @http.route(
        "/aftersales/articles/suggest",
        type="jsonrpc",
        auth="public",
        methods=["POST"],
    )
    def aftersales_articles_suggest(self, query="", **kwargs):
        """At most five published articles for what the form says so far."""
        key = f"article-suggest:{self._limit_address()}"
        if self._count_attempt(key, LIMIT_SUGGEST_PER_ADDRESS):
            # Counted in this transaction: an answer, not an exception.
            return []
        category, product = self._form_context(kwargs)
        articles_sudo = self._published_articles_sudo()._search_articles(
            str(query or "")[:MAX_QUERY_CHARS],
            product=product,
            ticket_category=category,
            published_only=True,
            company=request.env.company,
            limit=MAX_SUGGESTIONS,
        )
        return articles_sudo._suggestion_values()

    @http.route(
        "/aftersales/articles/<int:article_id>/solved",
        type="jsonrpc",
        auth="public",
        methods=["POST"],
    )
    def aftersales_article_solved(self, article_id, channel="web", **kwargs):
        """The customer says the article solved it: one deflection."""
        env = request.env
        key = f"article-solved:{self._limit_address()}"
        if self._count_attempt(key, LIMIT_SOLVED_PER_ADDRESS):
            return {"ok": False, "message": self._too_many()}
        article_sudo = self._published_articles_sudo().search(
            [("id", "=", article_id), *self._published_domain()]
        )
        if not article_sudo:
            return {"ok": False, "message": env._("This article is not available.")}
        category, product = self._form_context(kwargs)
        user = env.user
        try:
            article_sudo._record_deflection(
                str(channel or ""),
                category=category,
                product=product,
                partner=None if user._is_public() else user.partner_id,
            )
        except UserError as error:
            return {"ok": False, "message": error.args[0]}
        return {
            "ok": True,
            "message": env._("Glad it helped! No request was sent."),
        }

"""The knowledge base: articles found by words, product and category; who
reads, writes, publishes and deletes them; their attachments; the portal
pages, the request forms' suggestions and deflections; the article a solved
request proposes; the articles of the technician app."""

import base64

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, HttpCase, tagged

from ..controllers.knowledge import LIMIT_SUGGEST_PER_ADDRESS
from .common import TicketCommon

PDF = base64.b64encode(b"%PDF-1.4 manual")


class KnowledgeCommon(TicketCommon):
    """Articles of company A (published, a draft, one per product category,
    one about another appliance), one of company B and one shared by both;
    an attachment on the published one and one on the draft."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Article = cls.env["aftersales.article"]
        cls.categ_washer = cls.env["product.category"].create(
            {"name": "Test Washers", "parent_id": cls.categ_appliance.id}
        )
        cls.product.categ_id = cls.categ_washer
        cls.art_pump = Article.create(
            {
                "name": "Tour drain pump blocked",
                "body": "<p>Water stays in the drum: clean the filter of the "
                "drain pump behind the flap.</p>",
                "is_published": True,
                "product_ids": [Command.set(cls.product.ids)],
                "ticket_category_ids": [Command.set(cls.category_deviation.ids)],
            }
        )
        cls.art_draft = Article.create(
            {
                "name": "Tour drain pump draft",
                "body": "<p>Replace the drain pump (internal notes).</p>",
                "product_ids": [Command.set(cls.product.ids)],
            }
        )
        cls.art_descale = Article.create(
            {
                "name": "Descaling appliances",
                "body": "<p>Limescale: run an empty hot cycle with citric acid.</p>",
                "is_published": True,
                "product_category_ids": [Command.set(cls.categ_appliance.ids)],
            }
        )
        cls.art_lint = Article.create(
            {
                "name": "Tour dryer lint",
                "body": "<p>Empty the lint filter after each cycle.</p>",
                "is_published": True,
            }
        )
        cls.art_b = Article.with_company(cls.company_b).create(
            {
                "name": "Brand B drain pump reset",
                "body": "<p>Hold start for five seconds.</p>",
                "is_published": True,
            }
        )
        cls.art_shared = Article.create(
            {
                "name": "Shared safety rules",
                "body": "<p>Unplug the appliance first.</p>",
                "is_published": True,
                "company_id": False,
            }
        )
        Attachment = cls.env["ir.attachment"]
        # Uploaded on the form, then linked: filed on the article on save.
        cls.manual = Attachment.create({"name": "pump-manual.pdf", "datas": PDF})
        cls.art_pump.attachment_ids = cls.manual
        cls.draft_manual = Attachment.create({"name": "draft.pdf", "datas": PDF})
        cls.art_draft.attachment_ids = cls.draft_manual


@tagged("post_install", "-at_install")
class TestKnowledge(KnowledgeCommon):
    # ------------------------------------------------------------------
    # Search
    # ------------------------------------------------------------------

    def test_search_ranks_title_product_and_category(self):
        Article = self.env["aftersales.article"].with_user(self.user_agent)
        found = Article._search_articles(
            "the drain pump makes noise", product=self.product, limit=10
        )
        # Title and product match first; company B's article is not read.
        self.assertEqual(found[:2], self.art_pump | self.art_draft)
        self.assertIn(self.art_descale, found, "the product's parent category")
        self.assertNotIn(self.art_lint, found)
        self.assertNotIn(self.art_b, found)
        published = Article._search_articles(
            "drain pump", product=self.product, published_only=True
        )
        self.assertEqual(published[0], self.art_pump)
        self.assertNotIn(self.art_draft, published)
        self.assertEqual(len(Article._search_articles("drain pump", limit=1)), 1)
        # Words of fewer than three letters and nothing known: nothing.
        self.assertFalse(Article._search_articles("is it ok"))
        self.assertEqual(
            Article._search_articles("", ticket_category=self.category_deviation),
            self.art_pump,
        )

    def test_search_costs_the_same_for_many_matches(self):
        """Bounded: the same queries for 2 or 42 matching articles (warm
        caches, as Odoo's @warmup does)."""
        Article = self.env["aftersales.article"].with_user(self.user_agent)

        def queries():
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            found = Article._search_articles(
                "drain pump", product=self.product, limit=5
            )
            return self.cr.sql_log_count - before, found

        queries()  # warm-up: the caches of the access rules
        few, _found = queries()
        Article.sudo().create(
            [
                {
                    "name": f"Drain pump case {n}",
                    "product_ids": [Command.set(self.product.ids)],
                }
                for n in range(40)
            ]
        )
        queries()
        many, found = queries()
        self.assertEqual(len(found), 5)
        self.assertEqual(many, few)

    def test_search_reads_the_body(self):
        Article = self.env["aftersales.article"].with_user(self.user_technician)
        self.assertEqual(Article._search_articles("citric"), self.art_descale)

    def test_body_is_sanitized(self):
        self.art_lint.with_user(self.user_agent).body = (
            "<p>Fine</p><script>alert(1)</script>"
            '<img src="x" onerror="alert(2)"><a href="javascript:alert(3)">x</a>'
        )
        body = str(self.art_lint.body)
        self.assertIn("<p>Fine</p>", body)
        for bad in ("<script", "alert(1)", "onerror", "javascript:"):
            self.assertNotIn(bad, body)

    # ------------------------------------------------------------------
    # Who reads, writes, publishes, deletes
    # ------------------------------------------------------------------

    def test_agents_write_and_publish_managers_delete(self):
        draft = self.art_draft.with_user(self.user_agent)
        draft.write({"is_published": True, "name": "Drain pump replacement"})
        self.assertTrue(self.art_draft.is_published)
        new = (
            self.env["aftersales.article"]
            .with_user(self.user_agent)
            .create({"name": "Agent's article"})
        )
        self.assertEqual(new.company_id, self.company)
        with self.assertRaises(AccessError):
            new.unlink()
        new.with_user(self.user_desk_manager).unlink()
        self.assertFalse(new.exists())
        with self.assertRaises(UserError):
            draft.view_count = 1000

    def test_forms_open_for_who_reads_them(self):
        self.art_pump.service_type_ids = self.type_maintenance
        with Form(self.art_pump.with_user(self.user_agent)) as form:
            form.name = "Drain pump blocked: clean the filter"
        self.assertEqual(self.art_pump.name, "Drain pump blocked: clean the filter")
        Form(self.art_pump.with_user(self.user_technician))
        ticket = self._create_ticket(subject="Drain pump", product_id=self.product.id)
        form = Form(ticket.with_user(self.user_agent))
        self.assertIn(self.art_pump, form.suggested_article_ids)

    def test_technicians_and_centers_read_all_write_none(self):
        for user in (self.user_technician, self.user_center):
            Article = self.env["aftersales.article"].with_user(user)
            readable = Article.search([])
            self.assertIn(self.art_draft, readable, user.login)
            self.assertIn(self.art_shared, readable)
            self.assertNotIn(self.art_b, readable)
            with self.assertRaises(AccessError):
                self.art_pump.with_user(user).write({"name": "Hacked"})
            with self.assertRaises(AccessError):
                Article.create({"name": "Technician's article"})

    def test_portal_reads_published_only(self):
        Article = self.env["aftersales.article"].with_user(self.portal_user)
        readable = Article.search([])
        self.assertIn(self.art_pump, readable)
        self.assertNotIn(self.art_draft, readable)
        with self.assertRaises(AccessError):
            self.art_draft.with_user(self.portal_user).read(["name"])
        with self.assertRaises(AccessError):
            self.art_pump.with_user(self.portal_user).write({"name": "x"})
        public = self.env.ref("base.public_user")
        with self.assertRaises(AccessError):
            self.env["aftersales.article"].with_user(public).search([])

    def test_companies_do_not_see_each_others_articles(self):
        readable_b = (
            self.env["aftersales.article"].with_user(self.user_agent_b).search([])
        )
        self.assertIn(self.art_b, readable_b)
        self.assertIn(self.art_shared, readable_b)
        self.assertNotIn(self.art_pump, readable_b)
        with self.assertRaises(AccessError):
            self.art_pump.with_user(self.user_agent_b).read(["name"])
        readable_a = (
            self.env["aftersales.article"].with_user(self.user_agent).search([])
        )
        self.assertNotIn(self.art_b, readable_a)

    def test_attachments_follow_the_article(self):
        self.assertEqual(
            (self.manual.res_model, self.manual.res_id),
            ("aftersales.article", self.art_pump.id),
        )
        self.env.invalidate_all()
        # Internal readers of the article read its files (portal customers
        # go through the article's page: test_portal_list_search_and_page).
        self.manual.with_user(self.user_technician).check_access("read")
        self.draft_manual.with_user(self.user_technician).check_access("read")
        with self.assertRaises(AccessError):
            self.manual.with_user(self.user_agent_b).check_access("read")
        # Another record's file stays that record's.
        ticket = self._create_ticket()
        other = self.env["ir.attachment"].create(
            {
                "name": "ticket.pdf",
                "datas": PDF,
                "res_model": "aftersales.ticket",
                "res_id": ticket.id,
            }
        )
        self.art_pump.attachment_ids |= other
        self.assertEqual(other.res_model, "aftersales.ticket")

    # ------------------------------------------------------------------
    # Deflections
    # ------------------------------------------------------------------

    def test_deflections_are_counted(self):
        self.art_pump._record_deflection("web", category=self.category_deviation)
        self.art_pump._record_deflection(
            "portal", product=self.product, partner=self.customer
        )
        self.assertEqual(self.art_pump.deflection_count, 2)
        self.assertEqual(self.art_lint.deflection_count, 0)
        with self.assertRaises(UserError):
            self.art_draft._record_deflection("web")
        with self.assertRaises(UserError):
            self.art_pump._record_deflection("fax")
        self.assertEqual(self.art_pump.deflection_count, 2)
        groups = (
            self.env["aftersales.article.deflection"]
            .with_user(self.user_agent)
            ._read_group([], ["channel"], ["__count"])
        )
        self.assertEqual(dict(groups), {"web": 1, "portal": 1})
        with self.assertRaises(AccessError):
            self.env["aftersales.article.deflection"].with_user(self.user_agent).create(
                {
                    "article_id": self.art_pump.id,
                    "company_id": self.company.id,
                    "channel": "web",
                }
            )

    # ------------------------------------------------------------------
    # On the request
    # ------------------------------------------------------------------

    def test_agent_sees_suggested_articles(self):
        ticket = self._create_ticket(
            subject="Drain pump noise",
            description="Water stays in the drum.",
            product_id=self.product.id,
        )
        suggested = ticket.with_user(self.user_agent).suggested_article_ids
        self.assertEqual(suggested[:2], self.art_pump | self.art_draft)
        self.assertLessEqual(len(suggested), 5)
        self.assertNotIn(self.art_b, suggested)

    def test_solved_request_proposes_an_article(self):
        ticket = self._create_ticket(
            subject="Drum does not turn",
            description="The drum is stuck since yesterday.",
            product_id=self.product.id,
            category_id=self.category_deviation.id,
        )
        as_agent = ticket.with_user(self.user_agent)
        with self.assertRaises(UserError):
            as_agent.action_propose_article()
        as_agent.message_post(
            body="Remove the coin stuck between drum and tub.",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        as_agent.message_post(
            body="Internal: customer is nice.",
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        ticket.message_post(
            body="Thanks, it works!",
            author_id=self.customer.id,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        as_agent.action_solve()
        action = as_agent.action_propose_article()
        article = self.env["aftersales.article"].browse(action["res_id"])
        self.assertEqual(action["res_model"], "aftersales.article")
        self.assertEqual(article.name, "Drum does not turn")
        self.assertFalse(article.is_published)
        self.assertEqual(article.ticket_id, ticket)
        self.assertEqual(ticket.proposed_article_ids, article)
        self.assertEqual(article.product_ids, self.product)
        self.assertEqual(article.ticket_category_ids, self.category_deviation)
        body = str(article.body)
        self.assertIn("The drum is stuck", body)
        self.assertIn("Remove the coin", body)
        self.assertNotIn("customer is nice", body)
        self.assertNotIn("it works", body)
        self.assertNotIn(
            article,
            self.env["aftersales.article"].with_user(self.portal_user).search([]),
        )


@tagged("post_install", "-at_install")
class TestKnowledgeHttp(HttpCase, KnowledgeCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.order = cls._order_in_state("accepted")

    def _suggest(self, **params):
        return self.make_jsonrpc_request("/aftersales/articles/suggest", params)

    def _solved(self, article, **params):
        return self.make_jsonrpc_request(
            f"/aftersales/articles/{article.id}/solved", params
        )

    def test_portal_list_search_and_page(self):
        self.authenticate("as_ticket_portal", "as_ticket_portal")
        listing = self.url_open("/my/articles")
        self.assertEqual(listing.status_code, 200)
        self.assertIn("Tour drain pump blocked", listing.text)
        self.assertIn("Shared safety rules", listing.text)
        self.assertNotIn("Tour drain pump draft", listing.text)
        self.assertNotIn("Brand B", listing.text)
        self.assertIn("o_aftersales_article_suggest", listing.text)
        found = self.url_open("/my/articles?search=citric")
        self.assertIn("Descaling appliances", found.text)
        self.assertNotIn("Tour dryer lint", found.text)
        page = self.url_open(f"/my/articles/{self.art_pump.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("clean the filter", page.text)
        file_url = f"/my/articles/{self.art_pump.id}/files/{self.manual.id}"
        self.assertIn(file_url, page.text)
        for hidden in (self.art_draft, self.art_b):
            response = self.url_open(f"/my/articles/{hidden.id}")
            self.assertEqual(response.status_code, 404, hidden.name)
        download = self.url_open(file_url)
        self.assertEqual(download.status_code, 200)
        self.assertEqual(download.content, base64.b64decode(PDF))
        for url in (
            # The draft's file, by its own article or through a published one.
            f"/my/articles/{self.art_draft.id}/files/{self.draft_manual.id}",
            f"/my/articles/{self.art_pump.id}/files/{self.draft_manual.id}",
            f"/web/content/{self.draft_manual.id}?download=true",
        ):
            refused = self.url_open(url)
            self.assertEqual(refused.status_code, 404, url)
            self.assertNotEqual(refused.content, base64.b64decode(PDF))
        home = self.url_open("/my/home")
        self.assertIn("/my/articles", home.text)

    def test_public_reads_published_pages_only(self):
        listing = self.url_open("/my/articles", allow_redirects=False)
        self.assertEqual(listing.status_code, 303)
        page = self.url_open(f"/my/articles/{self.art_pump.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("clean the filter", page.text)
        file_url = f"/my/articles/{self.art_pump.id}/files/{self.manual.id}"
        self.assertNotIn(file_url, page.text)
        self.assertIn("pump-manual.pdf", page.text)
        self.assertEqual(
            self.url_open(f"/my/articles/{self.art_draft.id}").status_code, 404
        )
        self.assertEqual(
            self.url_open(f"/my/articles/{self.art_b.id}").status_code, 404
        )
        download = self.url_open(file_url, allow_redirects=False)
        self.assertEqual(download.status_code, 303)

    def test_public_suggestions_are_published_only(self):
        result = self._suggest(
            query="water in the drum, drain pump",
            category_id=self.category_deviation.id,
            product_id=self.product.id,
        )
        self.assertLessEqual(len(result), 5)
        self.assertEqual(result[0]["id"], self.art_pump.id)
        self.assertEqual(set(result[0]), {"id", "name", "url", "summary"})
        self.assertEqual(result[0]["url"], f"/my/articles/{self.art_pump.id}")
        self.assertIn("clean the filter", result[0]["summary"])
        ids = {row["id"] for row in result}
        self.assertNotIn(self.art_draft.id, ids)
        self.assertNotIn(self.art_b.id, ids)
        self.assertEqual(self._suggest(query="xyzzy"), [])
        # Garbage ids are ignored, not an error.
        self.assertTrue(
            self._suggest(query="drain pump", category_id="abc", product_id=-4)
        )

    def test_suggestions_are_limited_per_address(self):
        for _ in range(LIMIT_SUGGEST_PER_ADDRESS[0]):
            self.assertTrue(self._suggest(query="drain pump"))
        self.assertEqual(self._suggest(query="drain pump"), [])

    def test_solved_counts_one_deflection_within_limits(self):
        Deflection = self.env["aftersales.article.deflection"]
        result = self._solved(
            self.art_pump, channel="web", category_id=self.category_deviation.id
        )
        self.assertTrue(result["ok"])
        deflection = Deflection.search([("article_id", "=", self.art_pump.id)])
        self.assertEqual(len(deflection), 1)
        self.assertEqual(deflection.channel, "web")
        self.assertEqual(deflection.category_id, self.category_deviation)
        self.assertFalse(deflection.partner_id)
        for article, channel in (
            (self.art_draft, "web"),
            (self.art_b, "web"),
            (self.art_lint, "fax"),
        ):
            refused = self._solved(article, channel=channel)
            self.assertFalse(refused["ok"], article.name)
        self.assertFalse(Deflection.search([("article_id", "!=", self.art_pump.id)]))
        # Ten per address and hour; refused ones counted too: 4 used so far.
        for _ in range(6):
            self.assertTrue(self._solved(self.art_lint, channel="qr")["ok"])
        self.assertFalse(self._solved(self.art_lint, channel="qr")["ok"])
        self.assertEqual(
            Deflection.search_count([("article_id", "=", self.art_lint.id)]), 6
        )

    def test_views_counted_once_per_address(self):
        for _ in range(3):
            self.make_jsonrpc_request(f"/aftersales/articles/{self.art_pump.id}/viewed")
        self.assertEqual(self.art_pump.view_count, 1)
        self.make_jsonrpc_request(f"/aftersales/articles/{self.art_draft.id}/viewed")
        self.assertEqual(self.art_draft.view_count, 0)

    def test_suggestion_tour_deflects_the_request(self):
        self.start_tour(
            "/my/articles", "knowledge_suggest_tour", login="as_ticket_portal"
        )
        deflection = self.env["aftersales.article.deflection"].search(
            [("article_id", "=", self.art_pump.id)]
        )
        self.assertEqual(len(deflection), 1)
        self.assertEqual(deflection.channel, "portal")
        self.assertEqual(deflection.partner_id, self.portal_user.partner_id)
        self.assertFalse(
            self.env["aftersales.ticket"].search(
                [("partner_id", "=", self.customer.id)]
            )
        )

    def test_technician_app_articles(self):
        self.authenticate("as_tech_a1", "as_tech_a1")
        data = self.url_open("/my/technician/articles.json").json()
        ids = {row["id"] for row in data["articles"]}
        # The articles of the job's product and of its categories, drafts too.
        self.assertEqual(
            ids, {self.art_pump.id, self.art_draft.id, self.art_descale.id}
        )
        row = next(r for r in data["articles"] if r["id"] == self.art_pump.id)
        self.assertIn("clean the filter", row["body"])
        self.assertNotIn("<p>", row["body"])
        found = self.url_open("/my/technician/articles.json?q=lint").json()
        self.assertEqual([r["id"] for r in found["articles"]], [self.art_lint.id])
        found_b = self.url_open("/my/technician/articles.json?q=reset").json()
        self.assertEqual(found_b["articles"], [])

    def test_technician_app_articles_refused_to_others(self):
        anonymous = self.url_open("/my/technician/articles.json", allow_redirects=False)
        self.assertEqual(anonymous.status_code, 303)
        self.authenticate("as_ticket_portal", "as_ticket_portal")
        self.assertEqual(self.url_open("/my/technician/articles.json").status_code, 404)
        self.authenticate("as_agent_1", "as_agent_1")
        self.assertEqual(self.url_open("/my/technician/articles.json").status_code, 404)

    def test_technician_searches_in_the_app(self):
        self.start_tour(
            "/my/technician?debug=tests",
            "knowledge_technician_tour",
            login="as_tech_a1",
        )

import re

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import html2plaintext

# A query is cut into at most this many words of at least MIN_WORD letters:
# "the", "is" and the like match everything and rank nothing.
MAX_QUERY_WORDS = 8
MIN_WORD = 3
# The commonest short English words, which are in every text (other
# languages' are mostly longer than three letters, or shorter).
STOP_WORDS = frozenset(
    "the and for are but not you all any can had her was one our out has his "
    "how its may new now see who did get let say she too use with this that "
    "from have what when will your there their them then they".split()
)
# Candidates read per search before ranking: the search stays one bounded
# query whatever the size of the knowledge base.
MAX_CANDIDATES = 100
SUMMARY_CHARS = 240
# What the technician app keeps of an article's text (offline, on the phone).
MAX_APP_BODY = 4000
# What each kind of match weighs in the ranking.
WEIGHT_TITLE, WEIGHT_BODY = 3, 1
WEIGHT_PRODUCT, WEIGHT_PRODUCT_CATEGORY = 4, 2
WEIGHT_TICKET_CATEGORY, WEIGHT_SERVICE, WEIGHT_CODE = 2, 1, 1


def shorten(text, length):
    """``text`` cut at a word boundary to at most ``length`` characters."""
    text = " ".join((text or "").split())
    if len(text) <= length:
        return text
    return text[: length - 1].rsplit(" ", 1)[0] + "…"


def query_words(query):
    """The distinct words of ``query`` worth searching, in their order."""
    words = []
    for word in re.findall(r"\w+", (query or "").lower()):
        if len(word) >= MIN_WORD and word not in STOP_WORDS and word not in words:
            words.append(word)
    return words[:MAX_QUERY_WORDS]


class AftersalesArticle(models.Model):
    """A knowledge-base article: how to solve a fault, for a product, a
    product category, a service type or a fault/resolution code. Agents
    write and publish them, technicians and center staff read them all,
    customers read the published ones on the portal (record rules)."""

    _name = "aftersales.article"
    _description = "After-Sales Knowledge Article"
    _inherit = ["mail.thread"]
    _order = "sequence, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Title", required=True, translate=True, tracking=True, index="trigram"
    )
    # Sanitized on write: no script, no event handler attribute survives.
    body = fields.Html(
        translate=True, sanitize=True, sanitize_style=True, index="trigram"
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        index=True,
        default=lambda self: self.env.company,
        help="Leave empty to share the article with every company.",
    )
    is_published = fields.Boolean(
        string="Published on the Portal", index=True, tracking=True, copy=False
    )
    product_ids = fields.Many2many("product.product", string="Products")
    product_category_ids = fields.Many2many(
        "product.category", string="Product Categories"
    )
    service_type_ids = fields.Many2many(
        "aftersales.service.type", string="Service Types"
    )
    resolution_code_ids = fields.Many2many(
        "aftersales.resolution.code", string="Fault / Resolution Codes"
    )
    ticket_category_ids = fields.Many2many(
        "aftersales.ticket.category", string="Request Categories"
    )
    # Filed on the article (res_model/res_id): whoever may read the article
    # may download them, nobody else (ir.attachment follows the record).
    attachment_ids = fields.Many2many("ir.attachment", string="Attachments")
    ticket_id = fields.Many2one(
        "aftersales.ticket",
        string="From Request",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The request whose closing proposed this article.",
    )
    deflection_ids = fields.One2many(
        "aftersales.article.deflection", "article_id", string="Deflections"
    )
    deflection_count = fields.Integer(
        compute="_compute_deflection_count",
        store=True,
        help="How many times a customer said it solved their problem, and "
        "sent no request.",
    )
    view_count = fields.Integer(
        string="Views",
        readonly=True,
        copy=False,
        help="Views of the article's page on the portal (one per address and hour).",
    )

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("deflection_ids")
    def _compute_deflection_count(self):
        counts = dict(
            self.env["aftersales.article.deflection"]
            .sudo()
            ._read_group([("article_id", "in", self.ids)], ["article_id"], ["__count"])
        )
        for article in self:
            article.deflection_count = counts.get(article._origin, 0)

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        articles = super().create(vals_list)
        articles._file_attachments()
        return articles

    def write(self, vals):
        if "view_count" in vals and not self.env.su:
            raise UserError(self.env._("The views of an article are counted, not set."))
        result = super().write(vals)
        if "attachment_ids" in vals:
            self._file_attachments()
        return result

    def _file_attachments(self):
        """File the attachments uploaded on the article's form (not yet
        linked to a record) on the article, so that they are readable by
        exactly who reads the article."""
        for article in self:
            loose = article.attachment_ids.filtered(
                lambda a: not a.res_id and a.res_model in (False, self._name)
            )
            loose.write({"res_model": self._name, "res_id": article.id})

    # ------------------------------------------------------------------
    # Search
    # ------------------------------------------------------------------

    @api.model
    def _search_articles(
        self,
        query,
        product=None,
        category=None,
        ticket_category=None,
        service_type=None,
        resolution_code=None,
        published_only=False,
        company=None,
        limit=5,
    ):
        """The articles best matching what is known of a problem, best
        first, at most ``limit``: words of ``query`` in the title (weigh
        most) or the body, the ``product``, its category or the product
        ``category`` given, the request's ``ticket_category``, the service
        type and fault code. Read as the current user (record rules apply);
        ``published_only`` and ``company`` narrow it further (the public's
        suggestions are read as superuser: both are then required)."""
        words = query_words(query)
        product_category = category or (product and product.categ_id)
        clauses = []
        for word in words:
            clauses += [[("name", "ilike", word)], [("body", "ilike", word)]]
        if product:
            clauses.append([("product_ids", "in", product.ids)])
        if product_category:
            clauses.append(
                [("product_category_ids", "parent_of", product_category.ids)]
            )
        for field, record in (
            ("ticket_category_ids", ticket_category),
            ("service_type_ids", service_type),
            ("resolution_code_ids", resolution_code),
        ):
            if record:
                clauses.append([(field, "in", record.ids)])
        if not clauses:
            return self.browse()
        domain = ["|"] * (len(clauses) - 1) + [
            leaf for clause in clauses for leaf in clause
        ]
        if published_only:
            domain = [("is_published", "=", True), *domain]
        if company is not None:
            domain = [("company_id", "in", [False, company.id]), *domain]
        candidates = self.search(domain, limit=MAX_CANDIDATES)
        return candidates._rank(
            words,
            product,
            product_category,
            ticket_category,
            service_type,
            resolution_code,
        )[:limit]

    def _rank(self, words, product, product_category, ticket_category, service, code):
        """``self`` ordered by how well each matches, best first (ties in
        the articles' own order)."""
        category_ids = set()
        if product_category:
            category_ids = set(
                map(int, product_category.parent_path.rstrip("/").split("/"))
            )

        def score(article):
            title = (article.name or "").lower()
            body = html2plaintext(article.body or "").lower()
            points = sum(WEIGHT_TITLE for word in words if word in title)
            points += sum(WEIGHT_BODY for word in words if word in body)
            if product and product in article.product_ids:
                points += WEIGHT_PRODUCT
            if category_ids & set(article.product_category_ids.ids):
                points += WEIGHT_PRODUCT_CATEGORY
            for weight, record, linked in (
                (WEIGHT_TICKET_CATEGORY, ticket_category, article.ticket_category_ids),
                (WEIGHT_SERVICE, service, article.service_type_ids),
                (WEIGHT_CODE, code, article.resolution_code_ids),
            ):
                if record and record & linked:
                    points += weight
            return points

        # The user may read these articles (they were searched as the user),
        # not always what they link to (service types, product categories):
        # only the ids of the links are compared, read as superuser.
        articles_sudo = self.sudo()
        scores = {article.id: score(article) for article in articles_sudo}
        ranked = sorted(self.ids, key=lambda article_id: -scores[article_id])
        return self.browse([article_id for article_id in ranked if scores[article_id]])

    # ------------------------------------------------------------------
    # What the portal, the request forms and the technician app show
    # ------------------------------------------------------------------

    def _summary(self, length=SUMMARY_CHARS):
        self.ensure_one()
        return shorten(html2plaintext(self.body or ""), length)

    def _suggestion_values(self):
        """The articles as the request forms' suggestions (the contract of
        controllers/knowledge.py): id, title, page and a short summary."""
        return [
            {
                "id": article.id,
                "name": article.name,
                "url": f"/my/articles/{article.id}",
                "summary": article._summary(),
            }
            for article in self
        ]

    def _technician_app_values(self):
        """The articles as the technician app caches them for offline
        reading: plain text (the app shows no HTML it is sent)."""
        return [
            {
                "id": article.id,
                "name": article.name,
                "body": html2plaintext(article.body or "")[:MAX_APP_BODY],
                "products": article.product_ids.mapped("display_name"),
            }
            for article in self
        ]

    @api.model
    def _technician_app_articles(self, orders, limit=50):
        """The articles of the products of the technician's ``orders`` (and
        of their categories), read as the technician, at most ``limit``."""
        products = orders.product_id
        if not products:
            return self.browse()
        return self.search(
            [
                "|",
                ("product_ids", "in", products.ids),
                ("product_category_ids", "parent_of", products.categ_id.ids),
            ],
            limit=limit,
        )

    @api.model
    def _technician_app_labels(self):
        """The app's texts about articles, in the current language."""
        return {
            "articles": self.env._("Knowledge base"),
            "search_articles": self.env._("Search articles…"),
            "no_article": self.env._("No article found."),
            "articles_offline": self.env._(
                "Offline: searching the articles of your jobs only."
            ),
        }

    # ------------------------------------------------------------------
    # Counters (the public routes call them)
    # ------------------------------------------------------------------

    def _record_view(self):
        """Count one view of each article of ``self``."""
        for article in self:
            # Customers may read, not write, the article: the counter is
            # written as superuser (the route limits it per address).
            article_sudo = article.sudo()
            article_sudo.view_count += 1

    def _record_deflection(self, channel, category=None, product=None, partner=None):
        """A customer said this (published) article solved it: count one
        deflection. ``channel`` one of the deflection's; ``category`` and
        ``product`` as the form had them."""
        self.ensure_one()
        # The public may not read articles nor write deflections: the article
        # is checked published, then the deflection is recorded as superuser
        # with what the form said (checked here and by the route).
        article_sudo = self.sudo()
        deflections_sudo = self.env["aftersales.article.deflection"].sudo()
        channels = dict(
            deflections_sudo._fields["channel"]._description_selection(self.env)
        )
        if channel not in channels:
            raise UserError(self.env._("Unknown channel: %(channel)s", channel=channel))
        if not article_sudo.is_published:
            raise UserError(self.env._("This article is not published."))
        deflection_sudo = deflections_sudo.create(
            {
                "article_id": article_sudo.id,
                "company_id": (article_sudo.company_id or self.env.company).id,
                "channel": channel,
                "category_id": category.id if category else False,
                "product_id": product.id if product else False,
                "partner_id": partner.id if partner else False,
            }
        )
        return deflection_sudo


class AftersalesArticleDeflection(models.Model):
    """A customer said an article solved it: a request not sent."""

    _name = "aftersales.article.deflection"
    _description = "After-Sales Knowledge Article Deflection"
    _order = "id desc"
    _rec_name = "article_id"

    article_id = fields.Many2one(
        "aftersales.article", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, index=True)
    channel = fields.Selection(
        [("web", "Web Form"), ("portal", "Portal"), ("qr", "Site QR Code")],
        required=True,
    )
    category_id = fields.Many2one("aftersales.ticket.category", index=True)
    product_id = fields.Many2one("product.product")
    partner_id = fields.Many2one("res.partner")
    create_date = fields.Datetime(string="Date", readonly=True)

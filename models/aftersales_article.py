from odoo import fields, models


class AftersalesArticle(models.Model):
    """A knowledge-base article: how to solve a fault, for a product, a
    product category, a service type or a fault/resolution code. Agents and
    technicians read them all; customers read the published ones."""

    _name = "aftersales.article"
    _description = "After-Sales Knowledge Article"
    _inherit = ["mail.thread"]
    _order = "sequence, id desc"
    _check_company_auto = True

    name = fields.Char(string="Title", required=True, translate=True, tracking=True)
    body = fields.Html(translate=True, sanitize=True, sanitize_style=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True)
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
    attachment_ids = fields.Many2many("ir.attachment", string="Attachments")
    ticket_id = fields.Many2one(
        "aftersales.ticket",
        string="From Request",
        readonly=True,
        copy=False,
        help="The request whose closing proposed this article.",
    )
    deflection_ids = fields.One2many(
        "aftersales.article.deflection", "article_id", string="Deflections"
    )


class AftersalesArticleDeflection(models.Model):
    """A customer said an article solved it: a request not sent."""

    _name = "aftersales.article.deflection"
    _description = "After-Sales Knowledge Article Deflection"
    _order = "id desc"

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

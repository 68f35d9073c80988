from odoo import fields, models


class AftersalesTicketArea(models.Model):
    """An area of responsibility: requests of these customers, sites,
    categories or product categories go to this team (and person). The first
    matching area by sequence wins (routing.py)."""

    _name = "aftersales.ticket.area"
    _description = "After-Sales Service Desk Area of Responsibility"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    team_id = fields.Many2one(
        "aftersales.ticket.team", required=True, check_company=True
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        domain=[("share", "=", False)],
        help="Empty: the team's assignment picks a member.",
    )
    partner_ids = fields.Many2many(
        "res.partner",
        "aftersales_ticket_area_partner_rel",
        "area_id",
        "partner_id",
        string="Customers",
    )
    site_ids = fields.Many2many(
        "res.partner",
        "aftersales_ticket_area_site_rel",
        "area_id",
        "partner_id",
        string="Sites",
    )
    category_ids = fields.Many2many("aftersales.ticket.category", string="Categories")
    product_category_ids = fields.Many2many(
        "product.category", string="Product Categories"
    )

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
        help="Empty: any customer. A customer covers its contacts and addresses.",
    )
    site_ids = fields.Many2many(
        "res.partner",
        "aftersales_ticket_area_site_rel",
        "area_id",
        "partner_id",
        string="Sites",
        help="Empty: any site.",
    )
    category_ids = fields.Many2many(
        "aftersales.ticket.category",
        string="Categories",
        help="Empty: any category.",
    )
    product_category_ids = fields.Many2many(
        "product.category",
        string="Product Categories",
        help="Empty: any product. A product category covers its subcategories.",
    )

    def _matches_ticket(self, ticket):
        """Whether ``ticket`` falls in this area: every criterion given must
        match (an empty one matches any request)."""
        self.ensure_one()
        if (
            self.partner_ids
            and ticket.commercial_partner_id
            not in self.partner_ids.commercial_partner_id
        ):
            return False
        if self.site_ids and ticket.site_id not in self.site_ids:
            return False
        if self.category_ids and ticket.category_id not in self.category_ids:
            return False
        if self.product_category_ids:
            categ = ticket.product_id.categ_id
            # parent_path "1/4/9/": the product's category or one above it.
            categ_ids = {int(i) for i in (categ.parent_path or "").split("/") if i}
            if not categ_ids & set(self.product_category_ids.ids):
                return False
        return True

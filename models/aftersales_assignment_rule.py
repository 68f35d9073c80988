from odoo import api, fields, models
from odoo.exceptions import ValidationError


def _split_list(text):
    """'İstanbul, Ankara' -> ['istanbul', 'ankara']"""
    return [part.strip().casefold() for part in (text or "").split(",") if part.strip()]


class AftersalesAssignmentRule(models.Model):
    """A routing rule: when a work order matches its conditions, it decides
    which centers may take the order.

    Rules are tried by sequence; the first that matches applies. Without a
    matching rule every center is considered and the best score wins.
    """

    _name = "aftersales.assignment.rule"
    _description = "After-Sales Assignment Rule"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )

    # Conditions (an empty condition matches everything)
    service_type_ids = fields.Many2many(
        "aftersales.service.type", string="Service Types", check_company=True
    )
    product_categ_ids = fields.Many2many(
        "product.category",
        string="Product Categories",
        help="Matches products of these categories and of their sub-categories.",
    )
    country_ids = fields.Many2many("res.country", string="Countries")
    state_ids = fields.Many2many("res.country.state", string="States")
    cities = fields.Char(help="Comma-separated city names.")
    districts = fields.Char(help="Comma-separated district names.")
    zip_prefixes = fields.Char(
        string="ZIP Prefixes", help="Comma-separated; '34' matches 34000 to 34999."
    )
    partner_category_ids = fields.Many2many(
        "res.partner.category", string="Customer Tags"
    )
    team_ids = fields.Many2many(
        "crm.team",
        string="Sales Teams",
        check_company=True,
        help="Matches work orders coming from sales of these teams.",
    )
    channels = fields.Char(
        help="Comma-separated request channels (sale, phone, portal, dealer, sms, "
        "qr, contract, backend).",
    )

    # Outcome
    outcome = fields.Selection(
        [
            ("fixed", "This Center"),
            ("allowed", "Best of These Centers"),
            ("best", "Best Center by Score"),
        ],
        required=True,
        default="best",
    )
    center_id = fields.Many2one("aftersales.center", check_company=True)
    center_ids = fields.Many2many(
        "aftersales.center",
        "aftersales_assignment_rule_center_rel",
        "rule_id",
        "center_id",
        string="Allowed Centers",
        check_company=True,
    )

    # ------------------------------------------------------------
    # Constrains
    # ------------------------------------------------------------

    @api.constrains("outcome", "center_id", "center_ids")
    def _check_outcome(self):
        for rule in self:
            if rule.outcome == "fixed" and not rule.center_id:
                raise ValidationError(
                    self.env._("Rule %(rule)s: choose its center.", rule=rule.name)
                )
            if rule.outcome == "allowed" and not rule.center_ids:
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s: choose its allowed centers.", rule=rule.name
                    )
                )

    # ------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------

    def _matches(self, order):
        """Whether ``order`` meets every condition set on this rule."""
        self.ensure_one()
        if self.service_type_ids and order.service_type_id not in self.service_type_ids:
            return False
        if self.product_categ_ids:
            categ_ids = {
                int(i)
                for i in (order.product_categ_id.parent_path or "").split("/")
                if i
            }
            if not categ_ids & set(self.product_categ_ids.ids):
                return False
        if self.country_ids and order.country_id not in self.country_ids:
            return False
        if self.state_ids and order.state_id not in self.state_ids:
            return False
        if self.cities and (order.city or "").strip().casefold() not in _split_list(
            self.cities
        ):
            return False
        if self.districts and (
            order.district or ""
        ).strip().casefold() not in _split_list(self.districts):
            return False
        if self.zip_prefixes and not any(
            (order.zip or "").startswith(prefix)
            for prefix in _split_list(self.zip_prefixes)
        ):
            return False
        if (
            self.partner_category_ids
            and not (
                order.partner_id.category_id
                | order.partner_id.commercial_partner_id.category_id
            )
            & self.partner_category_ids
        ):
            return False
        if self.team_ids and order.team_id not in self.team_ids:
            return False
        if self.channels and order.channel not in _split_list(self.channels):
            return False
        return True

    def _get_allowed_centers(self):
        """The centers this rule lets compete, or None for all of them."""
        self.ensure_one()
        if self.outcome == "fixed":
            return self.center_id
        if self.outcome == "allowed":
            return self.center_ids
        return None

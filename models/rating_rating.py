from odoo import api, fields, models


class RatingRating(models.Model):
    """Ratings of work orders feed the technicians' and centers' scores: they
    are read through the order's rules and written by our code only (see the
    rating rules in security/aftersales_security.xml)."""

    _inherit = "rating.rating"

    # The token rates the work without a login (/rate/<token>): whoever reads
    # it could rate in the customer's place. Only our code, as superuser, and
    # the administrators use it.
    access_token = fields.Char(groups="base.group_system")
    aftersales_order_id = fields.Many2one(
        "aftersales.order",
        string="Work Order",
        compute="_compute_aftersales_order_id",
        store=True,
        index="btree_not_null",
        ondelete="cascade",
        help="The rated work order: the record rules follow its own.",
    )

    @api.depends("res_model", "res_id")
    def _compute_aftersales_order_id(self):
        ratings = self.filtered(lambda r: r.res_model == "aftersales.order")
        existing = set(
            self.env["aftersales.order"].browse(ratings.mapped("res_id")).exists().ids
        )
        for rating in self:
            rating.aftersales_order_id = (
                rating.res_id
                if rating in ratings and rating.res_id in existing
                else False
            )

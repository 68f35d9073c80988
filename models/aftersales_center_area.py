from odoo import api, fields, models
from odoo.exceptions import ValidationError


class AftersalesCenterArea(models.Model):
    """One area a service center covers.

    Every field that is set must match the customer's address; a line with
    only a country covers the whole country.
    """

    _name = "aftersales.center.area"
    _description = "Area Covered by a Service Center"
    _order = "center_id, country_id, state_id, city, id"

    center_id = fields.Many2one(
        "aftersales.center", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="center_id.company_id", store=True, index=True)
    country_id = fields.Many2one("res.country", required=True, index=True)
    state_id = fields.Many2one(
        "res.country.state",
        index=True,
        domain="[('country_id', '=?', country_id)]",
    )
    city = fields.Char(index=True)
    district = fields.Char()
    zip_prefix = fields.Char(
        string="ZIP Prefix",
        index=True,
        help="Covers every ZIP code starting with these characters.",
    )

    # ------------------------------------------------------------
    # Constrains and onchanges
    # ------------------------------------------------------------

    @api.constrains("country_id", "state_id")
    def _check_state_in_country(self):
        for area in self:
            if area.state_id and area.state_id.country_id != area.country_id:
                raise ValidationError(
                    self.env._(
                        "The state %(state)s is not in %(country)s.",
                        state=area.state_id.name,
                        country=area.country_id.name,
                    )
                )

    @api.onchange("country_id")
    def _onchange_country_id(self):
        if self.state_id.country_id != self.country_id:
            self.state_id = False

    # ------------------------------------------------------------
    # Overrides
    # ------------------------------------------------------------

    @api.depends("country_id", "state_id", "city", "district", "zip_prefix")
    def _compute_display_name(self):
        for area in self:
            parts = [
                area.zip_prefix and f"{area.zip_prefix}*",
                area.district,
                area.city,
                area.state_id.name,
                area.country_id.name,
            ]
            area.display_name = ", ".join(part for part in parts if part)

    @api.model_create_multi
    def create(self, vals_list):
        return super().create([self._clean_text_vals(vals) for vals in vals_list])

    def write(self, vals):
        return super().write(self._clean_text_vals(vals))

    @api.model
    def _clean_text_vals(self, vals):
        # Matching compares these texts with addresses: no stray blanks.
        for fname in ("city", "district", "zip_prefix"):
            if isinstance(vals.get(fname), str):
                vals[fname] = vals[fname].strip() or False
        return vals

from odoo import api, fields, models, tools

from ..tools.sms_text import normalize_word


class AftersalesSmsKeyword(models.Model):
    """A word a customer may answer an approval request with, per language."""

    _name = "aftersales.sms.keyword"
    _description = "SMS Reply Keyword"
    _order = "lang, meaning, name"

    name = fields.Char(string="Keyword", required=True)
    normalized = fields.Char(
        compute="_compute_normalized", store=True, index=True, readonly=True
    )
    meaning = fields.Selection(
        [("approve", "Approve"), ("reject", "Reject")], required=True
    )
    lang = fields.Selection(
        selection="_get_languages",
        string="Language",
        required=True,
        help="The language of the customers who use it; replies are read "
        "against the keywords of every language.",
    )
    active = fields.Boolean(default=True)

    _normalized_unique = models.Constraint(
        "unique(normalized, lang)", "This keyword already exists for the language."
    )

    @api.model
    def _get_languages(self):
        return self.env["res.lang"].get_installed() + [
            (code, name)
            for code, name in (
                ("en_US", "English"),
                ("tr_TR", "Turkish"),
                ("fa_IR", "Persian"),
                ("sv_SE", "Swedish"),
            )
            if code not in dict(self.env["res.lang"].get_installed())
        ]

    @api.depends("name")
    def _compute_normalized(self):
        for keyword in self:
            keyword.normalized = normalize_word(keyword.name or "")

    @api.model
    @tools.ormcache()
    def _get_meanings(self):
        """{normalized keyword: meaning} of every active keyword (cached: every
        incoming SMS reads them)."""
        rows = self.sudo().search_fetch([], ["normalized", "meaning"])
        return {row.normalized: row.meaning for row in rows}

    # ------------------------------------------------------------
    # Overrides
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        keywords = super().create(vals_list)
        self.env.registry.clear_cache()
        return keywords

    def write(self, vals):
        result = super().write(vals)
        self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

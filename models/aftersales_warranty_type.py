from dateutil.relativedelta import relativedelta

from odoo import fields, models


class AftersalesWarrantyType(models.Model):
    _name = "aftersales.warranty.type"
    _description = "After-Sales Warranty Type"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        index=True,
        help="Leave empty to share this warranty type between all companies.",
    )

    # Duration
    duration = fields.Integer(required=True, default=2)
    duration_unit = fields.Selection(
        [("day", "Days"), ("month", "Months"), ("year", "Years")],
        required=True,
        default="year",
    )
    start_trigger = fields.Selection(
        [
            ("delivery", "Delivery to the Customer"),
            ("sale", "Sale Date"),
            ("installation", "Installation Done"),
            ("registration", "Registration by the Customer"),
        ],
        string="Starts On",
        required=True,
        default="delivery",
        help="The warranty of a serial is created when the unit is delivered; it "
        "starts at once, from the sale date, when its installation work order is "
        "done, or when the customer registers it.",
    )

    # Coverage
    covers_parts = fields.Boolean(string="Parts", default=True)
    covers_labour = fields.Boolean(string="Labour", default=True)
    covers_travel = fields.Boolean(string="Travel", default=True)

    # Extension
    extension_allowed = fields.Boolean(
        help="Warranties of this type can be extended (extended warranty)."
    )
    max_extension_months = fields.Integer(
        string="Maximum Extension (months)",
        default=36,
        help="How far past its normal end a warranty of this type may run.",
    )

    _duration_positive = models.Constraint(
        "CHECK(duration > 0)", "A warranty must last at least one day."
    )

    def _get_end_date(self, date_start):
        """The last day covered by a warranty of this type from ``date_start``."""
        self.ensure_one()
        return (
            date_start
            + relativedelta(**{f"{self.duration_unit}s": self.duration})
            - (relativedelta(days=1))
        )

from odoo import api, fields, models
from odoo.exceptions import ValidationError

# Orders in these states hold a slot of the center's capacity.
OPEN_ORDER_STATES = ("assigned", "accepted", "on_the_way", "in_progress", "awaiting_approval")


class AftersalesCenter(models.Model):
    _name = "aftersales.center"
    _description = "After-Sales Service Center"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "name, id"
    _check_company_auto = True

    # Identity
    name = fields.Char(required=True, tracking=True, index="trigram")
    code = fields.Char(index=True, copy=False)
    active = fields.Boolean(default=True, tracking=True)
    color = fields.Integer()
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        tracking=True,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Contact",
        required=True,
        index=True,
        check_company=True,
        ondelete="restrict",
        tracking=True,
        help="The service center's address, phone and billing contact.",
    )
    kind = fields.Selection(
        [("authorized", "Authorized"), ("private", "Private")],
        required=True,
        default="authorized",
        index=True,
        tracking=True,
        help="Authorized centers are contracted by the manufacturer; private "
        "shops work on demand.",
    )
    phone = fields.Char(related="partner_id.phone")
    email = fields.Char(related="partner_id.email")
    city = fields.Char(related="partner_id.city", store=True, index=True)
    state_id = fields.Many2one(related="partner_id.state_id", store=True)
    country_id = fields.Many2one(related="partner_id.country_id", store=True)

    # Coverage
    area_ids = fields.One2many(
        "aftersales.center.area",
        "center_id",
        string="Areas Covered",
        copy=True,
    )
    latitude = fields.Float(digits=(10, 7))
    longitude = fields.Float(digits=(10, 7))

    # Competence
    service_type_ids = fields.Many2many(
        "aftersales.service.type",
        "aftersales_center_service_type_rel",
        "center_id",
        "service_type_id",
        string="Service Types",
        check_company=True,
    )
    product_categ_ids = fields.Many2many(
        "product.category",
        "aftersales_center_product_category_rel",
        "center_id",
        "categ_id",
        string="Product Categories",
        help="Leave empty when the center is competent for every product.",
    )

    # Time and capacity
    resource_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Hours",
        required=True,
        check_company=True,
        default=lambda self: self.env.company.resource_calendar_id,
        help="Opening hours; the calendar's global time off are the public "
        "holidays of the center.",
    )
    holiday_ids = fields.One2many(
        related="resource_calendar_id.global_leave_ids",
        string="Public Holidays",
    )
    capacity = fields.Integer(
        default=10,
        required=True,
        tracking=True,
        help="How many work orders the center can have open at once.",
    )

    # Staff
    user_ids = fields.Many2many(
        "res.users",
        "aftersales_center_res_users_rel",
        "center_id",
        "user_id",
        string="Staff Users",
        domain=[("share", "=", False)],
        help="Back-office users of the center: they see the center's work "
        "orders and technicians.",
    )
    technician_ids = fields.One2many(
        "aftersales.technician", "center_id", string="Technicians"
    )

    # Statistics
    technician_count = fields.Integer(compute="_compute_technician_count")
    open_order_count = fields.Integer(
        compute="_compute_order_counts",
        help="Work orders assigned to the center and not finished yet.",
    )
    order_count = fields.Integer(compute="_compute_order_counts")
    load_percentage = fields.Float(
        string="Load (%)",
        compute="_compute_order_counts",
        help="Open work orders relative to the center's capacity.",
    )

    _capacity_positive = models.Constraint(
        "CHECK(capacity > 0)",
        "The capacity of a service center must be at least one open order.",
    )
    _code_company_uniq = models.UniqueIndex(
        "(code, company_id) WHERE code IS NOT NULL",
        "The code of a service center must be unique per company.",
    )

    # ------------------------------------------------------------
    # Constrains
    # ------------------------------------------------------------

    @api.constrains("latitude", "longitude")
    def _check_coordinates(self):
        for center in self:
            if not -90 <= center.latitude <= 90 or not -180 <= center.longitude <= 180:
                raise ValidationError(
                    self.env._(
                        "The position of %(center)s is out of range: latitude must "
                        "be between -90 and 90, longitude between -180 and 180.",
                        center=center.display_name,
                    )
                )

    # ------------------------------------------------------------
    # Compute methods
    # ------------------------------------------------------------

    def _compute_technician_count(self):
        counts = dict(
            self.env["aftersales.technician"]._read_group(
                [("center_id", "in", self.ids)], ["center_id"], ["__count"]
            )
        )
        for center in self:
            center.technician_count = counts.get(center, 0)

    def _compute_order_counts(self):
        groups = self.env["aftersales.order"]._read_group(
            [("center_id", "in", self.ids)], ["center_id", "state"], ["__count"]
        )
        totals, open_counts = {}, {}
        for center, state, count in groups:
            totals[center] = totals.get(center, 0) + count
            if state in OPEN_ORDER_STATES:
                open_counts[center] = open_counts.get(center, 0) + count
        for center in self:
            center.order_count = totals.get(center, 0)
            center.open_order_count = open_counts.get(center, 0)
            center.load_percentage = (
                100.0 * center.open_order_count / center.capacity
                if center.capacity
                else 0.0
            )

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_view_orders(self):
        """Open the work orders of this center."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales.aftersales_order_action"
        )
        action["domain"] = [("center_id", "=", self.id)]
        action["context"] = {"default_center_id": self.id}
        return action

    def action_view_technicians(self):
        """Open the technicians of this center."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales.aftersales_technician_action"
        )
        action["domain"] = [("center_id", "=", self.id)]
        action["context"] = {"default_center_id": self.id}
        return action

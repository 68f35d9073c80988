from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..tools.phone import format_e164

# Technician fields stored on the linked resource.resource.
RESOURCE_FIELDS = {
    "name",
    "active",
    "user_id",
    "company_id",
    "resource_calendar_id",
    "tz",
}


class AftersalesTechnician(models.Model):
    _name = "aftersales.technician"
    _description = "After-Sales Technician"
    _inherit = [
        "resource.mixin",
        "mail.thread",
        "mail.activity.mixin",
        "aftersales.performance.mixin",
    ]
    _performance_group_field = "technician_id"
    _order = "center_id, role, name, id"
    _check_company_auto = True

    # Identity
    name = fields.Char(
        related="resource_id.name",
        store=True,
        readonly=False,
        required=True,
        tracking=True,
        index="trigram",
    )
    active = fields.Boolean(
        related="resource_id.active", default=True, store=True, readonly=False
    )
    user_id = fields.Many2one(
        "res.users",
        related="resource_id.user_id",
        store=True,
        readonly=False,
        index="btree_not_null",
        domain=[("share", "=", False)],
        help="The user who logs in as this technician: they see the work "
        "orders assigned to them.",
    )
    color = fields.Integer()

    # Work
    center_id = fields.Many2one(
        "aftersales.center",
        string="Service Center",
        required=True,
        index=True,
        check_company=True,
        ondelete="restrict",
        tracking=True,
    )
    role = fields.Selection(
        [
            ("master", "Master Technician"),
            ("technician", "Technician"),
            ("assistant", "Assistant"),
        ],
        required=True,
        default="technician",
        tracking=True,
    )

    # Contact and notifications
    mobile = fields.Char(
        tracking=True,
        help="Stored in international E.164 form, e.g. +905321234567.",
    )
    email = fields.Char()
    sms_allowed = fields.Boolean(
        string="Receives SMS",
        default=True,
        help="Send this technician SMS about new, changed and cancelled work orders.",
    )
    notification_allowed = fields.Boolean(
        string="Receives Notifications",
        default=True,
        help="Notify this technician in Odoo about their work orders.",
    )

    # Stock
    van_location_id = fields.Many2one(
        "stock.location",
        string="Van Stock",
        check_company=True,
        copy=False,
        domain="[('aftersales_center_id', '=', center_id), ('usage', '=', 'internal')]",
        help="The parts the technician carries; parts they use are taken from "
        "here, else from the center's stock.",
    )

    # Statistics
    order_count = fields.Integer(compute="_compute_order_count")

    _user_company_uniq = models.UniqueIndex(
        "(user_id, company_id) WHERE user_id IS NOT NULL AND active",
        "A user can be only one active technician per company.",
    )

    # ------------------------------------------------------------
    # Compute methods
    # ------------------------------------------------------------

    def _compute_order_count(self):
        counts = dict(
            self.env["aftersales.order"]._read_group(
                [("technician_id", "in", self.ids)], ["technician_id"], ["__count"]
            )
        )
        for technician in self:
            technician.order_count = counts.get(technician, 0)

    # ------------------------------------------------------------
    # Overrides
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._normalize_mobile_vals(vals)
            self._prepare_center_defaults(vals)
            self._ensure_user_free(vals.get("user_id"), vals.get("center_id"))
        self.check_access("create")
        # A technician lives on a resource.resource, which center users may not
        # write: resources also back employees. Once the ACL allowed the create,
        # run it as superuser and apply the technician's record rules to the
        # result ourselves, so a center user still only creates its own staff.
        technicians_sudo = super(AftersalesTechnician, self.sudo()).create(vals_list)
        technicians = technicians_sudo.with_env(self.env)
        technicians.check_access("create")
        return technicians

    def write(self, vals):
        self._normalize_mobile_vals(vals)
        self._ensure_center_unchanged(vals)
        self._ensure_reactivation_allowed(vals)
        if vals.get("user_id"):
            for technician in self:
                technician._ensure_user_free(
                    vals["user_id"], vals.get("center_id") or technician.center_id.id
                )
        if RESOURCE_FIELDS.isdisjoint(vals):
            result = super().write(vals)
        else:
            self.check_access("write")
            # Same reason as in create(): these fields are written on the
            # resource.
            technicians_sudo = self.sudo()
            result = super(AftersalesTechnician, technicians_sudo).write(vals)
        # The record rules hold before the write (checked by the ORM or
        # above); they must still hold after it, as in create().
        self.check_access("write")
        return result

    # ------------------------------------------------------------
    # Guards
    # ------------------------------------------------------------

    def _ensure_center_unchanged(self, vals):
        """Only dispatchers move technicians between centers: center staff
        would otherwise plant their people in a competitor's center."""
        if (
            "center_id" in vals
            and not self.env.su
            and not self.env.user.has_group("aftersales.group_dispatcher")
            and any(t.center_id.id != vals["center_id"] for t in self)
        ):
            raise AccessError(
                self.env._("Only dispatchers move technicians to another center.")
            )

    def _ensure_reactivation_allowed(self, vals):
        """Center staff archive their technicians; only dispatchers bring an
        archived one back: archiving is how access is taken away (e.g. from a
        compromised account), so the center must not undo it."""
        if (
            vals.get("active")
            and not self.env.su
            and not self.env.user.has_group("aftersales.group_dispatcher")
            and any(not technician.active for technician in self)
        ):
            raise AccessError(
                self.env._("Only dispatchers restore an archived technician.")
            )

    @api.model
    def _ensure_user_free(self, user_id, center_id):
        """A technician record is given only to a user who works for no other
        center (as staff or as an active technician): it opens the center's
        orders to that user."""
        if not user_id or self.env.su:
            return
        if self.env.user.has_group("aftersales.group_dispatcher"):
            return
        # Other centers and their technicians are not readable by center
        # staff; only whether the user works there is looked at.
        centers_sudo = self.env["aftersales.center"].sudo()
        technicians_sudo = self.sudo()
        elsewhere = centers_sudo.search_count(
            [("user_ids", "in", user_id), ("id", "!=", center_id)], limit=1
        ) or technicians_sudo.search_count(
            [
                ("user_id", "=", user_id),
                ("center_id", "!=", center_id),
                ("id", "not in", self.ids),
            ],
            limit=1,
        )
        if elsewhere:
            users_sudo = self.env["res.users"].sudo()
            raise AccessError(
                self.env._(
                    "%(user)s works for another service center: only a "
                    "dispatcher can make them one of your technicians.",
                    # The user may belong to a center the staff cannot read.
                    user=users_sudo.browse(user_id).name,
                )
            )

    @api.constrains("van_location_id", "center_id")
    def _check_van_location(self):
        for technician in self.filtered("van_location_id"):
            center_stock = technician.center_id.stock_location_id
            van = technician.van_location_id
            if van.usage != "internal" or (
                center_stock
                and not van.parent_path.startswith(center_stock.parent_path)
            ):
                raise ValidationError(
                    self.env._(
                        "The van of %(technician)s must be a location inside the "
                        "stock of %(center)s.",
                        technician=technician.name,
                        center=technician.center_id.name,
                    )
                )

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_create_van_location(self):
        """Give the technician a van stock inside their center's stock."""
        self.check_access("write")
        for technician in self.filtered(lambda t: not t.van_location_id):
            parent = technician.center_id.stock_location_id
            if not parent:
                raise UserError(
                    self.env._(
                        "%(center)s has no parts stock yet.",
                        center=technician.center_id.name,
                    )
                )
            # Center staff manage their vans without stock rights.
            locations_sudo = self.env["stock.location"].sudo()
            location = locations_sudo.create(
                {
                    "name": self.env._("Van %(name)s", name=technician.name),
                    "usage": "internal",
                    "location_id": parent.id,
                    "company_id": technician.company_id.id,
                    "aftersales_center_id": technician.center_id.id,
                }
            )
            technician.van_location_id = location.id
        return True

    # ------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------

    @api.model
    def _prepare_center_defaults(self, vals):
        """Default the company and working hours to the center's."""
        center = self.env["aftersales.center"].browse(vals.get("center_id"))
        if center:
            vals.setdefault("company_id", center.company_id.id)
            vals.setdefault("resource_calendar_id", center.resource_calendar_id.id)

    def _normalize_mobile_vals(self, vals):
        if vals.get("mobile"):
            center = self.env["aftersales.center"].browse(
                vals.get("center_id") or self[:1].center_id.id
            )
            vals["mobile"] = self._format_mobile_e164(vals["mobile"], center)

    @api.model
    def _format_mobile_e164(self, number, center):
        """Return ``number`` in E.164 form, or raise a ValidationError.

        A number without country prefix is read in the country of the center,
        then of the company.
        """
        country = (
            center.partner_id.country_id
            or center.company_id.country_id
            or self.env.company.country_id
        )
        return format_e164(self.env, number, country)

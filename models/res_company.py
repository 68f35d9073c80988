from odoo import fields, models

from .sms_http_api import SmsApiAftersalesHttp


class ResCompany(models.Model):
    _inherit = "res.company"

    # Assignment
    aftersales_auto_assign = fields.Boolean(
        string="Assign Work Orders Automatically",
        default=True,
        help="Send new work orders (from sales too) to the best service center "
        "as soon as they are created; otherwise a dispatcher assigns them.",
    )
    aftersales_dispatcher_id = fields.Many2one(
        "res.users",
        string="Default Dispatcher",
        domain=[("share", "=", False)],
        help="Handles work orders nobody dispatches yet (from sales, or that no "
        "center could take).",
    )
    aftersales_max_rejections = fields.Integer(
        string="Rejections Before Escalation",
        default=3,
        help="After this many rejections a work order goes to a dispatcher "
        "instead of the next center.",
    )
    aftersales_accept_timeout = fields.Float(
        string="Acceptance Timeout (hours)",
        default=24.0,
        help="A center that has not accepted an assigned work order within this "
        "time loses it to the next center.",
    )
    aftersales_scheduling_window = fields.Float(
        string="Scheduling Window (hours)",
        default=72.0,
        help="Without a requested time, a center must have an open slot within "
        "this many hours.",
    )
    aftersales_distance_scale = fields.Float(
        string="Distance Scale (km)",
        default=100.0,
        help="A center this far away or farther gets no points for distance.",
    )

    # Replacement instead of repair
    aftersales_replacement_repairs = fields.Integer(
        string="Repairs Before Replacement",
        default=3,
        help="A unit repaired this many times within the period below gets its "
        "next work order flagged: offer a replacement instead (0: never).",
    )
    aftersales_replacement_months = fields.Integer(
        string="Replacement Period (months)", default=12
    )

    # Score weights
    aftersales_weight_distance = fields.Float(string="Weight of Distance", default=40.0)
    aftersales_weight_load = fields.Float(
        string="Weight of Free Capacity", default=30.0
    )
    aftersales_weight_authorized = fields.Float(
        string="Weight of Authorized Centers", default=20.0
    )
    aftersales_weight_rating = fields.Float(string="Weight of Rating", default=5.0)
    aftersales_weight_on_time = fields.Float(
        string="Weight of On-Time Rate", default=5.0
    )

    # SMS: which events text whom
    aftersales_sms_technician_assigned = fields.Boolean(
        string="SMS Technicians New Assignments",
        default=True,
        help="Text the technician the address, time and a link of each new job.",
    )
    aftersales_sms_technician_changed = fields.Boolean(
        string="SMS Technicians Changes",
        default=True,
        help="Text the technician when the time or address of their job changes.",
    )
    aftersales_sms_technician_cancelled = fields.Boolean(
        string="SMS Technicians Cancellations",
        default=True,
        help="Text the technician when their job is cancelled or taken away.",
    )
    aftersales_sms_customer_assigned = fields.Boolean(
        string="SMS Customers Their Technician",
        default=True,
        help="Text the customer the center and technician, with their contact, "
        "once the center accepted the job.",
    )
    aftersales_sms_customer_on_the_way = fields.Boolean(
        string="SMS Customers When the Technician Leaves", default=True
    )
    aftersales_sms_customer_approval = fields.Boolean(
        string="SMS Customers the Approval Request",
        default=True,
        help="Text the customer the approval link and the reply codes when the "
        "work is finished.",
    )
    aftersales_sms_customer_rating = fields.Boolean(
        string="SMS Customers a Rating Request",
        default=True,
        help="Once the work is done, ask the customer to rate it (1-5) unless "
        "they already did.",
    )
    aftersales_sms_gateway_id = fields.Many2one(
        "aftersales.sms.gateway",
        string="SMS Gateway",
        domain="[('company_id', '=', id)]",
        help="Send this company's SMS through this HTTP gateway instead of "
        "Odoo's provider.",
    )

    # Customer approval
    aftersales_approval_link_hours = fields.Integer(
        string="Approval Link Validity (hours)",
        default=72,
        help="How long the approval link sent to the customer can be used.",
    )
    aftersales_approval_show_photos = fields.Boolean(
        string="Show Photos on the Approval Page",
        default=True,
        help="Customers see the pictures attached to the work order when they "
        "approve it.",
    )

    # ------------------------------------------------------------
    # SMS
    # ------------------------------------------------------------

    def _get_sms_api_class(self):
        self.ensure_one()
        if self.aftersales_sms_gateway_id:
            return SmsApiAftersalesHttp
        return super()._get_sms_api_class()

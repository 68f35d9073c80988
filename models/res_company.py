from odoo import fields, models


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

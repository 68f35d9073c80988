from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    aftersales_auto_assign = fields.Boolean(
        related="company_id.aftersales_auto_assign", readonly=False
    )
    aftersales_dispatcher_id = fields.Many2one(
        related="company_id.aftersales_dispatcher_id", readonly=False
    )
    aftersales_max_rejections = fields.Integer(
        related="company_id.aftersales_max_rejections", readonly=False
    )
    aftersales_accept_timeout = fields.Float(
        related="company_id.aftersales_accept_timeout", readonly=False
    )
    aftersales_scheduling_window = fields.Float(
        related="company_id.aftersales_scheduling_window", readonly=False
    )
    aftersales_distance_scale = fields.Float(
        related="company_id.aftersales_distance_scale", readonly=False
    )
    aftersales_replacement_repairs = fields.Integer(
        related="company_id.aftersales_replacement_repairs", readonly=False
    )
    aftersales_replacement_warranty = fields.Selection(
        related="company_id.aftersales_replacement_warranty", readonly=False
    )
    aftersales_ticket_team_id = fields.Many2one(
        related="company_id.aftersales_ticket_team_id", readonly=False
    )
    aftersales_ticket_public_form = fields.Boolean(
        related="company_id.aftersales_ticket_public_form", readonly=False
    )
    aftersales_ticket_form_limit = fields.Integer(
        related="company_id.aftersales_ticket_form_limit", readonly=False
    )
    aftersales_ticket_upload_mb = fields.Float(
        related="company_id.aftersales_ticket_upload_mb", readonly=False
    )
    aftersales_ticket_reopen_days = fields.Integer(
        related="company_id.aftersales_ticket_reopen_days", readonly=False
    )
    aftersales_sms_ticket_register_unit = fields.Boolean(
        related="company_id.aftersales_sms_ticket_register_unit", readonly=False
    )
    aftersales_estimate_reminder_days = fields.Integer(
        related="company_id.aftersales_estimate_reminder_days", readonly=False
    )
    aftersales_estimate_expiry_days = fields.Integer(
        related="company_id.aftersales_estimate_expiry_days", readonly=False
    )
    aftersales_inspection_fee_on_rejection = fields.Boolean(
        related="company_id.aftersales_inspection_fee_on_rejection", readonly=False
    )
    aftersales_replacement_months = fields.Integer(
        related="company_id.aftersales_replacement_months", readonly=False
    )
    aftersales_weight_distance = fields.Float(
        related="company_id.aftersales_weight_distance", readonly=False
    )
    aftersales_weight_load = fields.Float(
        related="company_id.aftersales_weight_load", readonly=False
    )
    aftersales_weight_authorized = fields.Float(
        related="company_id.aftersales_weight_authorized", readonly=False
    )
    aftersales_weight_rating = fields.Float(
        related="company_id.aftersales_weight_rating", readonly=False
    )
    aftersales_weight_on_time = fields.Float(
        related="company_id.aftersales_weight_on_time", readonly=False
    )
    aftersales_sms_technician_assigned = fields.Boolean(
        related="company_id.aftersales_sms_technician_assigned", readonly=False
    )
    aftersales_sms_technician_changed = fields.Boolean(
        related="company_id.aftersales_sms_technician_changed", readonly=False
    )
    aftersales_sms_technician_cancelled = fields.Boolean(
        related="company_id.aftersales_sms_technician_cancelled", readonly=False
    )
    aftersales_sms_customer_assigned = fields.Boolean(
        related="company_id.aftersales_sms_customer_assigned", readonly=False
    )
    aftersales_sms_customer_on_the_way = fields.Boolean(
        related="company_id.aftersales_sms_customer_on_the_way", readonly=False
    )
    aftersales_sms_customer_approval = fields.Boolean(
        related="company_id.aftersales_sms_customer_approval", readonly=False
    )
    aftersales_sms_customer_rating = fields.Boolean(
        related="company_id.aftersales_sms_customer_rating", readonly=False
    )
    aftersales_sms_estimate_sent = fields.Boolean(
        related="company_id.aftersales_sms_estimate_sent", readonly=False
    )
    aftersales_sms_estimate_reminder = fields.Boolean(
        related="company_id.aftersales_sms_estimate_reminder", readonly=False
    )
    aftersales_sms_ready_for_pickup = fields.Boolean(
        related="company_id.aftersales_sms_ready_for_pickup", readonly=False
    )
    aftersales_sms_sla_warning = fields.Boolean(
        related="company_id.aftersales_sms_sla_warning", readonly=False
    )
    aftersales_sla_manager_id = fields.Many2one(
        related="company_id.aftersales_sla_manager_id", readonly=False
    )
    aftersales_rating_email = fields.Boolean(
        related="company_id.aftersales_rating_email", readonly=False
    )
    aftersales_low_rating_threshold = fields.Integer(
        related="company_id.aftersales_low_rating_threshold", readonly=False
    )
    aftersales_low_rating_email = fields.Boolean(
        related="company_id.aftersales_low_rating_email", readonly=False
    )
    aftersales_score_weight_on_time = fields.Float(
        related="company_id.aftersales_score_weight_on_time", readonly=False
    )
    aftersales_score_weight_approval = fields.Float(
        related="company_id.aftersales_score_weight_approval", readonly=False
    )
    aftersales_score_weight_rating = fields.Float(
        related="company_id.aftersales_score_weight_rating", readonly=False
    )
    aftersales_score_weight_first_fix = fields.Float(
        related="company_id.aftersales_score_weight_first_fix", readonly=False
    )
    aftersales_score_weight_completion = fields.Float(
        related="company_id.aftersales_score_weight_completion", readonly=False
    )
    aftersales_sms_gateway_id = fields.Many2one(
        related="company_id.aftersales_sms_gateway_id", readonly=False
    )
    aftersales_approval_link_hours = fields.Integer(
        related="company_id.aftersales_approval_link_hours", readonly=False
    )
    aftersales_approval_show_photos = fields.Boolean(
        related="company_id.aftersales_approval_show_photos", readonly=False
    )
    aftersales_qr_codes_per_day = fields.Integer(
        related="company_id.aftersales_qr_codes_per_day", readonly=False
    )
    aftersales_media_max_mb = fields.Integer(
        related="company_id.aftersales_media_max_mb", readonly=False
    )
    aftersales_media_max_count = fields.Integer(
        related="company_id.aftersales_media_max_count", readonly=False
    )
    aftersales_travel_product_id = fields.Many2one(
        related="company_id.aftersales_travel_product_id", readonly=False
    )
    aftersales_invoice_grouping = fields.Selection(
        related="company_id.aftersales_invoice_grouping", readonly=False
    )
    aftersales_invoice_covered = fields.Selection(
        related="company_id.aftersales_invoice_covered", readonly=False
    )
    aftersales_contract_days_ahead = fields.Integer(
        related="company_id.aftersales_contract_days_ahead", readonly=False
    )
    aftersales_contract_reminder_days = fields.Integer(
        related="company_id.aftersales_contract_reminder_days", readonly=False
    )
    aftersales_contract_reminder_sms = fields.Boolean(
        related="company_id.aftersales_contract_reminder_sms", readonly=False
    )
    aftersales_contract_reminder_email = fields.Boolean(
        related="company_id.aftersales_contract_reminder_email", readonly=False
    )
    aftersales_contract_renewal_days = fields.Integer(
        related="company_id.aftersales_contract_renewal_days", readonly=False
    )
    aftersales_settlement_period = fields.Selection(
        related="company_id.aftersales_settlement_period", readonly=False
    )
    aftersales_settlement_bill_grouping = fields.Selection(
        related="company_id.aftersales_settlement_bill_grouping", readonly=False
    )
    aftersales_settlement_product_id = fields.Many2one(
        related="company_id.aftersales_settlement_product_id", readonly=False
    )

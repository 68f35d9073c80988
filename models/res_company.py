from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools.sms_http_api import SmsApiAftersalesHttp


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

    # Service desk (service requests)
    aftersales_ticket_team_id = fields.Many2one(
        "aftersales.ticket.team",
        string="Default Desk Team",
        help="Takes the requests no area of responsibility or category routes.",
    )
    aftersales_ticket_public_form = fields.Boolean(
        string="Public Request Form",
        default=True,
        help="Anyone may send a request on the web form, without login.",
    )
    aftersales_ticket_form_limit = fields.Integer(
        string="Requests per Address and Hour",
        default=5,
        help="The public form refuses more requests from one network address.",
    )
    aftersales_ticket_upload_mb = fields.Float(
        string="Upload Limit (MB)",
        default=10.0,
        help="The most a request may attach on the public form and the portal.",
    )
    aftersales_ticket_reopen_days = fields.Integer(
        string="Reopen on Reply (days)",
        default=14,
        help="A customer's reply within this many days of solving reopens the "
        "request; later, it opens a new one.",
    )
    aftersales_sms_ticket_register_unit = fields.Boolean(
        string="Register Units by SMS",
        help="A customer who texts the serial or card number of a unit nobody "
        "registered yet becomes its owner (warranty registration).",
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
    aftersales_replacement_warranty = fields.Selection(
        [
            ("remaining", "Remaining Term"),
            ("new", "New Term"),
        ],
        string="Warranty of a Replacement",
        default="remaining",
        required=True,
        help="A unit replaced at the desk passes its warranty to the new serial: "
        "for what remains of its term, or for a new term of the same type.",
    )

    # Workshop estimates
    aftersales_estimate_reminder_days = fields.Integer(
        string="Estimate Reminder (days)",
        default=2,
        help="Remind the customer of an unanswered estimate after this many "
        "days (0: never).",
    )
    aftersales_estimate_expiry_days = fields.Integer(
        string="No Answer After (days)",
        default=7,
        help="An estimate still unanswered after this many days is marked "
        '"no cost declared" and the desk gets a to-do (0: never).',
    )
    aftersales_inspection_fee_on_rejection = fields.Boolean(
        string="Invoice the Inspection Fee",
        default=True,
        help="When the customer declines an estimate, the inspection fee of the "
        "service type is invoiced at pickup.",
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
    aftersales_sms_estimate_sent = fields.Boolean(
        string="SMS Customers the Repair Estimate",
        default=True,
        help="Text the customer of a service desk the estimate's total, its "
        "link and the reply codes to accept or decline it.",
    )
    aftersales_sms_estimate_reminder = fields.Boolean(
        string="SMS Customers an Estimate Reminder",
        default=True,
        help="Remind the customer once of an estimate still unanswered after "
        "the reminder days.",
    )
    aftersales_sms_ready_for_pickup = fields.Boolean(
        string="SMS Customers Their Unit Is Ready",
        default=True,
        help="Text the customer the pickup code and the desk's address and "
        "hours once the unit is ready.",
    )
    aftersales_sms_sla_warning = fields.Boolean(
        string="SMS Technicians SLA Warnings",
        default=True,
        help="Where an SLA policy warns by SMS, text the technician (who may "
        "receive SMS) when a deadline nears.",
    )

    # SLA, ratings and performance
    aftersales_sla_manager_id = fields.Many2one(
        "res.users",
        string="SLA Manager",
        domain=[("share", "=", False)],
        help="Who SLA breaches escalate to; the order's dispatcher when empty.",
    )
    aftersales_rating_email = fields.Boolean(
        string="E-mail Customers a Rating Request",
        help="Once the work is done, e-mail the customer a link to rate it.",
    )
    aftersales_low_rating_threshold = fields.Integer(
        string="Low Rating Threshold",
        default=2,
        help="A rating at or under this value (1-5) alerts the manager at once; "
        "0 to never alert.",
    )
    aftersales_low_rating_email = fields.Boolean(
        string="E-mail Low Ratings",
        help="Besides the activity, e-mail the manager about a low rating.",
    )
    aftersales_score_weight_on_time = fields.Float(
        string="Score Weight: On Time", default=30.0
    )
    aftersales_score_weight_approval = fields.Float(
        string="Score Weight: First-Time Approval", default=20.0
    )
    aftersales_score_weight_rating = fields.Float(
        string="Score Weight: Rating", default=25.0
    )
    aftersales_score_weight_first_fix = fields.Float(
        string="Score Weight: First-Time Fix", default=15.0
    )
    aftersales_score_weight_completion = fields.Float(
        string="Score Weight: Not Cancelled or Returned", default=10.0
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
    aftersales_qr_codes_per_day = fields.Integer(
        string="QR Codes by SMS per Day",
        default=200,
        help="At most this many verification codes are texted a day to people "
        "who scan a unit's QR code without an account (0: none). Bounds what "
        "SMS pumping can cost.",
    )

    # Field execution
    aftersales_media_max_mb = fields.Integer(
        string="Largest Photo or Document (MB)",
        default=25,
        help="Larger files are refused when attached to a work order.",
    )
    aftersales_media_max_count = fields.Integer(
        string="Photos and Documents per Order",
        default=30,
        help="How many files a work order may hold (archived ones not counted).",
    )

    # Stock (the operation types and centers location are the warehouse's)
    aftersales_defective_location_id = fields.Many2one(
        "stock.location",
        string="Defective Parts Location",
        help="Where the defective parts technicians take back are received, "
        "waiting to go back to the manufacturer.",
    )

    # Invoicing
    aftersales_travel_product_id = fields.Many2one(
        "product.product",
        string="Travel Product",
        domain=[("type", "=", "service")],
        help="Invoiced once per visit of on-site work that the warranty does "
        "not cover.",
    )
    aftersales_invoice_grouping = fields.Selection(
        [("order", "One Invoice per Work Order"), ("customer", "One per Customer")],
        string="Invoice Grouping",
        default="order",
        required=True,
    )
    aftersales_invoice_covered = fields.Selection(
        [("zero", "Listed at Zero"), ("hide", "Left Out")],
        string="Covered Items on Invoices",
        default="zero",
        required=True,
        help="How parts, labour and travel paid by the warranty appear on the "
        "customer's invoice.",
    )

    # Service contracts
    aftersales_contract_days_ahead = fields.Integer(
        string="Plan Visits Ahead (days)",
        default=30,
        help="How many days ahead the contracts' planned visits become work orders.",
    )
    aftersales_contract_reminder_days = fields.Integer(
        string="Remind Before Visit (days)",
        default=2,
        help="Days before a planned visit the customer is reminded; 0: no reminder.",
    )
    aftersales_contract_reminder_sms = fields.Boolean(
        string="Visit Reminder by SMS", default=True
    )
    aftersales_contract_reminder_email = fields.Boolean(
        string="Visit Reminder by E-mail", default=True
    )
    aftersales_contract_renewal_days = fields.Integer(
        string="Offer Renewal Before End (days)",
        default=30,
        help="Days before a contract ends its renewal offer is drafted.",
    )

    # Settlements with service centers
    aftersales_settlement_period = fields.Selection(
        [("week", "Weekly"), ("month", "Monthly")],
        string="Settlement Period",
        default="month",
        required=True,
        help="Service centers are paid per week or per month of completed work.",
    )
    aftersales_settlement_bill_grouping = fields.Selection(
        [
            ("order", "One Line per Work Order"),
            ("service_type", "One per Service Type"),
        ],
        string="Center Bill Lines",
        default="order",
        required=True,
    )
    aftersales_settlement_product_id = fields.Many2one(
        "product.product",
        string="Center Bill Product",
        domain=[("type", "=", "service")],
        help="Service product of the vendor bills paying the centers: its "
        "purchase taxes and expense account apply.",
    )

    # ------------------------------------------------------------
    # Stock
    # ------------------------------------------------------------

    def _create_per_company_locations(self):
        result = super()._create_per_company_locations()
        self._create_aftersales_locations()
        return result

    @api.model
    def _create_missing_aftersales_locations(self):
        """Give the companies that existed before the addon their after-sales
        locations, as stock's ``create_missing_scrap_location`` does."""
        self.search(
            [("aftersales_defective_location_id", "=", False)]
        )._create_aftersales_locations()

    def _create_aftersales_locations(self):
        for company in self:
            # A virtual location without parent, like Odoo's scrap: the parts
            # are counted (quants) but neither valued nor on hand in stock.
            company.aftersales_defective_location_id = self.env[
                "stock.location"
            ].create(
                {
                    "name": self.env._("Defective Parts"),
                    "usage": "inventory",
                    "company_id": company.id,
                }
            )

    def _aftersales_get_warehouse(self):
        """The warehouse of the company's after-sales stock (its first one),
        as superuser: center staff and technicians have no stock rights."""
        self.ensure_one()
        return (
            self.env["stock.warehouse"]
            .sudo()
            .search([("company_id", "=", self.id)], limit=1)
        )

    def _aftersales_ensure_warehouse(self):
        warehouse_sudo = self._aftersales_get_warehouse()
        if not warehouse_sudo:
            raise UserError(
                self.env._(
                    "%(company)s has no warehouse: create one before recording "
                    "parts on work orders.",
                    company=self.name,
                )
            )
        return warehouse_sudo

    # ------------------------------------------------------------
    # SMS
    # ------------------------------------------------------------

    def _get_sms_api_class(self):
        self.ensure_one()
        if self.aftersales_sms_gateway_id:
            return SmsApiAftersalesHttp
        return super()._get_sms_api_class()

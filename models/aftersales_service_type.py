from odoo import fields, models

from .aftersales_order.states import WORK_PLACES


class AftersalesServiceType(models.Model):
    _name = "aftersales.service.type"
    _description = "After-Sales Service Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True,
        help="Short technical code used by integrations and routing rules.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    description = fields.Text(translate=True)
    company_id = fields.Many2one(
        "res.company",
        index=True,
        help="Leave empty to share this service type between all companies.",
    )

    # Completion rules
    approval_required = fields.Boolean(
        string="Customer Approval Required",
        help="A work order of this type can only be completed once the customer "
        "has approved the work.",
    )
    is_repair = fields.Boolean(
        string="Counts as a Repair",
        help="Work orders of this type count towards the replacement threshold.",
    )
    starts_warranty = fields.Boolean(
        string="Starts Warranties",
        help="Completing a work order of this type starts the serial's warranty "
        "when its type starts at installation.",
    )
    default_duration = fields.Float(
        string="Default Duration (hours)",
        default=1.0,
        help="Planned time on site, used to block the technician's calendar.",
    )

    on_site = fields.Boolean(
        default=True,
        help="The technician travels to the customer: travel is charged.",
    )
    work_place = fields.Selection(
        WORK_PLACES,
        required=True,
        default="field",
        help="On site: the technician goes to the customer. Workshop: the "
        "customer or a dealer brings the unit to a service desk, which "
        "receives it, estimates the cost, repairs it and hands it back.",
    )
    inspection_fee_product_id = fields.Many2one(
        "product.product",
        string="Inspection Fee",
        check_company=True,
        domain=[("type", "=", "service")],
        help="Workshop: the fee of inspecting the unit, on its estimate; "
        "invoiced alone when the customer declines the estimate (company "
        "setting).",
    )

    # Quality control
    qc_required = fields.Boolean(
        string="Quality Check Required",
        help="A quality inspector must pass the work before the order is completed.",
    )
    qc_item_ids = fields.One2many(
        "aftersales.qc.item", "service_type_id", string="Quality Checklist"
    )

    # Invoicing
    labour_product_id = fields.Many2one(
        "product.product",
        domain=[("type", "=", "service")],
        help="Service product invoiced for the labour of chargeable work; its "
        "taxes and income account apply.",
    )
    labour_pricing = fields.Selection(
        [("fixed", "Fixed Tariff"), ("time", "By the Hour")],
        default="fixed",
        required=True,
        help="Fixed: one tariff per order. By the hour: the hours of the visits "
        "(in quarters) at the product's price.",
    )
    labour_price = fields.Float(
        string="Tariff",
        digits="Product Price",
        help="Price of the labour (per order, or per hour); the labour "
        "product's sales price when zero.",
    )

    # NULLS NOT DISTINCT: a shared type (no company) must not duplicate a code either.
    _code_company_uniq = models.UniqueIndex(
        "(code, company_id) NULLS NOT DISTINCT",
        "The code of a service type must be unique per company.",
    )

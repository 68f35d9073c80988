from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_is_zero

# Workshop estimate fields only the flow writes.
ESTIMATE_WORKFLOW_FIELDS = {"estimate_sale_id"}


class AftersalesOrder(models.Model):
    """The workshop estimate as a native quotation (depends on ``sale``):
    built from the parts, labour and inspection fee, covered items at zero,
    accepted or declined on the portal, by text or at the desk, and invoiced
    once, at pickup."""

    _inherit = "aftersales.order"

    estimate_sale_id = fields.Many2one(
        "sale.order",
        string="Estimate",
        readonly=True,
        copy=False,
        index="btree_not_null",
        check_company=True,
        help="The quotation the customer accepts or declines: the parts, the "
        "labour and the inspection fee the repair will cost.",
    )
    estimate_hours = fields.Float(
        string="Estimated Hours",
        copy=False,
        help="The labour hours the technician expects the repair to take; "
        "priced on the estimate by the hour of the service type's labour.",
    )
    # Read as superuser: technicians see the amount of the estimate they
    # prepared without sales rights.
    estimate_amount = fields.Monetary(
        string="Estimate (untaxed)",
        compute="_compute_estimate_amount",
        compute_sudo=True,
        currency_field="estimate_currency_id",
    )
    # The quotation's currency (the company's pricelist), read without
    # sales rights as the amount is.
    estimate_currency_id = fields.Many2one(
        related="estimate_sale_id.currency_id",
        related_sudo=True,
        string="Estimate Currency",
    )
    estimate_sale_state = fields.Selection(
        related="estimate_sale_id.state", string="Estimate Status"
    )

    # ------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------

    @api.depends("estimate_sale_id.amount_untaxed")
    def _compute_estimate_amount(self):
        for order in self:
            order.estimate_amount = order.estimate_sale_id.amount_untaxed

    # ------------------------------------------------------------
    # Overrides
    # ------------------------------------------------------------

    def _get_workflow_fields(self):
        return super()._get_workflow_fields() | ESTIMATE_WORKFLOW_FIELDS

    @api.model
    def _get_writable_fields_technician(self):
        # The technician who inspects the unit estimates the labour.
        return super()._get_writable_fields_technician() | {"estimate_hours"}

    @api.depends(
        "estimate_sale_id.state",
        "estimate_sale_id.order_line.price_subtotal",
        "company_id.aftersales_inspection_fee_on_rejection",
    )
    def _compute_amount_chargeable(self):
        return super()._compute_amount_chargeable()

    def _get_invoiceable_items(self):
        """An order with an estimate charges what the customer accepted:
        the estimate's lines once confirmed, the inspection fee alone once
        declined (when the company invoices it), nothing while undecided.
        Orders without an estimate charge their work as before."""
        self.ensure_one()
        # The quotation is read for users without sales rights (desk staff,
        # technicians): the amounts of their own order.
        sale_sudo = self.sudo().estimate_sale_id
        if not sale_sudo:
            return super()._get_invoiceable_items()
        lines = sale_sudo.order_line.filtered(lambda line: not line.display_type)
        if sale_sudo.state == "sale":
            return [line._get_aftersales_estimate_item() for line in lines]
        fee = self.service_type_id.inspection_fee_product_id
        if (
            sale_sudo.state == "cancel"
            and fee
            and self.company_id.aftersales_inspection_fee_on_rejection
        ):
            # Declined: the quotation is cancelled, the fee is invoiced alone.
            return [
                line._get_aftersales_estimate_item(link=False)
                for line in lines
                if line.product_id == fee
            ]
        return []

    def _get_approval_page_lines(self):
        # The approval page (SMS link) shows the estimate once there is one.
        if not self.estimate_sale_id:
            return super()._get_approval_page_lines()
        # The customer reads the quotation on the approval page (token).
        sale_sudo = self.sudo().estimate_sale_id
        currency = self.estimate_currency_id
        return [
            (
                line.name,
                f"{line.product_uom_qty:g}",
                self.env._("Covered")
                if line.aftersales_estimate_covered
                else currency.format(line.price_subtotal),
            )
            for line in sale_sudo.order_line
            if not line.display_type
        ]

    def _get_approval_page_total(self):
        if not self.estimate_sale_id:
            return super()._get_approval_page_total()
        # As for the lines: the customer's quotation, read for the page.
        sale_sudo = self.sudo().estimate_sale_id
        return self.estimate_currency_id.format(sale_sudo.amount_total)

    # ------------------------------------------------------------
    # Workshop hooks
    # ------------------------------------------------------------

    def _prepare_estimates(self):
        """Create each order's quotation, or refresh its draft; a quotation
        already sent is replaced by a new version (the old one cancelled), an
        accepted one is never touched."""
        result = super()._prepare_estimates()
        for order in self:
            line_vals = order._prepare_estimate_line_vals()
            if not line_vals:
                raise UserError(
                    self.env._(
                        "The estimate of %(order)s is empty: add the parts, the "
                        "estimated hours or an inspection fee first.",
                        order=order.name,
                    )
                )
            # Technicians price the estimate without sales rights: the
            # flow's guard (send_estimate) checked their right to the order.
            order_sudo = order.sudo()
            sale_sudo = order_sudo.estimate_sale_id
            if sale_sudo.state == "sale":
                raise UserError(
                    self.env._(
                        "The estimate %(sale)s of %(order)s is already accepted.",
                        sale=sale_sudo.name,
                        order=order.name,
                    )
                )
            if sale_sudo.state == "draft":
                sale_sudo.with_context(aftersales_estimate_refresh=True).write(
                    {
                        "order_line": [fields.Command.clear()]
                        + [fields.Command.create(vals) for vals in line_vals]
                    }
                )
                continue
            if sale_sudo.state == "sent":
                # A new version: the customer answers the latest one only.
                sale_sudo.with_context(
                    aftersales_estimate_decided=True
                )._action_cancel()
            sale_sudo = (
                self.env["sale.order"]
                .sudo()
                .create(order._prepare_estimate_vals(line_vals))
            )
            order._workflow_write({"estimate_sale_id": sale_sudo.id})
        return result

    def _send_estimates(self):
        """E-mail each quotation to its customer with sale's quotation
        template (marked sent, with the portal link to accept or decline)."""
        result = super()._send_estimates()
        template = self.env.ref(
            "sale.email_template_edi_sale", raise_if_not_found=False
        )
        for order in self:
            # Sent on behalf of the technician, who may not post on sales.
            sale_sudo = order.sudo().estimate_sale_id
            if not sale_sudo:
                continue
            sale_sudo._portal_ensure_token()
            if order.approval_link_expiry:
                # The quotation expires with the customer's approval request
                # (a late answer is refused by the decision's guard).
                sale_sudo.validity_date = fields.Date.to_date(
                    order.approval_link_expiry
                )
            if sale_sudo.state == "draft":
                sale_sudo.action_quotation_sent()
            if template and sale_sudo.partner_id.email:
                sale_sudo.message_post_with_source(
                    template,
                    email_layout_xmlid="mail.mail_notification_layout_with_responsible_signature",
                    subtype_xmlid="mail.mt_comment",
                )
        return result

    def _confirm_estimate(self, approval):
        result = super()._confirm_estimate(approval)
        # Decisions by text, link or at the desk: the flow checked the
        # channel, the customer's quotation follows without sales rights.
        sale_sudo = self.sudo().estimate_sale_id
        if sale_sudo.state in ("draft", "sent"):
            sale_sudo.with_context(aftersales_estimate_decided=True).action_confirm()
        return result

    def _cancel_estimate(self, approval):
        result = super()._cancel_estimate(approval)
        # As for confirming: the decision was recorded through the flow.
        sale_sudo = self.sudo().estimate_sale_id
        if sale_sudo.state in ("draft", "sent"):
            sale_sudo.with_context(aftersales_estimate_decided=True)._action_cancel()
        return result

    # ------------------------------------------------------------
    # The quotation
    # ------------------------------------------------------------

    def _get_estimate_covered_label(self):
        self.ensure_one()
        if self.under_warranty:
            return self.env._("covered by warranty")
        return self.env._("covered by contract")

    def _prepare_estimate_line_vals(self):
        """Lines of the order's quotation (extension hook): the parts still
        to consume, the estimated labour, the inspection fee; what the
        warranty or contract covers at zero, said so in its label."""
        self.ensure_one()
        items = []
        for part in self.part_ids.filtered(lambda p: p.state == "draft"):
            items.append(
                (
                    part.product_id,
                    part.product_id.display_name
                    + (f" ({part.lot_id.name})" if part.lot_id else ""),
                    part.quantity,
                    part.price_unit,
                    part.coverage == "covered",
                )
            )
        service_type = self.service_type_id
        labour = service_type.labour_product_id
        if labour and (service_type.labour_pricing == "fixed" or self.estimate_hours):
            items.append(
                (
                    labour,
                    self.env._(
                        "%(service)s: %(product)s",
                        service=service_type.name,
                        product=labour.name,
                    ),
                    self.estimate_hours
                    if service_type.labour_pricing == "time"
                    else 1.0,
                    service_type.labour_price or labour.lst_price,
                    self.labour_covered,
                )
            )
        fee = service_type.inspection_fee_product_id
        if fee:
            # Inspecting is labour: covered when the labour is.
            items.append(
                (fee, fee.display_name, 1.0, fee.lst_price, self.labour_covered)
            )
        covered_label = self._get_estimate_covered_label()
        return [
            {
                "sequence": sequence,
                "product_id": product.id,
                "name": self.env._(
                    "%(item)s (%(coverage)s)", item=name, coverage=covered_label
                )
                if covered
                else name,
                "product_uom_qty": quantity,
                "price_unit": 0.0 if covered else price_unit,
                "discount": 0.0,
                "aftersales_estimate_covered": covered,
            }
            for sequence, (product, name, quantity, price_unit, covered) in enumerate(
                items, start=10
            )
            if not float_is_zero(quantity, precision_digits=4)
        ]

    def _prepare_estimate_vals(self, line_vals):
        """Header of the order's quotation (extension hook)."""
        self.ensure_one()
        return {
            "partner_id": self.partner_id.id,
            "partner_shipping_id": (self.address_id or self.partner_id).id,
            "company_id": self.company_id.id,
            "origin": self.name,
            "client_order_ref": self.lot_id.name or False,
            "require_signature": True,
            "require_payment": False,
            "aftersales_estimate_order_id": self.id,
            "order_line": [fields.Command.create(vals) for vals in line_vals],
        }

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_view_estimate(self):
        """Open the quotation of the estimate."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "sale.order",
            "views": [(False, "form")],
            "res_id": self.estimate_sale_id.id,
        }

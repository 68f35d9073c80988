from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_is_zero, float_round


class AftersalesOrder(models.Model):
    """The work order in accounting (depends on ``account``): customer
    invoices of chargeable work (parts, labour, travel), their refunds on
    return, and the settlement of completed work with the service center."""

    _inherit = "aftersales.order"

    # ============================================================
    # Customer invoices: parts, labour and travel
    # ============================================================

    invoice_ids = fields.Many2many(
        "account.move",
        "aftersales_order_account_move_rel",
        "order_id",
        "move_id",
        string="Invoices",
        readonly=True,
        copy=False,
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    # Computed as superuser: technicians and dispatchers see whether an order
    # is invoiced without rights on the invoices themselves.
    invoice_count = fields.Integer(compute="_compute_invoice_status", compute_sudo=True)
    invoice_status = fields.Selection(
        [
            ("no", "Nothing to Invoice"),
            ("to_invoice", "To Invoice"),
            ("invoiced", "Invoiced"),
        ],
        compute="_compute_invoice_status",
        compute_sudo=True,
    )
    amount_chargeable = fields.Monetary(
        string="Chargeable (untaxed)",
        compute="_compute_amount_chargeable",
        currency_field="currency_id",
        help="What the customer pays for parts, labour and travel, before tax.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")

    # ------------------------------------------------------------
    # Compute methods
    # ------------------------------------------------------------

    def _get_workflow_fields(self):
        # Invoices are created by the invoicing action, never linked by hand.
        return super()._get_workflow_fields() | {"invoice_ids"}

    @api.depends(
        "part_ids.price_subtotal",
        "worked_hours",
        "visit_count",
        "labour_covered",
        "travel_covered",
        "service_type_id",
    )
    def _compute_amount_chargeable(self):
        for order in self:
            order.amount_chargeable = sum(
                vals["quantity"] * vals["price_unit"]
                for vals in order._get_invoiceable_items()
                if not vals["covered"]
            )

    @api.depends("invoice_ids.state", "state", "amount_chargeable")
    def _compute_invoice_status(self):
        for order in self:
            invoices = order.invoice_ids.filtered(
                lambda m: m.move_type == "out_invoice" and m.state != "cancel"
            )
            order.invoice_count = len(order.invoice_ids)
            if invoices:
                order.invoice_status = "invoiced"
            elif order.state == "done" and not float_is_zero(
                order.amount_chargeable, precision_rounding=order.currency_id.rounding
            ):
                order.invoice_status = "to_invoice"
            else:
                order.invoice_status = "no"

    # ------------------------------------------------------------
    # What is charged
    # ------------------------------------------------------------

    def _get_invoiceable_items(self):
        """Parts, labour and travel of the order, each a dict with product,
        quantity, price_unit, name and whether the warranty covers it."""
        self.ensure_one()
        items = []
        for part in self.part_ids.filtered(lambda p: p.state != "cancel"):
            items.append(
                {
                    "product": part.product_id,
                    "name": part.product_id.display_name
                    + (f" ({part.lot_id.name})" if part.lot_id else ""),
                    "quantity": part.quantity,
                    "price_unit": part.price_unit,
                    "covered": part.coverage == "covered",
                }
            )
        service_type = self.service_type_id
        labour = service_type.labour_product_id
        if labour:
            if service_type.labour_pricing == "time":
                quantity = float_round(self.worked_hours, precision_rounding=0.25)
            else:
                quantity = 1.0
            if quantity:
                items.append(
                    {
                        "product": labour,
                        "name": self.env._(
                            "%(service)s: %(product)s",
                            service=service_type.name,
                            product=labour.name,
                        ),
                        "quantity": quantity,
                        "price_unit": service_type.labour_price or labour.lst_price,
                        "covered": self.labour_covered,
                    }
                )
        travel = self.company_id.aftersales_travel_product_id
        if travel and service_type.on_site:
            items.append(
                {
                    "product": travel,
                    "name": travel.display_name,
                    "quantity": max(self.visit_count, 1),
                    "price_unit": travel.lst_price,
                    "covered": self.travel_covered,
                }
            )
        return items

    def _get_approval_page_lines(self):
        lines = super()._get_approval_page_lines()
        currency = self.currency_id
        for item in self._get_invoiceable_items():
            price = (
                self.env._("Covered")
                if item["covered"]
                else currency.format(item["quantity"] * item["price_unit"])
            )
            lines.append((item["name"], f"{item['quantity']:g}", price))
        return lines

    def _get_approval_page_total(self):
        super()._get_approval_page_total()
        total = sum(
            item["quantity"] * item["price_unit"]
            for item in self._get_invoiceable_items()
            if not item["covered"]
        )
        return self.currency_id.format(total)

    # ------------------------------------------------------------
    # Invoices
    # ------------------------------------------------------------

    def _ensure_can_be_invoiced(self):
        if not self.env.su and not self.env.user.has_group(
            "aftersales.group_dispatcher"
        ):
            raise AccessError(self.env._("Only dispatchers invoice work orders."))
        self.check_access("write")
        not_done = self.filtered(lambda o: o.state != "done")
        if not_done:
            raise UserError(
                self.env._(
                    "Only completed work is invoiced: %(orders)s is not done.",
                    orders=", ".join(not_done.mapped("name")),
                )
            )
        invoiced = self.filtered(lambda o: o.invoice_status == "invoiced")
        if invoiced:
            raise UserError(
                self.env._(
                    "%(orders)s is already invoiced.",
                    orders=", ".join(invoiced.mapped("name")),
                )
            )

    def action_create_invoices(self):
        """Invoice the chargeable parts, labour and travel of completed
        orders: one draft invoice per order, or per customer when the company
        groups them."""
        self._ensure_can_be_invoiced()
        invoices = self._create_invoices()
        if not invoices:
            raise UserError(
                self.env._(
                    "Nothing to invoice: the warranty or contract covers all the "
                    "work of %(orders)s.",
                    orders=", ".join(self.mapped("name")),
                )
            )
        if not self.env.user.has_group("account.group_account_invoice"):
            # The dispatcher cannot open invoices, nor read their names.
            invoices_sudo = invoices.sudo()
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "success",
                    "message": self.env._(
                        "Draft invoice %(invoices)s created for the accountants.",
                        invoices=", ".join(invoices_sudo.mapped("display_name")),
                    ),
                    "next": {"type": "ir.actions.client", "tag": "soft_reload"},
                },
            }
        return self._get_invoice_action(invoices)

    def _create_invoices(self):
        groups = defaultdict(lambda: self.browse())
        for order in self:
            if float_is_zero(
                order.amount_chargeable, precision_rounding=order.currency_id.rounding
            ):
                continue
            groups[order._get_invoice_grouping_key()] |= order
        vals_list = [orders._prepare_invoice_vals() for orders in groups.values()]
        if not vals_list:
            return self.env["account.move"]
        # Dispatchers invoice without billing rights, as salespeople do in
        # sale: the guards above decided which orders may be invoiced.
        moves_sudo = (
            self.env["account.move"]
            .sudo()
            .with_context(default_move_type="out_invoice")
            .create(vals_list)
        )
        for move_sudo, orders in zip(moves_sudo, groups.values(), strict=True):
            orders._workflow_write({"invoice_ids": [fields.Command.link(move_sudo.id)]})
            move_sudo.message_post(
                body=self.env._(
                    "Invoice for work orders %(orders)s.",
                    orders=", ".join(orders.mapped("name")),
                )
            )
        return moves_sudo.with_env(self.env)

    def _get_invoice_grouping_key(self):
        self.ensure_one()
        partner = self.partner_id.commercial_partner_id
        if self.company_id.aftersales_invoice_grouping == "customer":
            return (self.company_id.id, partner.id, self.currency_id.id)
        return (self.id,)

    def _prepare_invoice_vals(self):
        """Header of the invoice of these orders (one customer); extension hook."""
        first = self[0]
        partner = first.partner_id
        invoice_partner = partner.browse(partner.address_get(["invoice"])["invoice"])
        lines = []
        for order in self:
            if len(self) > 1:
                lines.append(
                    fields.Command.create(
                        {
                            "display_type": "line_section",
                            "name": order._get_invoice_section_name(),
                            "aftersales_order_id": order.id,
                        }
                    )
                )
            # Line labels in the customer's language, as on the invoice itself.
            order_in_lang = order.with_context(lang=invoice_partner.lang)
            lines += [
                fields.Command.create(vals)
                for vals in order_in_lang._prepare_invoice_line_vals()
            ]
        return {
            "move_type": "out_invoice",
            "partner_id": invoice_partner.id,
            "partner_shipping_id": first.address_id.id,
            "company_id": first.company_id.id,
            "currency_id": first.currency_id.id,
            "invoice_origin": ", ".join(self.mapped("name")),
            "ref": ", ".join(filter(None, self.mapped("lot_id.name"))) or False,
            "invoice_user_id": self.env.user.id,
            "invoice_line_ids": lines,
        }

    def _get_invoice_section_name(self):
        self.ensure_one()
        return " - ".join(
            filter(None, [self.name, self.product_id.display_name, self.lot_id.name])
        )

    def _get_invoice_line_name(self, item):
        """The label of an invoice line: the order, the unit and its serial,
        then the item, so each line says what it charges for on its own
        (in reports, exports and the customer's copy)."""
        self.ensure_one()
        if self.lot_id:
            return self.env._(
                "%(order)s – %(product)s (serial %(serial)s) – %(item)s",
                order=self.name,
                product=self.product_id.name,
                serial=self.lot_id.name,
                item=item,
            )
        return self.env._(
            "%(order)s – %(product)s – %(item)s",
            order=self.name,
            product=self.product_id.name,
            item=item,
        )

    def _prepare_invoice_line_vals(self):
        """Invoice lines of the order (extension hook). Covered items are
        listed at zero or left out, as the company chooses."""
        self.ensure_one()
        show_covered = self.company_id.aftersales_invoice_covered == "zero"
        vals_list = []
        for item in self._get_invoiceable_items():
            if item["covered"] and not show_covered:
                continue
            name = self._get_invoice_line_name(item["name"])
            if item["covered"]:
                name = self.env._("%(item)s (covered)", item=name)
            vals_list.append(
                {
                    "product_id": item["product"].id,
                    "name": name,
                    "quantity": item["quantity"],
                    "price_unit": 0.0 if item["covered"] else item["price_unit"],
                    "aftersales_order_id": self.id,
                    # What else the item's source puts on its line (the
                    # quotation line it invoices, its taxes).
                    **item.get("invoice_line_vals", {}),
                }
            )
        return vals_list

    def _invoice_hand_back(self):
        """At pickup, the customer gets the posted invoice of what is due on
        the order (for a workshop estimate: what it charged, see
        _get_invoiceable_items), one invoice: an order already invoiced gets
        its draft posted, never a second one; nothing is due, no invoice."""
        result = super()._invoice_hand_back()
        # Desk staff hand the unit back without billing rights: the invoice
        # follows from the order's guarded step (hand back), as in sale's
        # portal payment; the accountant sees it posted.
        orders_sudo = self.sudo()
        to_invoice = orders_sudo.filtered(lambda o: o.invoice_status == "to_invoice")
        invoices_sudo = to_invoice._create_invoices()
        drafts_sudo = (orders_sudo.invoice_ids | invoices_sudo).filtered(
            lambda m: m.move_type == "out_invoice" and m.state == "draft"
        )
        drafts_sudo.action_post()
        return result

    def _get_invoice_action(self, invoices):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        if len(invoices) == 1:
            action.update(
                views=[(self.env.ref("account.view_move_form").id, "form")],
                res_id=invoices.id,
            )
        else:
            action["domain"] = [("id", "in", invoices.ids)]
        return action

    def action_view_invoices(self):
        self.ensure_one()
        return self._get_invoice_action(self.invoice_ids)

    # ------------------------------------------------------------
    # Returns
    # ------------------------------------------------------------

    def _action_return(self, reason):
        # Center staff return orders without rights on invoices; only whether
        # there is one is read here.
        orders_sudo = self.sudo()
        invoiced = self.browse(
            orders_sudo.filtered(lambda o: o.state == "done" and o.invoice_ids).ids
        )
        result = super()._action_return(reason)
        invoiced._refund_invoices(reason)
        self._trigger_settlement()
        return result

    def _refund_invoices(self, reason):
        """A completed order handed back: its lines leave a draft invoice (the
        invoice is cancelled when nothing else is on it); a posted invoice gets
        a draft credit note for this order's lines only, as an invoice may
        group several orders. The accountant posts it."""
        # Returns are made by center staff without billing rights; only the
        # lines of these orders are touched.
        for order_sudo in self.sudo():
            invoices_sudo = order_sudo.invoice_ids.filtered(
                lambda m: m.move_type == "out_invoice" and m.state != "cancel"
            )
            for invoice_sudo in invoices_sudo:
                own_lines = invoice_sudo.invoice_line_ids.filtered(
                    lambda line, o=order_sudo: line.aftersales_order_id == o
                )
                if invoice_sudo.state == "draft":
                    if own_lines == invoice_sudo.invoice_line_ids:
                        invoice_sudo.button_cancel()
                    else:
                        own_lines.unlink()
                        order_sudo._workflow_write(
                            {"invoice_ids": [fields.Command.unlink(invoice_sudo.id)]}
                        )
                    continue
                refund_sudo = (
                    self.env["account.move"]
                    .sudo()
                    .create(
                        order_sudo._prepare_refund_vals(invoice_sudo, own_lines, reason)
                    )
                )
                order_sudo._workflow_write(
                    {"invoice_ids": [fields.Command.link(refund_sudo.id)]}
                )
                order_sudo.message_post(
                    body=self.env._(
                        "Credit note %(refund)s drafted for the returned work.",
                        refund=refund_sudo.display_name,
                    )
                )

    def _prepare_refund_vals(self, invoice, lines, reason):
        """Draft credit note of ``lines`` of ``invoice`` (extension hook)."""
        self.ensure_one()
        return {
            "move_type": "out_refund",
            "partner_id": invoice.partner_id.id,
            "partner_shipping_id": invoice.partner_shipping_id.id,
            "company_id": invoice.company_id.id,
            "currency_id": invoice.currency_id.id,
            "fiscal_position_id": invoice.fiscal_position_id.id,
            "reversed_entry_id": invoice.id,
            "invoice_origin": self.name,
            "invoice_date": fields.Date.context_today(self),
            "ref": self.env._(
                "Return of %(order)s: %(reason)s", order=self.name, reason=reason
            ),
            "invoice_line_ids": [
                fields.Command.create(
                    {
                        "display_type": line.display_type,
                        "product_id": line.product_id.id,
                        "name": line.name,
                        "quantity": line.quantity,
                        "price_unit": line.price_unit,
                        "discount": line.discount,
                        "tax_ids": [fields.Command.set(line.tax_ids.ids)],
                        "account_id": line.account_id.id,
                        "aftersales_order_id": self.id,
                    }
                    if line.display_type == "product"
                    else {
                        "display_type": line.display_type,
                        "name": line.name,
                        "aftersales_order_id": self.id,
                    }
                )
                for line in lines
            ],
        }

    # ============================================================
    # Settlement with the service center
    # ============================================================

    settlement_line_ids = fields.One2many(
        "aftersales.settlement.line",
        "order_id",
        string="Settlement Lines",
        readonly=True,
        groups="aftersales.group_center_user,account.group_account_invoice",
    )

    def _prepare_settlement_line_row(self):
        """Columns of the order's settlement line (extension hook)."""
        self.ensure_one()
        return {
            "order_id": self.id,
            "company_id": self.company_id.id,
            "center_id": self.center_id.id,
            "technician_id": self.technician_id.id or None,
            "service_type_id": self.service_type_id.id,
            "partner_id": self.partner_id.id,
            "lot_id": self.lot_id.id or None,
        }

    def _trigger_settlement(self):
        cron = self.env.ref(
            "aftersales.ir_cron_generate_settlement_lines", raise_if_not_found=False
        )
        if cron:
            cron._trigger()

    def _action_done(self):
        result = super()._action_done()
        self._trigger_settlement()
        return result

    def _action_cancel(self, reason):
        result = super()._action_cancel(reason)
        self._trigger_settlement()
        return result

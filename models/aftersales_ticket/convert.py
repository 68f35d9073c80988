"""convert seam of aftersales.ticket (see __init__.py): the work orders (field
or workshop) and the contract inquiry a request becomes, linked both ways.

The dialog (wizard/aftersales_ticket_convert.py) collects the lines; the
rules are here. Desk agents read work orders but do not dispatch them: the
orders are created as superuser from values this file builds out of the
request and the validated lines only (the order's create runs its own checks:
company, serial of the product, the covering contract)."""

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command

# The work order's channel for each channel of the request: the same where the
# order has it (the routing rules filter on it), the back office otherwise.
ORDER_CHANNEL_OF_TICKET = {
    "portal": "portal",
    "sms": "sms",
    "qr": "qr",
    "phone": "phone",
}


# The channels of a request registered in the back office: the desk typed it
# in, or took it on the phone. The other channels create through
# _create_from_channel() as superuser (gateway, public and portal forms).
BACK_OFFICE_CHANNELS = [("backend", "Back Office"), ("phone", "Phone")]


class AftersalesTicket(models.Model):
    _inherit = "aftersales.ticket"

    # The channel as the back office chooses it (the channel itself is a
    # workflow field): a request typed in or taken on the phone.
    intake_channel = fields.Selection(
        BACK_OFFICE_CHANNELS,
        compute="_compute_intake_channel",
        inverse="_inverse_intake_channel",
        help="How the request registered here came in.",
    )

    # Contract inquiries: read by those who read contracts (dispatchers,
    # salespeople); agents see the inquiry's note in the thread.
    contract_ids = fields.One2many(
        "aftersales.contract",
        "ticket_id",
        string="Contract Inquiries",
        groups="aftersales.group_dispatcher,sales_team.group_sale_salesman",
    )
    contract_count = fields.Integer(
        compute="_compute_contract_count",
        groups="aftersales.group_dispatcher,sales_team.group_sale_salesman",
    )

    @api.depends("channel")
    def _compute_intake_channel(self):
        back_office = dict(BACK_OFFICE_CHANNELS)
        for ticket in self:
            ticket.intake_channel = (
                ticket.channel if ticket.channel in back_office else False
            )

    def _inverse_intake_channel(self):
        back_office = dict(BACK_OFFICE_CHANNELS)
        channels = dict(self._fields["channel"]._description_selection(self.env))
        for ticket in self:
            if ticket.intake_channel and ticket.channel != ticket.intake_channel:
                if ticket.channel not in back_office or ticket.state != "new":
                    raise UserError(
                        self.env._(
                            "%(request)s came in by %(channel)s: its channel stays.",
                            request=ticket.name,
                            channel=channels[ticket.channel],
                        )
                    )
                ticket._workflow_write({"channel": ticket.intake_channel})

    @api.depends("contract_ids")
    def _compute_contract_count(self):
        counts = dict(
            self.env["aftersales.contract"]._read_group(
                [("ticket_id", "in", self.ids)], ["ticket_id"], ["__count"]
            )
        )
        for ticket in self:
            ticket.contract_count = counts.get(ticket, 0)

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        tickets = super().create(vals_list)
        if not self.env.su:
            # Users register requests of the back office only; the channels'
            # intake runs as superuser (see BACK_OFFICE_CHANNELS).
            back_office = dict(BACK_OFFICE_CHANNELS)
            foreign = tickets.filtered(lambda t: t.channel not in back_office)
            if foreign:
                raise UserError(
                    self.env._(
                        "A request registered here comes in by phone or in the "
                        "back office; the other channels open theirs."
                    )
                )
        return tickets

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_open_convert_wizard(self):
        """Open the dialog that turns the request into work orders or a
        contract inquiry, prefilled with one work order of the request."""
        self.ensure_one()
        self._ensure_can_be_converted()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Convert %(request)s", request=self.name),
            "res_model": "aftersales.ticket.convert",
            "view_mode": "form",
            "target": "new",
            "context": {"default_ticket_id": self.id},
        }

    def action_view_orders(self):
        """The work orders made of the request."""
        self.ensure_one()
        action = {
            "type": "ir.actions.act_window",
            "name": self.env._("Work Orders"),
            "res_model": "aftersales.order",
            "view_mode": "list,form",
            "domain": [("id", "in", self.order_ids.ids)],
            "context": {"create": False},
        }
        if not self.env.user.has_group("aftersales.group_dispatcher"):
            # The full form lists the order's photos, visits and parts, which
            # agents do not read: they get the desk's views.
            action["views"] = [
                (self.env.ref("aftersales.aftersales_order_view_list_desk").id, "list"),
                (self.env.ref("aftersales.aftersales_order_view_form_desk").id, "form"),
            ]
        if len(self.order_ids) == 1:
            action.update(view_mode="form", res_id=self.order_ids.id)
            if action.get("views"):
                action["views"] = action["views"][1:]
        return action

    def action_view_contracts(self):
        """The contract inquiries made of the request."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Contract Inquiries"),
            "res_model": "aftersales.contract",
            "view_mode": "list,form",
            "domain": [("ticket_id", "=", self.id)],
            "context": {"create": False},
        }

    # ------------------------------------------------------------------
    # Guards
    # ------------------------------------------------------------------

    def _ensure_can_be_converted(self):
        self._ensure_transition("convert", self.env._("convert"))
        missing = self.filtered(lambda t: not t.partner_id)
        if missing:
            raise UserError(
                self.env._(
                    "Give %(requests)s a customer before converting it.",
                    requests=", ".join(missing.mapped("name")),
                )
            )

    def _ensure_customer_partners(self, partner_ids):
        """Raise unless each of ``partner_ids`` (addresses, contact persons)
        is the request's customer or one of its contacts: the orders are
        created as superuser."""
        self.ensure_one()
        partners = self.env["res.partner"].browse(pid for pid in partner_ids if pid)
        customer = self.partner_id.commercial_partner_id
        strangers = partners.filtered(lambda p: p.commercial_partner_id != customer)
        if strangers:
            raise UserError(
                self.env._(
                    "%(partners)s are not addresses of %(customer)s.",
                    partners=", ".join(strangers.mapped("display_name")),
                    customer=customer.display_name,
                )
            )

    # ------------------------------------------------------------------
    # Conversion
    # ------------------------------------------------------------------

    def _prepare_convert_line_vals(self):
        """The work order the request proposes (the dialog's first line):
        its unit, the category's service type, the site, the contact person,
        the priority and the description."""
        self.ensure_one()
        return {
            "product_id": self.product_id.id or self.lot_id.product_id.id,
            "lot_id": self.lot_id.id,
            "service_type_id": self.category_id.service_type_id.id,
            "address_id": self.site_id.id or self.partner_id.id,
            "contact_id": self.contact_id.id,
            "priority": self.priority,
            "description": self.description,
        }

    def _prepare_order_vals(self, line):
        """Values of the work order made of the request for ``line`` (a dict
        with the keys of _prepare_convert_line_vals(); extension hook)."""
        self.ensure_one()
        company = self.company_id
        contact = self.env["res.partner"].browse(line.get("contact_id"))
        user = self.env.user
        dispatcher = (
            user
            if user.has_group("aftersales.group_dispatcher")
            else self.env["res.users"]
        ) or company.aftersales_dispatcher_id
        return {
            "company_id": company.id,
            "partner_id": self.partner_id.id,
            "address_id": line.get("address_id") or self.site_id.id or False,
            "product_id": line["product_id"],
            "lot_id": line.get("lot_id") or False,
            "service_type_id": line["service_type_id"],
            "priority": line.get("priority") or self.priority,
            "description": line.get("description") or self.description,
            "date_requested": line.get("date_requested") or False,
            "handed_in_by": (contact or self.contact_id or self.partner_id).name,
            "channel": ORDER_CHANNEL_OF_TICKET.get(self.channel, "backend"),
            "user_id": dispatcher.id or False,
            "ticket_id": self.id,
        }

    def _convert_to_orders(self, lines, notify_customer=False):
        """Make one work order per line (dicts as _prepare_convert_line_vals()
        returns), link them to the request, say so on both threads and mark
        the request converted. Return the orders as the current user reads
        them."""
        self.ensure_one()
        self._ensure_can_be_converted()
        if not lines:
            raise UserError(self.env._("Add the work orders to make of the request."))
        for line in lines:
            if not line.get("product_id") or not line.get("service_type_id"):
                raise UserError(
                    self.env._("Each work order needs a product and a service type.")
                )
        self._ensure_customer_partners(
            [line.get(key) for line in lines for key in ("address_id", "contact_id")]
        )
        vals_list = [self._prepare_order_vals(line) for line in lines]
        # Desk agents read work orders but may neither dispatch them (channel,
        # dispatcher) nor link them (ticket_id is a workflow field): the guard
        # above checked their right to convert this request, and the values
        # come from the request and the lines only. The order's create still
        # checks the companies, the serials and the covering contract.
        orders_sudo = (
            self.env["aftersales.order"]
            .sudo()
            .with_company(self.company_id)
            .create(vals_list)
        )
        self._post_conversion_notes(orders_sudo, notify_customer)
        self._action_mark_converted()
        return self.env["aftersales.order"].browse(orders_sudo.ids)

    def _convert_to_contract(self, notify_customer=False):
        """Make a draft contract for the request's customer (and unit), as an
        inquiry the salespeople take on; link it, say so and mark the request
        converted. Return the contract as superuser (agents may not read
        contracts)."""
        self.ensure_one()
        self._ensure_can_be_converted()
        units = []
        if self.product_id or self.lot_id:
            units.append(
                Command.create(
                    {
                        "product_id": (self.product_id or self.lot_id.product_id).id,
                        "lot_id": self.lot_id.id,
                        "address_id": self.site_id.id or self.partner_id.id,
                    }
                )
            )
        salesperson = self.company_id.aftersales_dispatcher_id
        # Agents may not read or create contracts: the inquiry is a draft
        # (covers nothing until a dispatcher starts it), built from the
        # request only, after the guard checked the right to convert it.
        contract_sudo = (
            self.env["aftersales.contract"]
            .sudo()
            .with_company(self.company_id)
            .create(
                {
                    "company_id": self.company_id.id,
                    "partner_id": self.partner_id.id,
                    "user_id": salesperson.id or False,
                    "note": self.description,
                    "unit_ids": units,
                    "ticket_id": self.id,
                }
            )
        )
        contract_sudo.message_post(
            body=Markup("%s %s")
            % (self.env._("Inquiry of request"), self._html_link()),
            subtype_xmlid="mail.mt_note",
        )
        if salesperson:
            contract_sudo.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=salesperson.id,
                summary=self.env._(
                    "Contract inquiry of %(request)s", request=self.name
                ),
            )
        self.message_post(
            body=Markup("%s %s")
            % (
                self.env._("Contract inquiry made:"),
                contract_sudo._get_html_link(title=contract_sudo.name),
            ),
            subtype_xmlid="mail.mt_note",
        )
        if notify_customer:
            self._notify_customer_converted([contract_sudo.name])
        self._action_mark_converted()
        return contract_sudo

    def _html_link(self):
        self.ensure_one()
        return self._get_html_link(title=self.display_name)

    def _post_conversion_notes(self, orders_sudo, notify_customer):
        """A note with links on the request and on each order (internal: the
        customer hears once, in the request's thread, if asked)."""
        self.ensure_one()
        for order_sudo in orders_sudo:
            # Agents may not write work orders, hence post on them; the note
            # is internal and names the request.
            order_sudo.message_post(
                body=Markup("%s %s")
                % (self.env._("Made of service request"), self._html_link()),
                subtype_xmlid="mail.mt_note",
            )
        links = Markup(", ").join(
            order._get_html_link(title=order.name) for order in orders_sudo
        )
        self.message_post(
            body=Markup("%s %s") % (self.env._("Work orders made:"), links),
            subtype_xmlid="mail.mt_note",
        )
        if notify_customer:
            self._notify_customer_converted(orders_sudo.mapped("name"))

    def _notify_customer_converted(self, references):
        """One message to the customer in the request's thread, whatever the
        number of orders made: the request stays the conversation."""
        self.ensure_one()
        body = self.env._(
            "Your request %(request)s is being taken care of: %(references)s.",
            request=self.name,
            references=", ".join(references),
        )
        self.message_post(
            body=Markup("<p>%s</p>") % escape(body),
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )

    # ------------------------------------------------------------------
    # The customer's page (portal.py lists them)
    # ------------------------------------------------------------------

    def _get_portal_orders(self):
        """The work orders the request's page lists: those made of it for
        the request's customer (a link to another customer's order never
        shows). Returned in the caller's environment (the page reads the
        request as superuser after its access check; so are the orders)."""
        self.ensure_one()
        customer = self.partner_id.commercial_partner_id
        return self.order_ids.filtered(
            lambda o: o.partner_id.commercial_partner_id == customer
        )

"""Converting a service request into work orders (field and workshop) or a
contract inquiry: who may, what the orders carry, the link both ways, what
the customer hears; and the request form of the back office."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, HttpCase, tagged

from .common import TicketCommon


@tagged("post_install", "-at_install")
class TestTicketConvert(TicketCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.type_workshop = cls.env["aftersales.service.type"].create(
            {
                "name": "Test Bench Repair",
                "code": "T-BENCH",
                "work_place": "workshop",
                "on_site": False,
            }
        )
        cls.category_report.service_type_id = cls.type_maintenance
        cls.lot_2 = cls.env["stock.lot"].create(
            {"name": "TWM-0002", "product_id": cls.product.id}
        )
        cls.ticket = cls._create_ticket(
            "phone",
            category_id=cls.category_report.id,
            product_id=cls.product.id,
            lot_id=cls.lot.id,
            site_id=cls.site.id,
            contact_id=cls.contact_person.id,
            priority="1",
        )
        # The customer follows the request, as the channels make it.
        cls.ticket.message_subscribe(partner_ids=cls.customer.ids)

    def _wizard(self, ticket=None, user=None):
        ticket = ticket or self.ticket
        user = user or self.user_agent
        action = ticket.with_user(user).action_open_convert_wizard()
        return Form(
            self.env[action["res_model"]]
            .with_user(user)
            .with_context(**action["context"])
        )

    def _customer_notifications(self, records):
        return self.env["mail.notification"].search_count(
            [
                ("res_partner_id", "=", self.customer.id),
                ("mail_message_id.model", "=", records._name),
                ("mail_message_id.res_id", "in", records.ids),
            ]
        )

    # ------------------------------------------------------------------
    # Work orders
    # ------------------------------------------------------------------

    def test_agent_converts_into_field_and_workshop_orders(self):
        """The dialog proposes the request's unit with the category's service
        type, at the site, for the contact person; the agent adds a workshop
        job for a second unit. Two orders, linked both ways, one message to
        the customer in the request's thread and none from the orders."""
        wizard = self._wizard()
        self.assertEqual(len(wizard.line_ids), 1)
        with wizard.line_ids.edit(0) as line:
            self.assertEqual(line.product_id, self.product)
            self.assertEqual(line.lot_id, self.lot)
            self.assertEqual(line.service_type_id, self.type_maintenance)
            self.assertEqual(line.address_id, self.site)
            self.assertEqual(line.contact_id, self.contact_person)
            self.assertEqual(line.priority, "1")
        with wizard.line_ids.new() as line:
            line.service_type_id = self.type_workshop
            line.product_id = self.product
            line.lot_id = self.lot_2
            line.address_id = self.site
            line.date_requested = "2031-05-06 08:00:00"
        before = self._customer_notifications(self.ticket)
        action = wizard.save().action_convert()

        orders = self.ticket.order_ids
        self.assertEqual(len(orders), 2)
        self.assertEqual(set(action["domain"][0][2]), set(orders.ids))
        field, bench = orders.sorted(
            lambda o: o.service_type_id != self.type_maintenance
        )
        self.assertEqual(field.service_type_id, self.type_maintenance)
        self.assertEqual(field.work_place, "field")
        self.assertEqual(field.priority, "1")
        self.assertEqual(bench.work_place, "workshop")
        self.assertEqual(bench.workshop_state, "to_receive")
        self.assertEqual(bench.lot_id, self.lot_2)
        self.assertEqual(str(bench.date_requested), "2031-05-06 08:00:00")
        self.assertFalse(field.date_requested)
        for order in orders:
            self.assertEqual(order.ticket_id, self.ticket)
            self.assertEqual(order.partner_id, self.customer)
            self.assertEqual(order.address_id, self.site)
            self.assertEqual(order.channel, "phone")
            self.assertEqual(order.handed_in_by, self.contact_person.name)
            self.assertIn("Water under the machine", order.description)
            self.assertIn(self.ticket.name, order.message_ids[0].body)
        self.assertEqual(self.ticket.state, "converted")
        self.assertEqual(self.ticket.order_count, 2)
        self.assertTrue(self.ticket.date_closed)
        note = self.ticket.message_ids.filtered(
            lambda m: (
                m.subtype_id == self.env.ref("mail.mt_note") and field.name in m.body
            )
        )
        self.assertTrue(note)
        self.assertIn(
            f'data-oe-model="aftersales.order" data-oe-id="{bench.id}"', note.body
        )
        # One message to the customer, in the request's thread; the orders
        # write nothing to the customer.
        self.assertEqual(self._customer_notifications(self.ticket) - before, 1)
        self.assertEqual(self._customer_notifications(orders), 0)
        self.assertEqual(
            self.ticket._get_portal_orders().sorted("id"), orders.sorted("id")
        )

    def test_agent_opens_the_orders(self):
        """The smart button opens views an agent can read (the full order
        form lists lines agents do not read)."""
        self.ticket.with_user(self.user_agent)._convert_to_orders(
            [self.ticket._prepare_convert_line_vals()] * 2
        )
        action = self.ticket.with_user(self.user_agent).action_view_orders()
        Order = self.env["aftersales.order"].with_user(self.user_agent)
        views = Order.get_views(action["views"])
        fields = views["models"]["aftersales.order"]["fields"]
        spec = {
            fname: {"fields": {"display_name": {}}}
            if info["type"] in ("many2one", "one2many", "many2many")
            else {}
            for fname, info in fields.items()
        }
        rows = Order.browse(self.ticket.order_ids.ids).web_read(spec)
        self.assertEqual(len(rows), 2)
        self.assertEqual(rows[0]["ticket_id"]["id"], self.ticket.id)
        # The dialog's choices: service types and serials.
        for model in ("aftersales.service.type", "stock.lot"):
            self.assertTrue(self.env[model].with_user(self.user_agent).name_search("T"))

    def test_convert_silently(self):
        wizard = self._wizard()
        wizard.notify_customer = False
        before = self._customer_notifications(self.ticket)
        wizard.save().action_convert()
        self.assertEqual(self.ticket.order_count, 1)
        self.assertEqual(self._customer_notifications(self.ticket), before)

    def test_converted_request_converts_again(self):
        """A second unit of the same request: the converted request becomes
        more work."""
        self.ticket.with_user(self.user_agent)._convert_to_orders(
            [self.ticket._prepare_convert_line_vals()]
        )
        self.assertEqual(self.ticket.state, "converted")
        wizard = self._wizard()
        with wizard.line_ids.edit(0) as line:
            line.lot_id = self.lot_2
        wizard.save().action_convert()
        self.assertEqual(self.ticket.order_count, 2)
        self.assertEqual(set(self.ticket.order_ids.lot_id), {self.lot, self.lot_2})

    def test_solved_request_cannot_convert(self):
        self.ticket.with_user(self.user_agent).action_solve()
        with self.assertRaises(UserError):
            self.ticket.with_user(self.user_agent).action_open_convert_wizard()
        with self.assertRaises(UserError):
            self.ticket.with_user(self.user_agent)._convert_to_orders(
                [self.ticket._prepare_convert_line_vals()]
            )
        self.assertFalse(self.ticket.order_ids)
        self.assertFalse(self.ticket.can_be_converted)

    def test_other_company_agent_cannot_convert(self):
        ticket_b = self.ticket.with_user(self.user_agent_b)
        with self.assertRaises(AccessError):
            ticket_b.action_open_convert_wizard()
        with self.assertRaises(AccessError):
            ticket_b._convert_to_orders([self.ticket._prepare_convert_line_vals()])
        with self.assertRaises(AccessError):
            ticket_b._convert_to_contract()
        self.assertFalse(self.ticket.order_ids)
        self.assertEqual(self.ticket.state, "new")

    def test_technician_cannot_convert(self):
        ticket = self.ticket.with_user(self.user_technician)
        with self.assertRaises(AccessError):
            ticket.action_open_convert_wizard()
        with self.assertRaises(AccessError):
            ticket._convert_to_orders([self.ticket._prepare_convert_line_vals()])
        self.assertFalse(self.ticket.order_ids)

    def test_foreign_address_refused(self):
        """The orders are created as superuser: an address that is not the
        customer's is refused, nothing is made."""
        line = dict(
            self.ticket._prepare_convert_line_vals(), address_id=self.other_customer.id
        )
        with self.assertRaises(UserError):
            self.ticket.with_user(self.user_agent)._convert_to_orders([line])
        self.assertFalse(self.ticket.order_ids)
        self.assertEqual(self.ticket.state, "new")

    def test_line_needs_product_and_type(self):
        line = dict(self.ticket._prepare_convert_line_vals(), service_type_id=False)
        with self.assertRaises(UserError):
            self.ticket.with_user(self.user_agent)._convert_to_orders([line])
        with self.assertRaises(UserError):
            self.ticket.with_user(self.user_agent)._convert_to_orders([])

    def test_link_is_the_conversion_only(self):
        """Agents may not create orders of a request by hand, nor dispatchers
        link one: the request's page would list them."""
        Order = self.env["aftersales.order"]
        with self.assertRaises(UserError):
            Order.with_user(self.user_agent).create(
                {
                    "partner_id": self.customer.id,
                    "product_id": self.product.id,
                    "service_type_id": self.type_maintenance.id,
                    "ticket_id": self.ticket.id,
                }
            )
        order = self._create_order(partner_id=self.other_customer.id)
        with self.assertRaises(UserError):
            order.with_user(self.user_dispatcher).write({"ticket_id": self.ticket.id})
        # Even if linked (as superuser), another customer's order never shows
        # on the request's page.
        order.sudo().ticket_id = self.ticket
        self.assertIn(order, self.ticket.order_ids)
        self.assertNotIn(order, self.ticket._get_portal_orders())

    def test_technician_does_not_see_the_request_field(self):
        fields = (
            self.env["aftersales.order"].with_user(self.user_technician).fields_get()
        )
        self.assertNotIn("ticket_id", fields)
        fields = self.env["aftersales.order"].with_user(self.user_agent).fields_get()
        self.assertIn("ticket_id", fields)

    # ------------------------------------------------------------------
    # Contract inquiry
    # ------------------------------------------------------------------

    def test_contract_inquiry(self):
        self.company.aftersales_dispatcher_id = self.user_dispatcher
        wizard = self._wizard()
        wizard.target = "contract"
        wizard.save().action_convert()
        self.assertEqual(self.ticket.state, "converted")
        contract = self.env["aftersales.contract"].search(
            [("ticket_id", "=", self.ticket.id)]
        )
        self.assertEqual(len(contract), 1)
        self.assertEqual(contract.state, "draft")
        self.assertEqual(contract.partner_id, self.customer)
        self.assertEqual(contract.unit_ids.lot_id, self.lot)
        self.assertEqual(contract.user_id, self.user_dispatcher)
        self.assertEqual(contract.activity_ids.user_id, self.user_dispatcher)
        self.assertIn(self.ticket.name, contract.message_ids[0].body)
        self.assertFalse(self.ticket.order_ids)
        # The dispatcher sees the inquiry on the request; the agent may not
        # read contracts (the note in the thread names it).
        self.assertEqual(self.ticket.with_user(self.user_dispatcher).contract_count, 1)
        with self.assertRaises(AccessError):
            contract.with_user(self.user_agent).check_access("read")
        self.assertTrue(
            self.ticket.message_ids.filtered(lambda m: contract.name in (m.body or ""))
        )


@tagged("post_install", "-at_install")
class TestTicketBackOfficeForm(TicketCommon):
    def test_agent_registers_a_phone_request(self):
        Ticket = self.env["aftersales.ticket"].with_user(self.user_agent)
        form = Form(Ticket.with_context(default_intake_channel="phone"))
        self.assertEqual(form.intake_channel, "phone")
        form.subject = "Dryer makes noise"
        form.partner_id = self.customer
        form.category_id = self.category_question
        ticket = form.save()
        self.assertEqual(ticket.channel, "phone")
        self.assertEqual(ticket.site_id, self.customer)
        self.assertTrue(ticket.name.strip() and ticket.name != "New")
        self.assertTrue(ticket.stage_id)

    def test_agent_registers_a_back_office_request(self):
        form = Form(self.env["aftersales.ticket"].with_user(self.user_agent))
        form.subject = "Question about the warranty"
        form.partner_id = self.customer
        ticket = form.save()
        self.assertEqual(ticket.channel, "backend")
        # Taken on the phone after all: still new, the agent corrects it.
        with Form(ticket) as edit:
            edit.intake_channel = "phone"
        self.assertEqual(ticket.channel, "phone")
        ticket.action_open()
        with self.assertRaises(UserError):
            ticket.intake_channel = "backend"
        self.assertEqual(ticket.channel, "phone")

    def test_agent_cannot_fake_a_channel(self):
        Ticket = self.env["aftersales.ticket"].with_user(self.user_agent)
        with self.assertRaises(UserError):
            Ticket.create(
                {"subject": "Fake", "partner_id": self.customer.id, "channel": "email"}
            )
        ticket = self._create_ticket("email")
        with self.assertRaises(UserError):
            ticket.with_user(self.user_agent).intake_channel = "phone"
        self.assertEqual(ticket.channel, "email")

    def test_views_load_for_agent(self):
        Ticket = self.env["aftersales.ticket"].with_user(self.user_agent)
        for view_type in ("form", "list", "kanban", "search", "activity"):
            arch = Ticket.get_view(view_type=view_type)["arch"]
            self.assertTrue(arch)
        form = Ticket.get_view(view_type="form")["arch"]
        self.assertIn("action_open_convert_wizard", form)
        self.assertIn("action_view_orders", form)


@tagged("post_install", "-at_install")
class TestTicketConvertTour(HttpCase, TicketCommon):
    def test_agent_converts_in_the_browser(self):
        self.category_report.service_type_id = self.type_maintenance
        ticket = self._create_ticket(
            subject="Tour: the dryer is silent",
            category_id=self.category_report.id,
            product_id=self.product.id,
            lot_id=self.lot.id,
            user_id=self.user_agent.id,
        )
        self.start_tour(
            "/odoo/action-aftersales.aftersales_ticket_action",
            "desk_ticket_convert_tour",
            login="as_agent_1",
        )
        self.assertEqual(ticket.state, "converted")
        self.assertEqual(ticket.order_ids.lot_id, self.lot)
        self.assertEqual(ticket.order_ids.service_type_id, self.type_maintenance)

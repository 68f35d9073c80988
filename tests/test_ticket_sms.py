"""SMS intake of the service desk: a text with a serial or a warranty card
number opens a request (channel ``sms``), a follow-up lands in its thread,
approval replies go on as before."""

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from .common import SmsCommon, TicketCommon

UNKNOWN_PHONE = "+905559998877"


class TicketSmsCommon(SmsCommon, TicketCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.type_registration = cls.env["aftersales.warranty.type"].create(
            {
                "name": "Registered Warranty",
                "duration": 2,
                "duration_unit": "year",
                "start_trigger": "registration",
            }
        )
        cls.dealer = cls.env["res.partner"].create({"name": "Test Dealer"})
        cls.lot_registered = cls.env["stock.lot"].create(
            {
                "name": "TWM-0002",
                "product_id": cls.product.id,
                "company_id": cls.company.id,
            }
        )
        # Sold through the dealer: waits for the end customer's registration.
        cls.warranty = cls.env["aftersales.warranty"].create(
            {
                "lot_id": cls.lot_registered.id,
                "partner_id": cls.dealer.id,
                "warranty_type_id": cls.type_registration.id,
                "company_id": cls.company.id,
            }
        )
        cls.lot_b = cls.env["stock.lot"].create(
            {
                "name": "BSN-7777",
                "product_id": cls.product.id,
                "company_id": cls.company_b.id,
            }
        )

    def _receive(self, text, sender=None, gateway=None):
        gateway = gateway or self.gateway
        inbound = (
            self.env["aftersales.sms.inbound"]
            .sudo()
            .create(
                {
                    "gateway_id": gateway.id,
                    "company_id": gateway.company_id.id,
                    "sender": sender or self.CUSTOMER_PHONE,
                    "body": text,
                }
            )
        )
        inbound._process()
        return inbound

    def _ticket_sms(self, ticket):
        return (
            self.env["sms.sms"]
            .sudo()
            .search(
                [
                    ("mail_message_id.model", "=", "aftersales.ticket"),
                    ("mail_message_id.res_id", "=", ticket.id),
                ]
            )
        )


@tagged("post_install", "-at_install")
class TestTicketSms(TicketSmsCommon):
    def test_serial_opens_a_request_with_unit_and_customer(self):
        inbound = self._receive("twm-0001 does not spin any more")
        ticket = inbound.ticket_id
        self.assertEqual(inbound.outcome, "ticket")
        self.assertEqual(
            (ticket.channel, ticket.partner_id, ticket.lot_id, ticket.product_id),
            ("sms", self.customer, self.lot, self.product),
            "serials match whatever their case",
        )
        self.assertEqual(ticket.company_id, self.company)
        self.assertEqual(ticket.partner_phone, self.CUSTOMER_PHONE)
        self.assertIn("does not spin any more", ticket.description)
        self.assertEqual(inbound.partner_id, self.customer)
        self.assertFalse(inbound.order_id)
        sms = self._ticket_sms(ticket)
        self.assertEqual(len(sms), 1, "the customer gets the reference back")
        self.assertEqual(sms.number, self.CUSTOMER_PHONE)
        self.assertIn(ticket.name, sms.body)
        self.assertEqual(sms.state, "outgoing", "queued for the gateway")
        # The desk of the company sees it; another company's agent does not.
        self.assertEqual(
            ticket.with_user(self.user_agent).search([("id", "=", ticket.id)]),
            ticket,
        )
        with self.assertRaises(AccessError):
            ticket.with_user(self.user_agent_b).check_access("read")

    def test_warranty_card_number_opens_a_request_for_its_unit(self):
        card = self.warranty.card_number
        self.assertTrue(card and card != "New")
        inbound = self._receive(f"Hello, my card is {card.lower()}.")
        self.assertEqual(inbound.outcome, "ticket")
        self.assertEqual(inbound.ticket_id.lot_id, self.lot_registered)
        self.assertEqual(inbound.ticket_id.product_id, self.product)

    def test_unknown_number_creates_the_contact_from_the_mobile_number(self):
        partners = self.env["res.partner"].search_count([])
        inbound = self._receive("TWM-0001 leaks", sender="0555 999 88 77")
        ticket = inbound.ticket_id
        self.assertEqual(inbound.outcome, "ticket")
        self.assertEqual(self.env["res.partner"].search_count([]), partners + 1)
        self.assertEqual(ticket.partner_id.phone, UNKNOWN_PHONE)
        self.assertEqual(ticket.partner_id.name, UNKNOWN_PHONE)
        self.assertEqual(self._ticket_sms(ticket).number, UNKNOWN_PHONE)
        # The next text of that number finds the same contact.
        ticket.action_solve()
        again = self._receive("TWM-0001 leaks again", sender=UNKNOWN_PHONE)
        self.assertNotEqual(again.ticket_id, ticket, "a closed request stays closed")
        self.assertEqual(again.ticket_id.partner_id, ticket.partner_id)

    def test_unknown_number_without_unit_changes_nothing(self):
        partners = self.env["res.partner"].search_count([])
        tickets = self.env["aftersales.ticket"].search_count([])
        inbound = self._receive("hello, who is this?", sender=UNKNOWN_PHONE)
        self.assertEqual(inbound.outcome, "unknown_sender")
        self.assertFalse(inbound.ticket_id)
        self.assertEqual(self.env["res.partner"].search_count([]), partners)
        self.assertEqual(self.env["aftersales.ticket"].search_count([]), tickets)

    def test_known_customer_without_serial_opens_a_request(self):
        inbound = self._receive("My dishwasher stopped, can someone come?")
        self.assertEqual(inbound.outcome, "ticket")
        self.assertEqual(inbound.ticket_id.partner_id, self.customer)
        self.assertFalse(inbound.ticket_id.lot_id, "the desk asks which unit")

    def test_registration_when_the_company_allows_it(self):
        self.company.aftersales_sms_ticket_register_unit = True
        inbound = self._receive("TWM-0002 installed today", sender=UNKNOWN_PHONE)
        owner = inbound.ticket_id.partner_id
        self.assertEqual(owner.phone, UNKNOWN_PHONE)
        self.assertEqual(self.warranty.state, "active")
        self.assertEqual(self.warranty.partner_id, owner)
        self.assertTrue(self.warranty.date_start)
        # Registered once: a second texter does not take the unit over.
        other = self._receive("TWM-0002 is mine", sender="+905551112244")
        self.assertEqual(other.outcome, "ticket")
        self.assertEqual(self.warranty.partner_id, owner)

    def test_no_registration_when_the_company_does_not_allow_it(self):
        self.assertFalse(self.company.aftersales_sms_ticket_register_unit)
        inbound = self._receive("TWM-0002 installed today", sender=UNKNOWN_PHONE)
        self.assertEqual(inbound.ticket_id.lot_id, self.lot_registered)
        self.assertEqual(self.warranty.state, "draft")
        self.assertEqual(self.warranty.partner_id, self.dealer)

    def test_no_registration_of_a_warranty_that_starts_otherwise(self):
        self.company.aftersales_sms_ticket_register_unit = True
        self.warranty.warranty_type_id = self.env.ref(
            "aftersales.warranty_type_installed"
        )
        self._receive("TWM-0002 installed today", sender=UNKNOWN_PHONE)
        self.assertEqual(self.warranty.state, "draft")
        self.assertEqual(self.warranty.partner_id, self.dealer)

    def test_follow_up_lands_in_the_request_thread(self):
        first = self._receive("TWM-0001 does not spin")
        ticket = first.ticket_id
        follow_up = self._receive("It also smells burnt")
        self.assertEqual(
            (follow_up.outcome, follow_up.ticket_id), ("ticket_reply", ticket)
        )
        message = ticket.message_ids.filtered(
            lambda m: "smells burnt" in (m.body or "")
        )
        self.assertEqual(message.author_id, self.customer)
        self.assertEqual(
            len(self._ticket_sms(ticket)), 1, "no second reference for a follow-up"
        )
        # Another unit in the text opens its own request.
        other = self._receive("and TWM-0002 too")
        self.assertEqual(other.outcome, "ticket")
        self.assertNotEqual(other.ticket_id, ticket)

    def test_approval_reply_and_feedback_still_go_to_the_order(self):
        order = self._awaiting_order()
        inbound = self._receive(f"EVET {order.approval_code} TWM-0001")
        self.assertEqual(inbound.outcome, "approved")
        self.assertEqual(order.state, "done")
        self.assertFalse(inbound.ticket_id)
        waiting = self._awaiting_order()
        inbound = self._receive("TWM-0001: can you come tomorrow?")
        self.assertEqual((inbound.outcome, inbound.order_id), ("feedback", waiting))
        self.assertFalse(inbound.ticket_id)

    def test_other_company_serial_is_not_matched(self):
        inbound = self._receive("BSN-7777 broken", sender=UNKNOWN_PHONE)
        self.assertEqual(inbound.outcome, "unknown_sender")
        self.assertFalse(inbound.ticket_id)
        gateway_b = self.gateway.copy(
            {"name": "Gateway B", "company_id": self.company_b.id}
        )
        inbound = self._receive(
            "BSN-7777 broken", sender=UNKNOWN_PHONE, gateway=gateway_b
        )
        self.assertEqual(inbound.outcome, "ticket")
        self.assertEqual(
            (inbound.ticket_id.lot_id, inbound.ticket_id.company_id),
            (self.lot_b, self.company_b),
        )

    def test_like_wildcards_in_the_text_match_nothing(self):
        for text in ("TWM_0001", "TWM%", "%0001"):
            with self.subTest(text=text):
                inbound = self._receive(text, sender=UNKNOWN_PHONE)
                self.assertEqual(inbound.outcome, "unknown_sender")


@tagged("post_install", "-at_install")
class TestTicketSmsRoute(TicketSmsCommon, HttpCase):
    def test_signed_inbound_sms_with_a_serial_opens_a_request(self):
        body, headers = self._signed(
            {"from": "0555 999 88 77", "text": "TWM-0001 makes noise", "id": "t-1"}
        )
        response = self.url_open(
            f"/aftersales/sms/inbound/{self.gateway.inbound_token}",
            data=body,
            headers=headers,
        )
        self.assertEqual(response.status_code, 202, response.text)
        inbound = self.env["aftersales.sms.inbound"].browse(response.json()["id"])
        self.assertFalse(inbound.ticket_id, "opened by the cron, after the answer")
        self.env["aftersales.sms.inbound"]._process_pending()
        self.assertEqual(inbound.outcome, "ticket")
        self.assertEqual(inbound.ticket_id.channel, "sms")
        self.assertEqual(inbound.ticket_id.lot_id, self.lot)
        self.assertEqual(inbound.ticket_id.partner_id.phone, UNKNOWN_PHONE)

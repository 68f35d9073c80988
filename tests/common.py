import hashlib
import hmac
import json
import time
import uuid

from odoo import Command
from odoo.tests import Form, TransactionCase, new_test_user
from odoo.tests import common as odoo_test_common

from odoo.addons.aftersales.models.aftersales_order.core import (
    KANBAN_MOVES,
    TRANSITIONS,
)

# Odoo waits 10 s for a new headless Chromium's devtools port, then SKIPS the
# browser test (and a skip fails our test command). Here a Chromium start now
# and then takes about 10 s (measured: 9.4 s cold, 0.7 s warm): 3 of 822
# tests skipped in one run of the final check, none in the run before. Wait
# up to 30 s; a browser that never starts still skips. Odoo reads the
# constant at each browser start (ChromeBrowser), so setting it here, when
# the tests are imported, is enough.
odoo_test_common.CHECK_BROWSER_ITERATIONS = 300


def calendar_vals(name, tz="UTC", days=range(7), hour_from=0.0, hour_to=24.0):
    """Values of a working calendar open from ``hour_from`` to ``hour_to`` on
    ``days`` (0 is Monday), in time zone ``tz``."""
    return {
        "name": name,
        "tz": tz,
        "attendance_ids": [Command.clear()]
        + [
            Command.create(
                {
                    "name": str(day),
                    "dayofweek": str(day),
                    "hour_from": hour_from,
                    "hour_to": hour_to,
                    "day_period": "full_day",
                }
            )
            for day in days
        ],
    }


def two_weeks_calendar_vals(name, tz, first_week, second_week, hour_from, hour_to):
    """Values of a calendar in two-week mode, open from ``hour_from`` to
    ``hour_to`` on the days ``first_week`` of the weeks resource.calendar calls
    first (week type "0") and on ``second_week`` of the others."""
    return {
        "name": name,
        "tz": tz,
        "two_weeks_calendar": True,
        "attendance_ids": [Command.clear()]
        + [
            Command.create(
                {
                    "name": f"{week_type}-{day}",
                    "dayofweek": str(day),
                    "week_type": week_type,
                    "hour_from": hour_from,
                    "hour_to": hour_to,
                    "day_period": "full_day",
                }
            )
            for week_type, days in (("0", first_week), ("1", second_week))
            for day in days
        ],
    }


def flexible_calendar_vals(name, tz, hours_per_day=8.0, hours_per_week=40.0):
    """Values of a flexible-hours calendar: hours to work, no fixed times."""
    return {
        "name": name,
        "tz": tz,
        "flexible_hours": True,
        "hours_per_day": hours_per_day,
        "hours_per_week": hours_per_week,
        "full_time_required_hours": hours_per_week,
        "attendance_ids": [Command.clear()],
    }


SMS_EVENTS_OFF = {
    "aftersales_sms_technician_assigned": False,
    "aftersales_sms_technician_changed": False,
    "aftersales_sms_technician_cancelled": False,
    "aftersales_sms_customer_assigned": False,
    "aftersales_sms_customer_on_the_way": False,
    "aftersales_sms_customer_approval": False,
    "aftersales_sms_customer_rating": False,
}


# Reasons given where a transition needs one.
STEP_REASONS = {"cancel": "Customer cancelled", "return": "Unit taken to the workshop"}


def shortest_paths():
    """{state: the transitions from a new order to it}, the shortest, read off
    TRANSITIONS (where each starts) and KANBAN_MOVES (where each leads): a
    copy of the state machine in the tests would drift from it."""
    leads_to = {transition: state for state, (transition, _m) in KANBAN_MOVES.items()}
    paths = {"new": []}
    queue = ["new"]
    while queue:
        state = queue.pop(0)
        for name, transition in TRANSITIONS.items():
            target = leads_to.get(name)
            if target and target not in paths and state in transition["from"]:
                step = (name, STEP_REASONS[name]) if name in STEP_REASONS else name
                paths[target] = [*paths[state], step]
                queue.append(target)
    return paths


class AftersalesCommon(TransactionCase):
    """Two companies, two centers in the first and one in the second, a user
    for each rung of the group ladder, and helpers to build work orders."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, mail_create_nosubscribe=True))
        cls.country_tr = cls.env.ref("base.tr")
        cls.state_istanbul = cls.env.ref("base.state_tr_34")
        cls.state_ankara = cls.env.ref("base.state_tr_06")

        cls.company = cls.env.company
        # Tests of the engine switch automatic assignment on themselves, tests
        # of SMS the SMS events.
        cls.company.write(
            {
                "country_id": cls.country_tr.id,
                "aftersales_auto_assign": False,
                **SMS_EVENTS_OFF,
            }
        )
        cls.company_b = cls.env["res.company"].create(
            {
                "name": "Second Brand Service",
                "country_id": cls.country_tr.id,
                "aftersales_auto_assign": False,
                **SMS_EVENTS_OFF,
            }
        )

        ServiceType = cls.env["aftersales.service.type"]
        cls.type_install = ServiceType.create(
            {"name": "Test Installation", "code": "T-INST", "approval_required": True}
        )
        cls.type_maintenance = ServiceType.create(
            {"name": "Test Maintenance", "code": "T-MAINT", "default_duration": 0.5}
        )

        cls.categ_appliance = cls.env["product.category"].create(
            {"name": "Test Appliances"}
        )
        cls.product = cls.env["product.product"].create(
            {
                "name": "Test Washing Machine",
                "type": "consu",
                "is_storable": True,
                "tracking": "serial",
                "categ_id": cls.categ_appliance.id,
            }
        )
        cls.lot = cls.env["stock.lot"].create(
            {"name": "TWM-0001", "product_id": cls.product.id}
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Test Customer",
                "street": "Moda Caddesi 1",
                "city": "İstanbul",
                "state_id": cls.state_istanbul.id,
                "country_id": cls.country_tr.id,
                "phone": "+905301112233",
            }
        )

        cls.center_a1 = cls._create_center("Center A1", cls.company)
        cls.center_a2 = cls._create_center("Center A2", cls.company)
        cls.center_b = cls._create_center("Center B", cls.company_b)

        group = "aftersales.group_"
        cls.user_technician = new_test_user(
            cls.env,
            "as_tech_a1",
            groups=group + "technician",
            company_id=cls.company.id,
        )
        cls.user_technician_a2 = new_test_user(
            cls.env,
            "as_tech_a2",
            groups=group + "technician",
            company_id=cls.company.id,
        )
        cls.user_center = new_test_user(
            cls.env,
            "as_center_a1",
            groups=group + "center_user",
            company_id=cls.company.id,
        )
        cls.user_dispatcher = new_test_user(
            cls.env,
            "as_dispatcher",
            groups=group + "dispatcher",
            company_id=cls.company.id,
        )
        cls.user_dispatcher_b = new_test_user(
            cls.env,
            "as_dispatcher_b",
            groups=group + "dispatcher",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )
        cls.user_manager = new_test_user(
            cls.env, "as_manager", groups=group + "manager", company_id=cls.company.id
        )
        cls.center_a1.user_ids = cls.user_center
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )

        Technician = cls.env["aftersales.technician"]
        cls.technician_a1 = Technician.create(
            {
                "name": "Tech A1",
                "center_id": cls.center_a1.id,
                "user_id": cls.user_technician.id,
                "mobile": "+905321110001",
            }
        )
        cls.technician_a1_bis = Technician.create(
            {"name": "Tech A1 bis", "center_id": cls.center_a1.id, "role": "assistant"}
        )
        cls.technician_a2 = Technician.create(
            {
                "name": "Tech A2",
                "center_id": cls.center_a2.id,
                "user_id": cls.user_technician_a2.id,
            }
        )
        cls.technician_b = Technician.with_company(cls.company_b).create(
            {"name": "Tech B", "center_id": cls.center_b.id}
        )

    @classmethod
    def _create_portal_user(cls, login, partner):
        """A portal user for ``partner`` (password = login)."""
        return new_test_user(
            cls.env, login, groups="base.group_portal", partner_id=partner.id
        )

    @classmethod
    def _create_dealer(cls, login, name, clerk="Clerk"):
        """A dealer company and its clerk's portal user (password = login):
        (dealer, clerk's partner, user)."""
        dealer = cls.env["res.partner"].create(
            {"name": name, "is_company": True, "aftersales_is_dealer": True}
        )
        contact = cls.env["res.partner"].create({"name": clerk, "parent_id": dealer.id})
        return dealer, contact, cls._create_portal_user(login, contact)

    @classmethod
    def _create_center(cls, name, company, **vals):
        partner = cls.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "company_id": company.id,
                "country_id": cls.country_tr.id,
                "city": "İstanbul",
            }
        )
        return (
            cls.env["aftersales.center"]
            .with_company(company)
            .create(
                {
                    "name": name,
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "capacity": 50,
                    "service_type_ids": [
                        Command.set((cls.type_install | cls.type_maintenance).ids)
                    ],
                    "area_ids": [
                        Command.create(
                            {
                                "country_id": cls.country_tr.id,
                                "state_id": cls.state_istanbul.id,
                            }
                        )
                    ],
                    **vals,
                }
            )
        )

    @classmethod
    def _create_order(cls, **vals):
        company = vals.get("company_id") and cls.env["res.company"].browse(
            vals["company_id"]
        )
        return (
            cls.env["aftersales.order"]
            .with_company(company or cls.company)
            .create(
                {
                    "partner_id": cls.customer.id,
                    "product_id": cls.product.id,
                    "lot_id": cls.lot.id,
                    "service_type_id": cls.type_maintenance.id,
                    **vals,
                }
            )
        )

    # The path a work order takes to reach each state, as superuser (derived
    # from the state machine itself, not a copy of it).
    PATHS = shortest_paths()

    @classmethod
    def _order_in_state(cls, state, center=None, technician=None, **vals):
        """A work order of a service type without approval, brought to ``state``."""
        center = center or cls.center_a1
        if technician is None:
            technician = (
                cls.technician_a1
                if center == cls.center_a1
                else center.technician_ids[:1]
            )
        order = cls._create_order(
            center_id=center.id, technician_id=technician.id, **vals
        )
        for step in cls.PATHS[state]:
            if isinstance(step, tuple):
                getattr(order, f"action_{step[0]}")(step[1])
            else:
                getattr(order, f"action_{step}")()
        assert order.state == state, (order.state, state)
        return order

    def _deliver(self, product, count=1, partner=None, **sale_vals):
        """Sell ``count`` serials of ``product`` and validate the delivery."""
        lots = self.env["stock.lot"].create(
            [
                {"name": f"W-{uuid.uuid4().hex[:8]}", "product_id": product.id}
                for _i in range(count)
            ]
        )
        for lot in lots:
            self.env["stock.quant"]._update_available_quantity(
                product, self.warehouse.lot_stock_id, 1, lot_id=lot
            )
        sale = self.env["sale.order"].create(
            {
                "partner_id": (partner or self.customer).id,
                "order_line": [
                    Command.create({"product_id": product.id, "product_uom_qty": count})
                ],
                **sale_vals,
            }
        )
        sale.action_confirm()
        picking = sale.picking_ids
        picking.action_assign()
        picking.move_ids.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        return sale, picking.move_line_ids.lot_id

    def _snapshot(self, order):
        """The fields a refused transition must leave untouched."""
        order.invalidate_recordset()
        return order.read(
            [
                "state",
                "center_id",
                "technician_id",
                "reject_reason",
                "cancel_reason",
                "return_reason",
                "rejected_center_ids",
                "date_assigned",
                "date_done",
            ]
        )[0]


class AssignmentCommon(AftersalesCommon):
    """Centers around Bursa, open around the clock unless a test says
    otherwise, with automatic assignment switched on."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.aftersales_auto_assign = True
        cls.state_bursa = cls.env.ref("base.state_tr_16")
        cls.calendar_always = cls.env["resource.calendar"].create(
            calendar_vals("Always open")
        )
        cls.bursa_customer = cls.env["res.partner"].create(
            {
                "name": "Bursa Customer",
                "street": "Atatürk Caddesi 1",
                "city": "Bursa",
                "zip": "16010",
                "state_id": cls.state_bursa.id,
                "country_id": cls.country_tr.id,
                "phone": "+905321112299",
            }
        )
        # Bursa city centre, and centers 5 km and 60 km away.
        cls.customer_position = {"latitude": 40.1885, "longitude": 29.0610}
        cls.center_near = cls._create_bursa_center("Bursa Near", 40.2300, 29.0600)
        cls.center_far = cls._create_bursa_center("Bursa Far", 40.4000, 29.7000)

    @classmethod
    def _create_bursa_center(cls, name, latitude=0.0, longitude=0.0, **vals):
        return cls._create_center(
            name,
            cls.company,
            latitude=latitude,
            longitude=longitude,
            resource_calendar_id=vals.pop(
                "resource_calendar_id", cls.calendar_always.id
            ),
            area_ids=vals.pop(
                "area_ids",
                [
                    Command.create(
                        {
                            "country_id": cls.country_tr.id,
                            "state_id": cls.state_bursa.id,
                        }
                    )
                ],
            ),
            **vals,
        )

    @classmethod
    def _create_bursa_order(cls, **vals):
        return cls._create_order(
            partner_id=cls.bursa_customer.id,
            lot_id=False,
            **{**cls.customer_position, **vals},
        )

    def _log_reasons(self, order):
        return {row["name"]: row["reason"] for row in order.assignment_log["excluded"]}


class SmsCommon(AftersalesCommon):
    """The SMS events switched on, an HTTP gateway for the first company, and
    helpers to sign the gateway's inbound requests."""

    CUSTOMER_PHONE = "+905301112233"
    TECHNICIAN_MOBILE = "+905321110001"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({key: True for key in SMS_EVENTS_OFF})
        cls.gateway = cls.env["aftersales.sms.gateway"].create(
            {
                "name": "Test Gateway",
                "company_id": cls.company.id,
                # Nothing listens there: tests that send start their own server.
                "url": "http://127.0.0.1:9/send",
                "inbound_secret": "s3cret-for-tests",
            }
        )
        cls.center_a1.partner_id.phone = "+902121234567"

    @classmethod
    def _awaiting_order(cls, **vals):
        """An installation (approval required) awaiting the customer."""
        return cls._order_in_state(
            "awaiting_approval", service_type_id=cls.type_install.id, **vals
        )

    def _signed(self, payload, gateway=None, timestamp=None, secret=None):
        """(body, headers) of an inbound request signed as the gateway does."""
        gateway = gateway or self.gateway
        body = json.dumps(payload).encode()
        timestamp = int(time.time()) if timestamp is None else timestamp
        signature = hmac.new(
            (secret or gateway.sudo().inbound_secret).encode(),
            f"{timestamp}.".encode() + body,
            hashlib.sha256,
        ).hexdigest()
        return body, {
            "Content-Type": "application/json",
            "X-Aftersales-Timestamp": str(timestamp),
            "X-Aftersales-Signature": signature,
        }

    def _order_sms(self, order):
        """The SMS queued from ``order``'s chatter, oldest first."""
        return (
            self.env["sms.sms"]
            .sudo()
            .search(
                [
                    ("mail_message_id.model", "=", "aftersales.order"),
                    ("mail_message_id.res_id", "=", order.id),
                ],
                order="id",
            )
        )


# A 1x1 PNG.
PIXEL_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVO"
    "RK5CYII="
)


class FieldCommon(AftersalesCommon):
    """Spare parts in stock at Center A1, a warranty covering the test serial,
    a repair type with a quality checklist, labour and travel products with
    taxes, and a quality inspector."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Product = cls.env["product.product"]
        cls.tax_sale = cls.env["account.tax"].create(
            {
                "name": "Test VAT 20%",
                "amount": 20.0,
                "type_tax_use": "sale",
                "company_id": cls.company.id,
            }
        )
        cls.part_board = Product.create(
            {
                "name": "Test Control Board",
                "type": "consu",
                "is_storable": True,
                "tracking": "serial",
                "lst_price": 120.0,
                "taxes_id": [Command.set(cls.tax_sale.ids)],
            }
        )
        cls.part_belt = Product.create(
            {
                "name": "Test Drive Belt",
                "type": "consu",
                "is_storable": True,
                "lst_price": 15.0,
                "taxes_id": [Command.set(cls.tax_sale.ids)],
            }
        )
        cls.labour = Product.create(
            {
                "name": "Test Repair Labour",
                "type": "service",
                "lst_price": 40.0,
                "taxes_id": [Command.set(cls.tax_sale.ids)],
            }
        )
        cls.travel = Product.create(
            {
                "name": "Test Travel",
                "type": "service",
                "lst_price": 10.0,
                "taxes_id": [Command.set(cls.tax_sale.ids)],
            }
        )
        cls.company.aftersales_travel_product_id = cls.travel
        cls.type_repair = cls.env["aftersales.service.type"].create(
            {
                "name": "Test Repair",
                "code": "T-REP",
                "is_repair": True,
                "labour_product_id": cls.labour.id,
                "qc_item_ids": [
                    Command.create({"name": "Unit runs a full cycle", "sequence": 1}),
                    Command.create(
                        {"name": "Area cleaned", "sequence": 2, "mandatory": False}
                    ),
                ],
            }
        )
        (cls.center_a1 | cls.center_a2).service_type_ids = [
            Command.link(cls.type_repair.id)
        ]
        cls.board_lots = cls.env["stock.lot"].create(
            [{"name": f"CB-{n}", "product_id": cls.part_board.id} for n in range(1, 4)]
        )
        Quant = cls.env["stock.quant"]
        cls.location_a1 = cls.center_a1.stock_location_id
        for lot in cls.board_lots[:2]:
            Quant._update_available_quantity(
                cls.part_board, cls.location_a1, 1, lot_id=lot
            )
        # The third board sits in the other center's stock.
        Quant._update_available_quantity(
            cls.part_board, cls.center_a2.stock_location_id, 1, lot_id=cls.board_lots[2]
        )
        Quant._update_available_quantity(cls.part_belt, cls.location_a1, 5)

        cls.warranty_type = cls.env["aftersales.warranty.type"].create(
            {"name": "Test Two Years", "duration": 2, "covers_travel": False}
        )
        cls.covered_lot = cls.env["stock.lot"].create(
            {"name": "TWM-COVERED", "product_id": cls.product.id}
        )
        cls.env["aftersales.warranty"].create(
            {
                "lot_id": cls.covered_lot.id,
                "partner_id": cls.customer.id,
                "warranty_type_id": cls.warranty_type.id,
            }
        ).action_activate()

        cls.user_qc = new_test_user(
            cls.env, "as_qc", groups="aftersales.group_qc", company_id=cls.company.id
        )

    def _repair_in_progress(self, lot=None, **vals):
        """A repair (no customer approval) in progress at Center A1."""
        return self._order_in_state(
            "in_progress",
            service_type_id=self.type_repair.id,
            lot_id=(lot or self.lot).id,
            **vals,
        )

    def _add_part(self, order, product, user=None, **vals):
        Part = self.env["aftersales.order.part"]
        if user:
            Part = Part.with_user(user)
        return Part.create(
            {"order_id": order.id, "product_id": product.id, "quantity": 1, **vals}
        )

    def _qc_check(self, order, result, reason=None, tick=True, user=None):
        """The inspector's check of ``order``, every point ticked (or none)."""
        form = Form(
            self.env["aftersales.qc.check"]
            .with_user(user or self.user_qc)
            .with_context(default_order_id=order.id)
        )
        form.result = result
        if reason:
            form.reason = reason
        for index in range(len(form.line_ids)):
            with form.line_ids.edit(index) as line:
                line.passed = tick
        return form.save()

    def _quant_qty(self, product, location, lot=None):
        return self.env["stock.quant"]._get_available_quantity(
            product, location, lot_id=lot, strict=bool(lot)
        )


class WorkshopCommon(FieldCommon):
    """Center A1 is a service desk (it receives units) doing a workshop
    repair type with an inspection fee and a quality checklist; the
    customer has a portal login; the test serial is the customer's unit."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.inspection_fee = cls.env["product.product"].create(
            {
                "name": "Test Inspection Fee",
                "type": "service",
                "lst_price": 25.0,
                "taxes_id": [Command.set(cls.tax_sale.ids)],
            }
        )
        cls.type_workshop = cls.env["aftersales.service.type"].create(
            {
                "name": "Test Workshop Repair",
                "code": "T-WSH",
                "work_place": "workshop",
                "on_site": False,
                "is_repair": True,
                "qc_required": True,
                "labour_product_id": cls.labour.id,
                "inspection_fee_product_id": cls.inspection_fee.id,
                "qc_item_ids": [
                    Command.create({"name": "Unit runs a full cycle", "sequence": 1})
                ],
            }
        )
        cls.center_a1.write(
            {
                "receives_units": True,
                "service_type_ids": [Command.link(cls.type_workshop.id)],
            }
        )
        cls.user_customer = cls._create_portal_user("as_ws_customer", cls.customer)

    @classmethod
    def _workshop_order(cls, **vals):
        """A workshop repair assigned to the desk (Center A1), unit not yet in."""
        order = cls._order_in_state(
            "assigned", service_type_id=cls.type_workshop.id, **vals
        )
        assert order.workshop_state == "to_receive", order.workshop_state
        return order

    def _received_order(self, **vals):
        """A workshop repair whose unit the desk received (as desk staff)."""
        order = self._workshop_order(**vals)
        order.with_user(self.user_center).action_receive()
        return order


class SlaCommon(AftersalesCommon):
    """Center A1 works Monday to Friday, 09:00-17:00 in Istanbul (06:00-14:00
    UTC), with a public holiday on Wednesday 2026-12-02; center A2 works
    around the clock. Three SLA policies of increasing specificity."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Calendar = cls.env["resource.calendar"]
        cls.calendar_office = Calendar.create(
            calendar_vals("Istanbul Office", "Europe/Istanbul", range(5), 9.0, 17.0)
        )
        cls.env["resource.calendar.leaves"].create(
            {
                "name": "Public holiday",
                "calendar_id": cls.calendar_office.id,
                "date_from": "2026-12-01 21:00:00",
                "date_to": "2026-12-02 20:59:59",
            }
        )
        cls.calendar_always = Calendar.create(calendar_vals("Always Open"))
        cls.center_a1.resource_calendar_id = cls.calendar_office
        cls.center_a2.resource_calendar_id = cls.calendar_always
        cls.company.resource_calendar_id = cls.calendar_office
        Policy = cls.env["aftersales.sla.policy"]
        cls.policy_standard = Policy.create(
            {
                "name": "Standard",
                "sequence": 20,
                "time_basis": "working",
                "accept_hours": 2,
                "arrival_hours": 8,
                "resolve_hours": 16,
                "warning_hours": 1,
            }
        )
        cls.policy_urgent = Policy.create(
            {
                "name": "Urgent",
                "sequence": 10,
                "priority": "2",
                "time_basis": "calendar",
                "accept_hours": 1,
                "arrival_hours": 4,
                "resolve_hours": 8,
                "warning_hours": 0.5,
            }
        )
        cls.tag_vip = cls.env["res.partner.category"].create({"name": "VIP"})
        cls.policy_vip_urgent = Policy.create(
            {
                "name": "VIP urgent",
                "sequence": 30,
                "priority": "2",
                "partner_category_ids": [Command.set(cls.tag_vip.ids)],
                "time_basis": "calendar",
                "arrival_hours": 2,
                "resolve_hours": 4,
            }
        )
        cls.user_sla_manager = new_test_user(
            cls.env,
            "as_sla_manager",
            groups="aftersales.group_manager",
            company_id=cls.company.id,
        )
        cls.company.write(
            {
                "aftersales_sla_manager_id": cls.user_sla_manager.id,
                "aftersales_dispatcher_id": cls.user_dispatcher.id,
            }
        )

    @classmethod
    def _create_order(cls, **vals):
        # Warnings go to the order's dispatcher: a real one, not OdooBot.
        return super()._create_order(**{"user_id": cls.user_dispatcher.id, **vals})

    def _check_sla(self, now=None):
        """Run the SLA check as the cron does, without its commits."""
        self.env["aftersales.order"]._cron_check_sla(
            after_batch=lambda processed, remaining=None: True
        )


class TicketCommon(AftersalesCommon):
    """The service desk: a desk team of two agents (round robin), a desk
    manager, a second company's agent, the shipped categories, a portal
    customer with a site and a contact person, and a helper opening requests
    as a channel does."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        group = "aftersales.group_"
        cls.user_agent = new_test_user(
            cls.env,
            "as_agent_1",
            groups=group + "desk_agent",
            company_id=cls.company.id,
            email="agent1@example.com",
        )
        cls.user_agent_2 = new_test_user(
            cls.env,
            "as_agent_2",
            groups=group + "desk_agent",
            company_id=cls.company.id,
            email="agent2@example.com",
        )
        cls.user_desk_manager = new_test_user(
            cls.env,
            "as_desk_manager",
            groups=group + "desk_manager",
            company_id=cls.company.id,
        )
        cls.user_agent_b = new_test_user(
            cls.env,
            "as_agent_b",
            groups=group + "desk_agent",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )
        cls.team = cls.env["aftersales.ticket.team"].create(
            {
                "name": "Test Desk",
                "company_id": cls.company.id,
                "assign_method": "round_robin",
                "member_ids": [Command.set((cls.user_agent | cls.user_agent_2).ids)],
            }
        )
        cls.team_b = cls.env["aftersales.ticket.team"].create(
            {
                "name": "Test Desk B",
                "company_id": cls.company_b.id,
                "member_ids": [Command.set(cls.user_agent_b.ids)],
            }
        )
        cls.company.aftersales_ticket_team_id = cls.team
        cls.company_b.aftersales_ticket_team_id = cls.team_b
        ref = cls.env.ref
        cls.category_report = ref(
            "aftersales.aftersales_ticket_category_service_report"
        )
        cls.category_deviation = ref("aftersales.aftersales_ticket_category_deviation")
        cls.category_order = ref("aftersales.aftersales_ticket_category_order")
        cls.category_question = ref("aftersales.aftersales_ticket_category_question")
        cls.site = cls.env["res.partner"].create(
            {
                "name": "Moda Site",
                "type": "other",
                "parent_id": cls.customer.id,
                "street": "Moda Caddesi 99",
                "city": "İstanbul",
                "state_id": cls.state_istanbul.id,
                "country_id": cls.country_tr.id,
            }
        )
        cls.contact_person = cls.env["res.partner"].create(
            {
                "name": "Ayşe Contact",
                "type": "contact",
                "parent_id": cls.customer.id,
                "email": "ayse@example.com",
                "phone": "+905301112299",
            }
        )
        cls.portal_user = cls._create_portal_user("as_ticket_portal", cls.customer)
        # After the portal user: its creation writes the partner's e-mail.
        cls.customer.email = "moda.customer@example.com"
        cls.other_customer = cls.env["res.partner"].create(
            {"name": "Other Customer", "email": "other@example.com"}
        )

    def setUp(self):
        super().setUp()
        # The round-robin turns are a PostgreSQL sequence, which a test's
        # rollback does not rewind: each test starts with the first member.
        self.team.sudo().rotation_sequence_id.number_next_actual = 1

    @classmethod
    def _create_ticket(cls, channel="backend", **values):
        """A request opened as ``channel`` opens it (values as
        _create_from_channel reads them; the customer by default)."""
        values = {
            "subject": "The machine leaks",
            "description": "Water under the machine after each wash.",
            "partner_id": cls.customer.id,
            **values,
        }
        return cls.env["aftersales.ticket"]._create_from_channel(channel, values)

import uuid
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from psycopg2 import IntegrityError

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.sql_db import db_connect
from odoo.tests import BaseCase, freeze_time, tagged
from odoo.tests.common import get_db_name
from odoo.tools import mute_logger

from .common import AftersalesCommon


@tagged("post_install", "-at_install")
class TestWarranty(AftersalesCommon):
    """Warranties by serial: created at delivery, started per type, expired,
    extended, voided, and deciding what a work order covers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        WarrantyType = cls.env["aftersales.warranty.type"]
        cls.type_delivery = WarrantyType.create(
            {
                "name": "2 years",
                "duration": 2,
                "duration_unit": "year",
                "extension_allowed": True,
                "max_extension_months": 24,
            }
        )
        cls.type_installation = WarrantyType.create(
            {
                "name": "From installation",
                "duration": 18,
                "duration_unit": "month",
                "start_trigger": "installation",
                "covers_travel": False,
            }
        )
        cls.type_sale = WarrantyType.create(
            {
                "name": "From sale",
                "duration": 1,
                "duration_unit": "year",
                "start_trigger": "sale",
            }
        )
        cls.product.product_tmpl_id.aftersales_warranty_type_id = cls.type_delivery
        cls.type_install.starts_warranty = True

    def _warranty(self, lot):
        return self.env["aftersales.warranty"].search([("lot_id", "=", lot.id)])

    # Creation and start

    def test_delivery_starts_the_warranty(self):
        sale, lots = self._deliver(self.product, count=2)
        warranties = self.env["aftersales.warranty"].search(
            [("lot_id", "in", lots.ids)]
        )
        self.assertEqual(len(warranties), 2)
        today = fields.Date.context_today(self.env.user)
        for warranty in warranties:
            self.assertEqual(warranty.state, "active")
            self.assertEqual(warranty.partner_id, self.customer)
            self.assertEqual(warranty.date_start, today)
            self.assertEqual(warranty.date_end, today + relativedelta(years=2, days=-1))
            self.assertEqual(warranty.sale_line_id, sale.order_line)
            self.assertRegex(warranty.card_number, r"^WC\d{4}\d{7}$")
        self.assertNotEqual(*warranties.mapped("card_number"))
        self.assertEqual(lots[0].aftersales_warranty_id, self._warranty(lots[0]))
        self.assertEqual(lots[0].aftersales_warranty_state, "active")
        self.assertEqual(self.customer.aftersales_warranty_count, 2)

    def test_installation_starts_the_warranty(self):
        self.product.product_tmpl_id.aftersales_warranty_type_id = (
            self.type_installation
        )
        _sale, lot = self._deliver(self.product)
        warranty = self._warranty(lot)
        self.assertEqual((warranty.state, warranty.date_start), ("draft", False))
        order = self._order_in_state(
            "in_progress", lot_id=lot.id, service_type_id=self.type_maintenance.id
        )
        order.action_done()
        self.assertEqual(warranty.state, "draft", "a maintenance does not start it")
        install = self._order_in_state(
            "awaiting_approval", lot_id=lot.id, service_type_id=self.type_install.id
        )
        # The customer's approval completes the installation.
        with freeze_time(date.today() + timedelta(days=3)):
            self.env["aftersales.approval"].create(
                {"order_id": install.id, "decision": "approved"}
            )
        self.assertEqual(install.state, "done")
        self.assertEqual(warranty.state, "active")
        self.assertEqual(warranty.date_start, date.today() + timedelta(days=3))
        self.assertEqual(
            warranty.date_end, warranty.date_start + relativedelta(months=18, days=-1)
        )

    def test_sale_date_starts_the_warranty(self):
        self.product.product_tmpl_id.aftersales_warranty_type_id = self.type_sale
        sold_on = date.today() - timedelta(days=20)
        with freeze_time(sold_on):
            sale = self.env["sale.order"].create(
                {
                    "partner_id": self.customer.id,
                    "order_line": [Command.create({"product_id": self.product.id})],
                }
            )
            sale.action_confirm()
        lot = self.env["stock.lot"].create(
            {"name": "SOLD-EARLY", "product_id": self.product.id}
        )
        self.env["stock.quant"]._update_available_quantity(
            self.product, self.warehouse.lot_stock_id, 1, lot_id=lot
        )
        sale.picking_ids.action_assign()
        sale.picking_ids.move_ids.picked = True
        sale.picking_ids.button_validate()
        self.assertEqual(
            self._warranty(lot).date_start, sold_on, "delivered today, sold before"
        )

    def test_registration_waits_for_the_customer(self):
        self.type_sale.start_trigger = "registration"
        self.product.product_tmpl_id.aftersales_warranty_type_id = self.type_sale
        _sale, lot = self._deliver(self.product)
        warranty = self._warranty(lot)
        self.assertEqual(warranty.state, "draft")
        warranty.action_activate()
        self.assertEqual(warranty.state, "active")
        with self.assertRaisesRegex(UserError, "cannot start"):
            warranty.action_activate()

    def test_category_default_and_untracked_products(self):
        self.product.product_tmpl_id.aftersales_warranty_type_id = False
        parent = self.env["product.category"].create(
            {"name": "Appliances", "aftersales_warranty_type_id": self.type_sale.id}
        )
        self.categ_appliance.parent_id = parent
        _sale, lot = self._deliver(self.product)
        self.assertEqual(
            self._warranty(lot).warranty_type_id,
            self.type_sale,
            "from the parent category",
        )
        untracked = self.env["product.product"].create(
            {
                "name": "Remote",
                "type": "consu",
                "is_storable": True,
                "aftersales_warranty_type_id": self.type_delivery.id,
            }
        )
        self.env["stock.quant"]._update_available_quantity(
            untracked, self.warehouse.lot_stock_id, 1
        )
        sale = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [Command.create({"product_id": untracked.id})],
            }
        )
        sale.action_confirm()
        sale.picking_ids.move_ids.picked = True
        sale.picking_ids.button_validate()
        self.assertFalse(
            self.env["aftersales.warranty"].search([("product_id", "=", untracked.id)])
        )

    def test_one_warranty_per_serial_and_customer(self):
        _sale, lot = self._deliver(self.product)
        warranty = self._warranty(lot)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            warranty.copy()
            self.env.flush_all()

    # Life

    def test_expiry(self):
        _sale, lot = self._deliver(self.product)
        warranty = self._warranty(lot)
        with freeze_time(warranty.date_end):
            warranty._expire_ended()
            self.assertEqual(warranty.state, "active", "the last day is covered")
        with freeze_time(warranty.date_end + timedelta(days=1)):
            warranty._expire_ended()
            self.assertEqual(warranty.state, "expired")

    def test_extension(self):
        _sale, lot = self._deliver(self.product)
        warranty = self._warranty(lot)
        end = warranty.date_end
        warranty.action_extend(12)
        self.assertEqual(warranty.date_end, end + relativedelta(months=12))
        with self.assertRaisesRegex(ValidationError, "12 more months at most"):
            warranty.action_extend(13)
        with self.assertRaisesRegex(UserError, "at least one month"):
            warranty.action_extend(0)
        self.type_delivery.extension_allowed = False
        with self.assertRaisesRegex(UserError, "cannot be extended"):
            warranty.action_extend(1)

    def test_extending_an_expired_warranty_revives_it(self):
        _sale, lot = self._deliver(self.product)
        warranty = self._warranty(lot)
        with freeze_time(warranty.date_end + timedelta(days=10)):
            warranty._expire_ended()
            warranty.action_extend(6)
            self.assertEqual(warranty.state, "active")

    def test_void_needs_a_reason_and_frees_the_serial(self):
        _sale, lot = self._deliver(self.product)
        warranty = self._warranty(lot)
        with self.assertRaisesRegex(UserError, "give a reason"):
            warranty.action_void("  ")
        warranty.action_void("Seal broken")
        self.assertEqual(
            (warranty.state, warranty.void_reason), ("void", "Seal broken")
        )
        self.env["aftersales.warranty"].create(
            {
                "lot_id": lot.id,
                "partner_id": self.customer.id,
                "warranty_type_id": self.type_sale.id,
            }
        )

    # Coverage of work orders

    def test_work_order_coverage_comes_from_the_warranty(self):
        self.product.product_tmpl_id.aftersales_warranty_type_id = (
            self.type_installation
        )
        _sale, lot = self._deliver(self.product)
        order = self._create_order(lot_id=lot.id)
        self.assertEqual(order.warranty_id, self._warranty(lot))
        self.assertFalse(order.under_warranty, "not started yet")
        self._warranty(lot).action_activate()
        self.assertTrue(order.under_warranty)
        self.assertEqual(
            (order.parts_covered, order.labour_covered, order.travel_covered),
            (True, True, False),
        )
        self.assertEqual(order.warranty_card_number, self._warranty(lot).card_number)

    def test_expired_or_foreign_warranty_covers_nothing(self):
        _sale, lot = self._deliver(self.product)
        warranty = self._warranty(lot)
        warranty.date_start = date.today() - relativedelta(years=3)
        order = self._create_order(lot_id=lot.id)
        self.assertEqual(order.warranty_id, warranty)
        self.assertFalse(order.under_warranty)
        other_customer = self.env["res.partner"].create({"name": "Second owner"})
        other = self._create_order(lot_id=lot.id, partner_id=other_customer.id)
        self.assertFalse(other.warranty_id, "the warranty belongs to the buyer")

    def test_center_user_sees_warranties_of_units_they_serve(self):
        _sale, lots = self._deliver(self.product, count=2)
        served, other = (self._warranty(lot) for lot in lots)
        self._order_in_state("assigned", lot_id=served.lot_id.id)
        self._order_in_state("assigned", lot_id=other.lot_id.id, center=self.center_a2)
        Warranty = self.env["aftersales.warranty"].with_user(self.user_center)
        self.assertEqual(Warranty.search([("id", "in", (served | other).ids)]), served)
        with self.assertRaises(AccessError):
            other.with_user(self.user_center).read(["card_number"])
        with self.assertRaises(AccessError):
            served.with_user(self.user_center).action_void("Not theirs to void")


@tagged("post_install", "-at_install")
class TestWarrantyExpiryCron(BaseCase):
    """The daily cron expires ended warranties in batches that commit: run on
    committed data with a real cursor, removed after."""

    def test_cron_expires_in_committed_batches(self):
        dbname = get_db_name()
        with db_connect(dbname).cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            today = fields.Date.context_today(env["aftersales.warranty"])
            wtype = env["aftersales.warranty.type"].create(
                {"name": f"Cron {uuid.uuid4().hex[:6]}", "duration": 1}
            )
            product = env["product.product"].create(
                {"name": "Cron unit", "type": "consu", "tracking": "serial"}
            )
            partner = env["res.partner"].create({"name": "Cron customer"})
            lots = env["stock.lot"].create(
                [
                    {
                        "name": f"CRON-{i}-{uuid.uuid4().hex[:6]}",
                        "product_id": product.id,
                    }
                    for i in range(4)
                ]
            )
            starts = [
                # Ended yesterday, ended five days ago, ends today.
                today - relativedelta(years=1, days=d)
                for d in (0, 4, -1)
            ]
            warranties = env["aftersales.warranty"].create(
                [
                    {
                        "lot_id": lot.id,
                        "partner_id": partner.id,
                        "warranty_type_id": wtype.id,
                        "state": "active",
                        "date_start": start,
                    }
                    for lot, start in zip(lots, starts, strict=False)
                ]
                + [
                    {
                        "lot_id": lots[3].id,
                        "partner_id": partner.id,
                        "warranty_type_id": wtype.id,
                    }
                ]
            )
            cr.commit()  # pylint: disable=invalid-commit
            try:
                env["aftersales.warranty"]._cron_expire(batch_size=1)
                cr.execute(
                    "SELECT id, state FROM aftersales_warranty WHERE id IN %s",
                    [tuple(warranties.ids)],
                )
                states = dict(cr.fetchall())
                self.assertEqual(
                    [states[w] for w in warranties.ids],
                    ["expired", "expired", "active", "draft"],
                )
            finally:
                cr.rollback()
                env.invalidate_all()
                warranties.unlink()
                lots.unlink()
                product.unlink()
                partner.unlink()
                wtype.unlink()
                cr.commit()  # pylint: disable=invalid-commit

import threading
import uuid

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import UserError
from odoo.service.model import retrying
from odoo.sql_db import db_connect
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name

from .common import calendar_vals


@tagged("post_install", "-at_install")
class TestConcurrentAssignment(BaseCase):
    """Two workers assign at the same time, each in its own real database
    transaction, retried by Odoo's own `retrying` as a request would be.

    The data is committed (other transactions must see it) and removed after.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dbname = get_db_name()
        cls.tag = uuid.uuid4().hex[:8]
        with cls._cursor() as cr:
            # The orders are assigned by the racing workers, not by create().
            env = api.Environment(cr, SUPERUSER_ID, {"aftersales_no_auto_assign": True})
            tr, bursa = env.ref("base.tr"), env.ref("base.state_tr_16")
            calendar = env["resource.calendar"].create(
                calendar_vals(f"Always {cls.tag}")
            )
            service_type = env["aftersales.service.type"].create(
                {"name": "Race", "code": f"RACE-{cls.tag}"}
            )
            partner = env["res.partner"].create(
                {
                    "name": f"Race customer {cls.tag}",
                    "country_id": tr.id,
                    "state_id": bursa.id,
                }
            )
            product = env["product.product"].create(
                {"name": f"Race product {cls.tag}", "type": "consu"}
            )

            def center(name, latitude, capacity):
                return env["aftersales.center"].create(
                    {
                        "name": f"{name} {cls.tag}",
                        "partner_id": env["res.partner"]
                        .create({"name": f"{name} {cls.tag}"})
                        .id,
                        "capacity": capacity,
                        "latitude": latitude,
                        "longitude": 29.06,
                        "resource_calendar_id": calendar.id,
                        "service_type_ids": [Command.link(service_type.id)],
                        "area_ids": [
                            Command.create({"country_id": tr.id, "state_id": bursa.id})
                        ],
                    }
                )

            cls.center_small_id = center("Small near", 40.20, 1).id
            cls.center_big_id = center("Big far", 40.60, 10).id
            orders = env["aftersales.order"].create(
                [
                    {
                        "partner_id": partner.id,
                        "product_id": product.id,
                        "service_type_id": service_type.id,
                        "latitude": 40.19,
                        "longitude": 29.06,
                    }
                    for _i in range(3)
                ]
            )
            cls.order_ids = orders.ids
            cls.record_ids = {
                "resource.calendar": calendar.ids,
                "aftersales.service.type": service_type.ids,
                "product.product": product.ids,
                "aftersales.center": [cls.center_small_id, cls.center_big_id],
                "res.partner": (
                    partner
                    | env["aftersales.center"]
                    .browse([cls.center_small_id, cls.center_big_id])
                    .partner_id
                ).ids,
            }
            cr.commit()  # pylint: disable=invalid-commit
        cls.addClassCleanup(cls._remove_data)

    @classmethod
    def _cursor(cls):
        return db_connect(cls.dbname).cursor()

    @classmethod
    def _remove_data(cls):
        with cls._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            orders = env["aftersales.order"].browse(cls.order_ids)
            orders.write({"state": "cancelled"})
            orders.unlink()
            for model in (
                "aftersales.center",
                "res.partner",
                "product.product",
                "aftersales.service.type",
                "resource.calendar",
            ):
                env[model].browse(cls.record_ids[model]).unlink()
            cr.commit()  # pylint: disable=invalid-commit

    def _run_in_parallel(self, order_ids):
        """Assign each order in its own thread and transaction; both read their
        snapshot before either writes. Return (attempts, errors) per thread."""
        barrier = threading.Barrier(len(order_ids), timeout=30)
        results = [None] * len(order_ids)

        def worker(index, order_id):
            attempts, error = 0, None
            with self._cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})

                def assign():
                    nonlocal attempts
                    attempts += 1
                    order = env["aftersales.order"].browse(order_id)
                    order.read(["state"])  # take the transaction's snapshot now
                    if attempts == 1:
                        barrier.wait()
                    order.action_assign()

                try:
                    retrying(assign, env)
                except UserError as exc:
                    error = str(exc)
            results[index] = (attempts, error)

        threads = [
            threading.Thread(target=worker, args=(i, oid))
            for i, oid in enumerate(order_ids)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        return results

    def _read(self, query, *params):
        with self._cursor() as cr:
            cr.execute(query, params)
            return cr.fetchall()

    def test_two_workers_never_overfill_a_center_nor_assign_an_order_twice(self):
        first, second, third = self.order_ids

        # Two orders, the best center has room for one.
        results = self._run_in_parallel([first, second])
        self.assertEqual(
            sorted(attempts for attempts, _error in results),
            [1, 2],
            "the later worker hit the lock, failed to serialize and was retried",
        )
        self.assertEqual([error for _attempts, error in results], [None, None])
        rows = dict(
            self._read(
                "SELECT id, center_id FROM aftersales_order"
                " WHERE id IN %s AND state = 'assigned'",
                (first, second),
            )
        )
        self.assertEqual(
            sorted(rows.values()), sorted([self.center_small_id, self.center_big_id])
        )

        # The same order twice: assigned once, the second worker is told so.
        results = self._run_in_parallel([third, third])
        errors = [error for _attempts, error in results]
        self.assertEqual(errors.count(None), 1)
        self.assertIn("must be New", next(e for e in errors if e))
        [(center_id, state)] = self._read(
            "SELECT center_id, state FROM aftersales_order WHERE id = %s", third
        )
        self.assertEqual((center_id, state), (self.center_big_id, "assigned"))
        [(open_small,)] = self._read(
            "SELECT count(*) FROM aftersales_order"
            " WHERE center_id = %s AND state = 'assigned'",
            self.center_small_id,
        )
        self.assertEqual(open_small, 1, "capacity 1 is never exceeded")


@tagged("post_install", "-at_install")
class TestConcurrentDecision(BaseCase):
    """The customer taps Approve twice (or a replay races the first submit):
    two real transactions, retried like requests; one decision is recorded."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dbname = get_db_name()
        tag = uuid.uuid4().hex[:8]
        with db_connect(cls.dbname).cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            service_type = env["aftersales.service.type"].create(
                {
                    "name": "Race approval",
                    "code": f"RACE-A-{tag}",
                    "approval_required": True,
                }
            )
            # No phone, a technician without mobile: no SMS is queued.
            partner = env["res.partner"].create({"name": f"Race customer {tag}"})
            product = env["product.product"].create(
                {"name": f"Race product {tag}", "type": "consu"}
            )
            center = env["aftersales.center"].create(
                {
                    "name": f"Race center {tag}",
                    "partner_id": env["res.partner"].create({"name": tag}).id,
                    "service_type_ids": [Command.link(service_type.id)],
                }
            )
            technician = env["aftersales.technician"].create(
                {"name": f"Race technician {tag}", "center_id": center.id}
            )
            order = env["aftersales.order"].create(
                {
                    "partner_id": partner.id,
                    "product_id": product.id,
                    "service_type_id": service_type.id,
                    "center_id": center.id,
                    "technician_id": technician.id,
                }
            )
            for action in ("assign", "accept", "start", "request_approval"):
                getattr(order, f"action_{action}")()
            cls.order_id = order.id
            cls.cleanup = [
                ("aftersales.technician", technician.ids),
                ("aftersales.center", center.ids),
                ("res.partner", (partner | center.partner_id).ids),
                ("product.product", product.ids),
                ("aftersales.service.type", service_type.ids),
            ]
            cr.commit()  # pylint: disable=invalid-commit
        cls.addClassCleanup(cls._remove_data)

    @classmethod
    def _remove_data(cls):
        with db_connect(cls.dbname).cursor() as cr:
            # Decisions are evidence the ORM refuses to delete; these are ours.
            cr.execute(
                "DELETE FROM aftersales_approval WHERE order_id = %s", [cls.order_id]
            )
            cr.execute("DELETE FROM aftersales_order WHERE id = %s", [cls.order_id])
            env = api.Environment(cr, SUPERUSER_ID, {})
            for model, ids in cls.cleanup:
                env[model].browse(ids).unlink()
            cr.commit()  # pylint: disable=invalid-commit

    def test_double_submit_records_one_decision(self):
        barrier = threading.Barrier(2, timeout=30)
        results = [None, None]

        def worker(index, decision):
            attempts, error = 0, None
            with db_connect(self.dbname).cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})

                def decide():
                    nonlocal attempts
                    attempts += 1
                    order = env["aftersales.order"].browse(self.order_id)
                    order.read(["state"])  # take the transaction's snapshot now
                    if attempts == 1:
                        barrier.wait()
                    order._record_decision_from_link(
                        decision, feedback="double tap", ip_address="127.0.0.1"
                    )

                try:
                    retrying(decide, env)
                except UserError as exc:
                    error = str(exc)
            results[index] = (attempts, error)

        threads = [
            threading.Thread(target=worker, args=(0, "approve")),
            threading.Thread(target=worker, args=(1, "reject")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

        errors = [error for _attempts, error in results]
        self.assertEqual(errors.count(None), 1, results)
        self.assertIn(
            "not in progress or awaiting approval", next(e for e in errors if e)
        )
        self.assertEqual(
            sorted(attempts for attempts, _error in results),
            [1, 2],
            "the later submit waited, failed to serialize and was retried",
        )
        with db_connect(self.dbname).cursor() as cr:
            cr.execute(
                "SELECT decision FROM aftersales_approval WHERE order_id = %s",
                [self.order_id],
            )
            decisions = cr.fetchall()
            cr.execute(
                "SELECT state FROM aftersales_order WHERE id = %s", [self.order_id]
            )
            [(state,)] = cr.fetchall()
        self.assertEqual(len(decisions), 1)
        self.assertEqual(
            state, "done" if decisions[0][0] == "approved" else "in_progress"
        )


@tagged("post_install", "-at_install")
class TestConcurrentParts(BaseCase):
    """Two technicians finish at the same time with the center's last belt:
    two real transactions, retried like requests. One consumes it, the other
    is told it is out of stock; the stock never goes negative."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dbname = get_db_name()
        tag = uuid.uuid4().hex[:8]
        with db_connect(cls.dbname).cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            service_type = env["aftersales.service.type"].create(
                {"name": "Race parts", "code": f"RACE-P-{tag}"}
            )
            partner = env["res.partner"].create({"name": f"Race customer {tag}"})
            product = env["product.product"].create(
                {"name": f"Race unit {tag}", "type": "consu"}
            )
            cls.belt = env["product.product"].create(
                {"name": f"Race belt {tag}", "type": "consu", "is_storable": True}
            )
            center = env["aftersales.center"].create(
                {
                    "name": f"Race parts center {tag}",
                    "partner_id": env["res.partner"].create({"name": tag}).id,
                    "service_type_ids": [Command.link(service_type.id)],
                }
            )
            # Creating the center may create the company's parts setup
            # (locations, operation types) on first use; it stays, as it would
            # in production: it is company configuration, not test data.
            cls.location_id = center.stock_location_id.id
            env["stock.quant"]._update_available_quantity(
                cls.belt, center.stock_location_id, 1
            )
            technician = env["aftersales.technician"].create(
                {"name": f"Race technician {tag}", "center_id": center.id}
            )
            orders = env["aftersales.order"].create(
                [
                    {
                        "partner_id": partner.id,
                        "product_id": product.id,
                        "service_type_id": service_type.id,
                        "center_id": center.id,
                        "technician_id": technician.id,
                    }
                    for _i in range(2)
                ]
            )
            for action in ("assign", "accept", "start"):
                getattr(orders, f"action_{action}")()
            env["aftersales.order.part"].create(
                [{"order_id": order.id, "product_id": cls.belt.id} for order in orders]
            )
            cls.order_ids = orders.ids
            cls.cleanup = (center, technician, partner, product, service_type)
            cr.commit()  # pylint: disable=invalid-commit
        cls.addClassCleanup(cls._remove_data)

    @classmethod
    def _remove_data(cls):
        with db_connect(cls.dbname).cursor() as cr:
            # Done moves are history the ORM keeps; these are ours.
            cr.execute(
                "SELECT id FROM stock_picking WHERE aftersales_order_id IN %s",
                [tuple(cls.order_ids)],
            )
            picking_ids = tuple(row[0] for row in cr.fetchall()) or (0,)
            cr.execute(
                "DELETE FROM stock_move_line WHERE picking_id IN %s", [picking_ids]
            )
            cr.execute("DELETE FROM stock_move WHERE picking_id IN %s", [picking_ids])
            cr.execute("DELETE FROM stock_picking WHERE id IN %s", [picking_ids])
            cr.execute("DELETE FROM stock_quant WHERE product_id = %s", [cls.belt.id])
            cr.execute(
                "DELETE FROM aftersales_order WHERE id IN %s", [tuple(cls.order_ids)]
            )
            env = api.Environment(cr, SUPERUSER_ID, {})
            center, technician, partner, product, service_type = (
                record.with_env(env) for record in cls.cleanup
            )
            technician.unlink()
            center_partner = center.partner_id
            location = center.stock_location_id
            center.unlink()
            location.unlink()
            (partner | center_partner).unlink()
            (product | cls.belt.with_env(env)).unlink()
            service_type.unlink()
            cr.commit()  # pylint: disable=invalid-commit

    def test_last_part_is_consumed_once(self):
        barrier = threading.Barrier(2, timeout=30)
        results = [None, None]

        def worker(index):
            attempts, error = 0, None
            with db_connect(self.dbname).cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})

                def finish():
                    nonlocal attempts
                    attempts += 1
                    order = env["aftersales.order"].browse(self.order_ids[index])
                    order.read(["state"])  # take the transaction's snapshot now
                    if attempts == 1:
                        barrier.wait()
                    order.action_done()

                try:
                    retrying(finish, env)
                except UserError as exc:
                    error = str(exc)
            results[index] = (attempts, error)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

        errors = [error for _attempts, error in results]
        self.assertEqual(errors.count(None), 1, results)
        self.assertIn("not in stock", next(e for e in errors if e))
        with db_connect(self.dbname).cursor() as cr:
            cr.execute(
                "SELECT COALESCE(SUM(quantity), 0), COALESCE(MIN(quantity), 0) "
                "FROM stock_quant WHERE product_id = %s AND location_id = %s",
                [self.belt.id, self.location_id],
            )
            [(total, lowest)] = cr.fetchall()
            cr.execute(
                "SELECT state FROM aftersales_order WHERE id IN %s ORDER BY state",
                [tuple(self.order_ids)],
            )
            states = [row[0] for row in cr.fetchall()]
        self.assertEqual((total, lowest), (0, 0), "consumed once, never negative")
        self.assertEqual(states, ["done", "in_progress"])


@tagged("post_install", "-at_install")
class TestConcurrentSettlement(BaseCase):
    """Two settlement workers run at once over the same completed work: every
    order is settled exactly once."""

    ORDER_COUNT = 30

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dbname = get_db_name()
        tag = uuid.uuid4().hex[:8]
        with db_connect(cls.dbname).cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            service_type = env["aftersales.service.type"].create(
                {"name": "Race settlement", "code": f"RACE-S-{tag}"}
            )
            partner = env["res.partner"].create({"name": f"Race customer {tag}"})
            product = env["product.product"].create(
                {"name": f"Race unit {tag}", "type": "consu"}
            )
            center = env["aftersales.center"].create(
                {
                    "name": f"Race settlement center {tag}",
                    "partner_id": env["res.partner"].create({"name": tag}).id,
                    "service_type_ids": [Command.link(service_type.id)],
                }
            )
            tariff = env["aftersales.tariff"].create(
                {
                    "name": f"Race tariff {tag}",
                    "service_type_id": service_type.id,
                    "amount": 10.0,
                }
            )
            # Completed work, written as the state machine would leave it.
            orders = env["aftersales.order"].create(
                [
                    {
                        "partner_id": partner.id,
                        "product_id": product.id,
                        "service_type_id": service_type.id,
                        "center_id": center.id,
                        "state": "done",
                        "date_done": "2026-11-10 10:00:00",
                    }
                    for _i in range(cls.ORDER_COUNT)
                ]
            )
            cls.order_ids = orders.ids
            cls.center_id = center.id
            cls.cleanup = (tariff, center, partner, product, service_type)
            cr.commit()  # pylint: disable=invalid-commit
        cls.addClassCleanup(cls._remove_data)

    @classmethod
    def _remove_data(cls):
        with db_connect(cls.dbname).cursor() as cr:
            # Settlement lines are history the ORM keeps; these are ours.
            cr.execute(
                "DELETE FROM aftersales_settlement_line WHERE order_id IN %s",
                [tuple(cls.order_ids)],
            )
            cr.execute(
                "DELETE FROM aftersales_settlement WHERE center_id = %s",
                [cls.center_id],
            )
            cr.execute(
                "DELETE FROM aftersales_order WHERE id IN %s", [tuple(cls.order_ids)]
            )
            env = api.Environment(cr, SUPERUSER_ID, {})
            tariff, center, partner, product, service_type = (
                record.with_env(env) for record in cls.cleanup
            )
            tariff.unlink()
            center_partner, location = center.partner_id, center.stock_location_id
            center.unlink()
            location.unlink()
            (partner | center_partner).unlink()
            product.unlink()
            service_type.unlink()
            cr.commit()  # pylint: disable=invalid-commit

    def test_two_workers_settle_each_order_once(self):
        barrier = threading.Barrier(2, timeout=30)
        errors = []

        def worker():
            with db_connect(self.dbname).cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                first = [True]

                def commit_batch(_count):
                    # As the cron does between batches.
                    cr.commit()  # pylint: disable=invalid-commit
                    return True

                def run():
                    Settlement = env["aftersales.settlement"]
                    Settlement.search([], limit=1)  # take the snapshot now
                    if first[0]:
                        first[0] = False
                        barrier.wait()
                    Settlement._generate_pending_lines(
                        batch_size=7, after_batch=commit_batch
                    )

                try:
                    retrying(run, env)
                except Exception as exc:  # noqa: BLE001 - reported below
                    errors.append(repr(exc))

        threads = [threading.Thread(target=worker) for _i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)

        self.assertEqual(errors, [])
        with db_connect(self.dbname).cursor() as cr:
            cr.execute(
                "SELECT order_id, COUNT(*) FROM aftersales_settlement_line "
                "WHERE order_id IN %s GROUP BY order_id",
                [tuple(self.order_ids)],
            )
            counts = dict(cr.fetchall())
            cr.execute(
                "SELECT COUNT(*) FROM aftersales_settlement WHERE center_id = %s",
                [self.center_id],
            )
            [(settlements,)] = cr.fetchall()
        self.assertEqual(len(counts), self.ORDER_COUNT, "every order settled")
        self.assertEqual(set(counts.values()), {1}, "none twice")
        self.assertEqual(settlements, 1)

"""Benchmark of settlements (issue: pay service centers through vendor bills).

Builds 200 service centers with tariffs and 10,000 completed work orders over
two months in a database where aftersales is installed, commits and ANALYZEs,
then settles them all in one run, as the cron does (batches that commit), and
prints the time and the SQL queries per center (targets: under 30 s in all;
queries per center that do not grow with the center's number of orders).

Baseline in the same run: the same 200 centers with ten times fewer orders
(1,000): the queries per center must be the same, the time about a tenth.

Run it with ``BENCH=settlement scripts/bench.sh`` (fresh database ``as_bench``).
"""

# pylint: disable=invalid-commit,print-used
# A benchmark commits its data (other transactions and ANALYZE must see it) and
# prints its figures.
import argparse
import random
import time
from datetime import datetime, timedelta

import odoo
from odoo import SUPERUSER_ID, Command, api
from odoo.modules.registry import Registry

QUIET = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}


def build_centers(env, count, tag):
    tr = env.ref("base.tr")
    service_type = env["aftersales.service.type"].create(
        {"name": f"Bench settled repair {tag}", "code": f"BSET-{tag}"}
    )
    partners = env["res.partner"].create(
        [{"name": f"Bench payee {tag} {i}", "is_company": True} for i in range(count)]
    )
    centers = env["aftersales.center"].create(
        [
            {
                "name": f"Bench settled center {tag} {i}",
                "partner_id": partners[i].id,
                "kind": "authorized" if i % 3 else "private",
                "latitude": 39.0 + (i % 10) * 0.1,
                "longitude": 32.0 + (i // 10) * 0.1,
                "service_type_ids": [Command.link(service_type.id)],
                "area_ids": [Command.create({"country_id": tr.id})],
            }
            for i in range(count)
        ]
    )
    return service_type, centers


def build_orders(env, centers, service_type, per_center, rng):
    partner = env["res.partner"].create({"name": "Bench settled customer"})
    product = env["product.product"].create(
        {"name": "Bench settled unit", "type": "consu"}
    )
    start = datetime(2026, 10, 1, 8, 0)
    vals = [
        {
            "partner_id": partner.id,
            "product_id": product.id,
            "service_type_id": service_type.id,
            "center_id": center.id,
            # Completed work, as the state machine leaves it.
            "state": "done",
            # Every center works in both months, whatever its volume.
            "date_done": start
            + timedelta(days=31 * (i % 2), minutes=rng.randrange(60 * 24 * 28)),
            "latitude": center.latitude + rng.random() * 0.5,
            "longitude": center.longitude + rng.random() * 0.5,
        }
        for center in centers
        for i in range(per_center)
    ]
    Order = env["aftersales.order"]
    for index in range(0, len(vals), 2000):
        Order.create(vals[index : index + 2000])
        env.cr.commit()
        env.invalidate_all()


def settle(env, centers):
    cr = env.cr
    Settlement = env["aftersales.settlement"]
    queries_before = cr.sql_log_count
    started = time.perf_counter()

    def commit_batch(_count):
        cr.commit()
        return True

    Settlement._generate_pending_lines(after_batch=commit_batch)
    elapsed = time.perf_counter() - started
    queries = cr.sql_log_count - queries_before
    settlements = Settlement.search([("center_id", "in", centers.ids)])
    lines = env["aftersales.settlement.line"].search_count(
        [("center_id", "in", centers.ids)]
    )
    return elapsed, queries, lines, len(settlements)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--centers", type=int, default=200)
    parser.add_argument("--orders", type=int, default=10000)
    args, odoo_args = parser.parse_known_args()
    odoo.tools.config.parse_config(odoo_args + ["-d", args.database])
    rng = random.Random(7)
    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, QUIET)
        company = env.company
        company.aftersales_settlement_period = "month"
        env["aftersales.tariff"].create(
            [
                {"name": "Bench any", "amount": 40.0},
                {
                    "name": "Bench authorized",
                    "center_kind": "authorized",
                    "amount": 55.0,
                    "travel_mode": "band",
                    "band_ids": [
                        Command.create({"km_from": 0, "km_to": 20, "amount": 5.0}),
                        Command.create({"km_from": 20, "amount": 12.0}),
                    ],
                },
            ]
        )
        per_center = args.orders // args.centers
        results = {}
        for label, orders_per_center in (
            ("baseline", max(per_center // 10, 1)),
            ("full", per_center),
        ):
            t0 = time.perf_counter()
            service_type, centers = build_centers(env, args.centers, label)
            build_orders(env, centers, service_type, orders_per_center, rng)
            cr.commit()
            cr.execute("ANALYZE")
            build = time.perf_counter() - t0
            elapsed, queries, lines, settlements = settle(env, centers)
            results[label] = (orders_per_center, elapsed, queries, lines, settlements)
            print(
                f"{label}: {args.centers} centers x {orders_per_center} orders "
                f"(built in {build:.0f} s): settled {lines} lines into "
                f"{settlements} settlements in {elapsed:.2f} s, {queries} queries "
                f"= {queries / args.centers:.1f} per center, "
                f"{1000 * elapsed / max(lines, 1):.2f} ms per order"
            )
        base, full = results["baseline"], results["full"]
        print(
            f"ratio full/baseline: orders per center x{full[0] / base[0]:.0f}, "
            f"time x{full[1] / base[1]:.1f}, "
            f"queries per center x{full[2] / base[2]:.2f}"
        )
        ok_time = full[1] < 30
        ok_queries = full[2] <= base[2] * 1.1
        print(
            f"target total < 30 s: {'met' if ok_time else 'MISSED'}; "
            f"queries per center flat: {'met' if ok_queries else 'MISSED'}"
        )
        cr.rollback()


if __name__ == "__main__":
    main()

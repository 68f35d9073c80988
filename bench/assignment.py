"""Benchmark of the assignment engine (issue: smart service assignment).

Builds 2,000 service centers (81 provinces, 5 shared calendars) and 20,000 open
work orders in a database where aftersales is installed, commits and ANALYZEs,
then prints:

1. median time and SQL queries of one ``action_assign()`` (targets: under 50 ms,
   at most 30 queries, independent of the number of centers: it is also
   measured with 200 centers, in the same run);
2. the ratio of confirming 200 sale orders of 5 service-product lines with
   automatic assignment against the same sales of products without a service
   type (target: at most 2.0).

Run it with ``scripts/bench.sh`` (fresh database ``as_bench``).
"""

# pylint: disable=invalid-commit,print-used
# A benchmark commits its data (other transactions and ANALYZE must see it) and
# prints its figures.
import argparse
import random
import statistics
import time

import odoo
from odoo import SUPERUSER_ID, Command, api
from odoo.modules.registry import Registry

# aftersales_no_auto_assign: the orders are assigned by the measured calls.
QUIET = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_notrack": True,
    "aftersales_no_auto_assign": True,
}


def build_network(env, n_centers, n_open_orders, rng):
    tr = env.ref("base.tr")
    states = env["res.country.state"].search([("country_id", "=", tr.id)])
    calendars = env["resource.calendar"].create(
        [
            {
                "name": f"Bench hours {i}",
                "tz": "Europe/Istanbul",
                "attendance_ids": [Command.clear()]
                + [
                    Command.create(
                        {
                            "name": str(d),
                            "dayofweek": str(d),
                            "hour_from": 8 + i % 2,
                            "hour_to": 18 + i % 3,
                            "day_period": "full_day",
                        }
                    )
                    for d in range(6)
                ],
            }
            for i in range(5)
        ]
    )
    types = env["aftersales.service.type"].search([])
    centers_vals = []
    for i in range(n_centers):
        state = states[i % len(states)]
        centers_vals.append(
            {
                "name": f"Bench center {i}",
                "partner_id": env["res.partner"]
                .create({"name": f"Bench center {i}"})
                .id,
                "kind": "authorized" if i % 3 else "private",
                "capacity": rng.randint(15, 40),
                "latitude": 36 + rng.random() * 6,
                "longitude": 26 + rng.random() * 18,
                "resource_calendar_id": calendars[i % 5].id,
                "service_type_ids": [
                    Command.set(types.ids if i % 4 else types[:2].ids)
                ],
                "area_ids": [
                    Command.create({"country_id": tr.id, "state_id": state.id})
                ],
            }
        )
    centers = env["aftersales.center"].create(centers_vals)
    partner = env["res.partner"].create(
        {"name": "Bench history customer", "country_id": tr.id}
    )
    product = env["product.product"].create(
        {"name": "Bench history product", "type": "consu"}
    )
    # History is loaded in bulk: only its volume matters to the engine.
    env.cr.execute(
        """
        INSERT INTO aftersales_order (
               name, company_id, state, priority, channel, partner_id, address_id,
               product_id, service_type_id, center_id, create_date, write_date,
               create_uid, write_uid, date_assigned)
        SELECT 'BENCH/' || n, %s,
               (ARRAY['assigned', 'accepted', 'on_the_way', 'in_progress'])[1 + n %% 4],
               '0', 'backend', %s, %s, %s, %s, (%s::int[])[1 + n %% %s],
               now(), now(), 1, 1, now()
          FROM generate_series(1, %s) n
        """,
        (
            env.company.id,
            partner.id,
            partner.id,
            product.id,
            types[0].id,
            centers.ids,
            len(centers),
            n_open_orders,
        ),
    )
    return centers, states, types


def new_orders(env, count, states, types, rng, product):
    tr = env.ref("base.tr")
    customers = env["res.partner"].create(
        [
            {
                "name": f"Bench customer {i}",
                "country_id": tr.id,
                "state_id": states[rng.randrange(len(states))].id,
                "city": "Bench",
            }
            for i in range(count)
        ]
    )
    return env["aftersales.order"].create(
        [
            {
                "partner_id": customer.id,
                "product_id": product.id,
                "service_type_id": types[rng.randrange(2)].id,
                "latitude": 36 + rng.random() * 6,
                "longitude": 26 + rng.random() * 18,
            }
            for customer in customers
        ]
    )


def measure_assignments(env, orders, user):
    # As a dispatcher would, with tracking and chatter on.
    orders = orders.with_env(env(user=user, context={}))
    times, queries = [], []
    for order in orders:
        env.invalidate_all()
        start_queries = env.cr.sql_log_count
        start = time.perf_counter()
        order.action_assign()
        env.flush_all()
        times.append((time.perf_counter() - start) * 1000)
        queries.append(env.cr.sql_log_count - start_queries)
        env.cr.commit()
    assigned = sum(1 for order in orders if order.state == "assigned")
    return statistics.median(times), statistics.median(queries), max(queries), assigned


def confirm_sales(env, products, count, buyers, user):
    # As a salesperson would, with tracking and chatter on.
    sales = env(user=user, context={})["sale.order"].create(
        [
            {
                "partner_id": buyers[i % len(buyers)].id,
                "order_line": [
                    Command.create({"product_id": p.id, "product_uom_qty": 1})
                    for p in products
                ],
            }
            for i in range(count)
        ]
    )
    env.cr.commit()
    start = time.perf_counter()
    for sale in sales:
        sale.action_confirm()
        env.flush_all()
    elapsed = time.perf_counter() - start
    env.cr.commit()
    return elapsed, sales


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--centers", type=int, default=2000)
    parser.add_argument("--open-orders", type=int, default=20000)
    parser.add_argument("--assignments", type=int, default=100)
    parser.add_argument("--sales", type=int, default=200)
    args, odoo_args = parser.parse_known_args()
    odoo.tools.config.parse_config(odoo_args + ["-d", args.database])
    rng = random.Random(19)
    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, QUIET)
        env.company.aftersales_auto_assign = True
        types = env["aftersales.service.type"].search([])
        product = env["product.product"].create(
            {"name": "Bench appliance", "type": "consu"}
        )
        dispatcher = env["res.users"].create(
            {
                "name": "Bench dispatcher",
                "login": "bench_dispatcher",
                "group_ids": [Command.set([env.ref("aftersales.group_dispatcher").id])],
            }
        )
        salesman = env["res.users"].create(
            {
                "name": "Bench salesman",
                "login": "bench_salesman",
                "group_ids": [
                    Command.set([env.ref("sales_team.group_sale_salesman").id])
                ],
            }
        )

        # Baseline in the same run: a network ten times smaller.
        small_centers, states, types = build_network(
            env, args.centers // 10, args.open_orders // 10, rng
        )
        cr.commit()
        cr.execute("ANALYZE")
        small = measure_assignments(
            env,
            new_orders(env, args.assignments, states, types, rng, product),
            dispatcher,
        )
        small_centers.write({"active": False})
        cr.commit()

        t0 = time.perf_counter()
        build_network(env, args.centers, args.open_orders, rng)
        cr.commit()
        cr.execute("ANALYZE")
        build_time = time.perf_counter() - t0
        full = measure_assignments(
            env,
            new_orders(env, args.assignments, states, types, rng, product),
            dispatcher,
        )

        # One buyer per province, like a national retailer's customers.
        buyers = env["res.partner"].create(
            [
                {
                    "name": f"Bench buyer {state.code}",
                    "country_id": state.country_id.id,
                    "state_id": state.id,
                }
                for state in states
            ]
        )
        plain = env["product.product"].create(
            [{"name": f"Bench plain {i}", "type": "consu"} for i in range(5)]
        )
        serviced = env["product.product"].create(
            [
                {
                    "name": f"Bench serviced {i}",
                    "type": "consu",
                    "aftersales_service_type_id": types[0].id,
                }
                for i in range(5)
            ]
        )
        confirm_sales(env, plain, 10, buyers, salesman)  # warm-up
        confirm_sales(env, serviced, 10, buyers, salesman)
        baseline, _sales = confirm_sales(env, plain, args.sales, buyers, salesman)
        with_service, sales = confirm_sales(env, serviced, args.sales, buyers, salesman)
        orders = sales.order_line.sudo().aftersales_order_ids
        assigned = len(orders.filtered(lambda o: o.state == "assigned"))

    small_n, full_n, sales_n = args.centers // 10, args.centers, args.sales
    lines = [
        f"network: {full_n} centers, {args.open_orders} open work orders "
        f"(built in {build_time:.0f} s)",
    ]
    for label, (median_ms, median_q, max_q, done) in ((small_n, small), (full_n, full)):
        lines.append(
            f"assignment with {label} centers: median {median_ms:.1f} ms, "
            f"median {median_q:.0f} queries (max {max_q}), "
            f"{done}/{args.assignments} assigned"
        )
    lines += [
        f"ratio of medians, {full_n} vs {small_n} centers: "
        f"time {full[0] / small[0]:.2f}, queries {full[1] / small[1]:.2f}",
        f"confirm {sales_n} sales x 5 lines without service type: {baseline:.1f} s "
        f"({1000 * baseline / sales_n:.0f} ms per sale)",
        f"confirm {sales_n} sales x 5 lines with service type and automatic "
        f"assignment: {with_service:.1f} s ({1000 * with_service / sales_n:.0f} ms "
        f"per sale), {len(orders)} work orders, {assigned} assigned",
        f"ratio with/without service type: {with_service / baseline:.2f} "
        "(target <= 2.0)",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()

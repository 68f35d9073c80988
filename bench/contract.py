"""Benchmark of the contract visits cron (issue 18: service contracts).

Builds, in a database where aftersales is installed (no demo), 200 service
centers over Türkiye's 81 provinces (every service type, 5 shared working
calendars open every day, room for every visit), 10,000 customers (their
provinces at random), one serial each and 10,000 running contracts covering
those serials, each with 2 plan lines (a maintenance visit every month, an
inspection every 2 weeks, from the contract's start; ``--plans``), the starts
spread over the last 11 months; commits and ANALYZEs, then:

1. runs the visits cron once as the cron does (``_cron_generate_visits()``:
   batches that commit through ``ir.cron._commit_progress``) in a fresh
   process, automatic assignment on: one month of visits (the company's 30
   days ahead) generated and assigned by the engine; prints its time, the
   peak memory of that process and its SQL queries per generated order, split
   into creation and assignment (the queries run inside the engine's entry
   points, see ``count_assignment``), and the queries of one batch
   (``--profile-batch``) grouped by table, by the addon's line that ran them
   and by statement, with their time;
2. runs it a second time (nothing left to generate: never a visit twice);
3. baseline in the same run: a sample of the orders it generated (evenly
   spread over the run, ``--baseline``) deleted in SQL and created again with
   the same values (the generator's ``_prepare_visit_order_vals``), one
   ``create()`` per order through the ORM, automatic assignment on, as the
   cron's user, flushed one by one and committed every ``--commit-every``
   orders as the cron commits its batches; its time and queries per order,
   extrapolated to the orders of the cron run, and the ratios cron / one by
   one.

Targets: peak memory under 500 MB, at most 8 queries per generated order for
the creation, the assignment within the engine's budget (at most 30 queries
per assignment, ``bench/assignment.py``).

The set-up goes through the ORM (``create`` in lists of 1,000); the contracts
are created as superuser straight in the running state (what starting them
leaves: no visit planned yet).

Run it with ``BENCH=contract scripts/bench.sh`` (fresh database
``as_bench_contract``).
"""

# pylint: disable=invalid-commit,print-used
# A benchmark commits its data (the cron runs in another process) and prints
# its figures.
import argparse
import json
import os
import random
import resource
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter, defaultdict
from datetime import timedelta

import odoo
from odoo import SUPERUSER_ID, Command, api, fields
from odoo.modules.registry import Registry

# Set-up only: no chatter on the data the benchmark builds.
QUIET = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_notrack": True,
    "aftersales_no_auto_assign": True,
}
CHUNK = 1000

# The assignment engine's entry points: the queries run inside the outermost
# of them are the assignment's, the others the creation's.
ASSIGNMENT_METHODS = (
    "_assign_new_orders",
    "_assign_gracefully",
    "_action_assign",
    "_assign_by_engine",
)


def rss_mb():
    """Resident memory of this process now, in MB."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ----------------------------------------------------------------------
# Set-up
# ----------------------------------------------------------------------


def build(env, n_centers, n_contracts, plan_rules, rng):
    company = env.company
    tr = env.ref("base.tr")
    company.write(
        {
            "aftersales_auto_assign": True,
            "country_id": tr.id,
        }
    )
    states = env["res.country.state"].search([("country_id", "=", tr.id)])
    types = env["aftersales.service.type"].search([])
    calendars = env["resource.calendar"].create(
        [
            {
                "name": f"Bench contract hours {i}",
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
                    # Open every day: every planned visit (on any weekday)
                    # finds a center, so the run measures assigned visits.
                    for d in range(7)
                ],
            }
            for i in range(5)
        ]
    )
    center_partners = env["res.partner"].create(
        [
            {
                "name": f"Bench contract center {i}",
                "country_id": tr.id,
                "state_id": states[i % len(states)].id,
            }
            for i in range(n_centers)
        ]
    )
    centers = env["aftersales.center"].create(
        [
            {
                "name": partner.name,
                "partner_id": partner.id,
                "kind": "authorized" if i % 3 else "private",
                # Room for every visit of the month: the benchmark measures
                # the cron, not a network that runs out of places.
                "capacity": 10**5,
                "latitude": 36 + rng.random() * 6,
                "longitude": 26 + rng.random() * 18,
                "resource_calendar_id": calendars[i % 5].id,
                "service_type_ids": [Command.set(types.ids)],
                "area_ids": [
                    Command.create(
                        {"country_id": tr.id, "state_id": partner.state_id.id}
                    )
                ],
            }
            for i, partner in enumerate(center_partners)
        ]
    )
    product = env["product.product"].create(
        {
            "name": "Bench contract boiler",
            "type": "consu",
            "is_storable": True,
            "tracking": "serial",
        }
    )
    maintenance = types.filtered(lambda t: t.name == "Maintenance")[:1] or types[0]
    inspection = types.filtered(lambda t: t.name == "Inspection")[:1] or types[-1]
    plans = [
        (interval, unit, (maintenance, inspection)[index % 2])
        for index, (interval, unit) in enumerate(plan_rules)
    ]
    today = fields.Date.context_today(env["aftersales.contract"])
    stamp = int(time.time())
    for first in range(0, n_contracts, CHUNK):
        count = min(CHUNK, n_contracts - first)
        customers = env["res.partner"].create(
            [
                {
                    "name": f"Bench contract customer {first + i}",
                    "country_id": tr.id,
                    "state_id": states[rng.randrange(len(states))].id,
                    "city": f"Bench town {rng.randrange(400)}",
                    "street": f"Bench street {first + i}",
                    "phone": f"+90 532 {first + i:07d}",
                    "tz": "Europe/Istanbul",
                }
                for i in range(count)
            ]
        )
        lots = env["stock.lot"].create(
            [
                {
                    "name": f"BENCH-C-{stamp}-{first + i}",
                    "product_id": product.id,
                    "company_id": company.id,
                }
                for i in range(count)
            ]
        )
        env["aftersales.contract"].create(
            [
                {
                    "partner_id": customer.id,
                    "kind": "amc",
                    "scope": "units",
                    # Started over the last 11 months: all still running.
                    "date_start": today - timedelta(days=rng.randrange(330)),
                    "state": "running",
                    "unit_ids": [Command.create({"lot_id": lot.id})],
                    "plan_ids": [
                        Command.create(
                            {
                                "name": f"Visit every {interval} {unit}",
                                "service_type_id": service_type.id,
                                "rule_type": "interval",
                                "interval": interval,
                                "interval_unit": unit,
                                "hour_from": 9.0 + 4 * index,
                                "hour_to": 12.0 + 4 * index,
                            }
                        )
                        for index, (interval, unit, service_type) in enumerate(plans)
                    ],
                }
                for customer, lot in zip(customers, lots, strict=True)
            ]
        )
        env.cr.commit()
        # Fresh statistics, as a live database has: without them the
        # planner scans every contract for each unit's overlap check.
        env.cr.execute("ANALYZE aftersales_contract, aftersales_contract_unit")
        env.invalidate_all()
    return centers


# ----------------------------------------------------------------------
# Measuring
# ----------------------------------------------------------------------


def count_assignment(registry, stats):
    """Wrap the engine's entry points on the registry's order class: the
    queries and time spent inside the outermost of them go to ``stats``."""
    Order = registry["aftersales.order"]
    depth = [0]

    def wrap(name):
        original = getattr(Order, name)

        def wrapper(self, *args, **kwargs):
            if depth[0]:
                return original(self, *args, **kwargs)
            depth[0] += 1
            start_queries = self.env.cr.sql_log_count
            start = time.perf_counter()
            try:
                return original(self, *args, **kwargs)
            finally:
                depth[0] -= 1
                stats["assign_queries"] += self.env.cr.sql_log_count - start_queries
                stats["assign_seconds"] += time.perf_counter() - start
                stats["assign_calls"] += 1

        setattr(Order, name, wrapper)

    for name in ASSIGNMENT_METHODS:
        if hasattr(Order, name):
            wrap(name)


class QueryProfile:
    """Group the queries of one cron batch by statement and by the addon's
    line that ran them (a query hook of Odoo's cursor)."""

    def __init__(self):
        self.active = False
        self.orders = self.assign = 0
        self.by_statement = Counter()
        self.by_caller = Counter()
        self.by_table = Counter()
        self.ms = Counter()

    def hook(self, cr, query, params, start, delay):
        if not self.active:
            return
        if not isinstance(query, str):
            query = query.decode() if isinstance(query, bytes) else str(query)
        text = " ".join(query.split())
        _kind, table = odoo.sql_db.categorize_query(text)
        ms = 1000 * delay
        self.by_table[f"{text.split(' ', 1)[0].upper()} {table or '-'}"] += 1
        self.by_statement[text[:150]] += 1
        self.ms[f"{text.split(' ', 1)[0].upper()} {table or '-'}"] += ms
        self.ms[text[:150]] += ms
        caller = "-"
        for frame in reversed(traceback.extract_stack(limit=40)[:-2]):
            path = frame.filename.rpartition("/aftersales/")[2]
            if path != frame.filename and not path.startswith("bench/"):
                caller = f"{path}:{frame.lineno} {frame.name}"
                break
        self.by_caller[caller] += 1
        self.ms[caller] += ms


def generate(database, odoo_args, profile_batch):
    """Run the visits cron in this process and print its figures as JSON."""
    odoo.tools.config.parse_config(odoo_args + ["-d", database])
    registry = Registry(database)
    stats = defaultdict(float)
    count_assignment(registry, stats)
    profile = QueryProfile()
    thread = threading.current_thread()
    if not hasattr(thread, "query_hooks"):
        thread.query_hooks = []
    thread.query_hooks.append(profile.hook)
    batches = []
    Cron = registry["ir.cron"]
    commit_progress = Cron._commit_progress

    rss_before = peak_rss_mb()
    load_before = os.getloadavg()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        cr.execute("SELECT count(*) FROM aftersales_order")
        [(orders_before,)] = cr.fetchall()

        def count_orders():
            cr.execute("SELECT count(*) FROM aftersales_order")
            return cr.fetchall()[0][0]

        def counted_commit_progress(self, processed=0, **kwargs):
            # Figures of the batch just done, taken before its commit.
            self.env.flush_all()
            profile.active = False
            batches.append(
                {
                    "processed": processed,
                    "queries": self.env.cr.sql_log_count,
                    "assign_queries": stats["assign_queries"],
                    "at": time.perf_counter(),
                    "rss_mb": rss_mb(),
                }
            )
            if len(batches) == profile_batch:
                profile.orders = count_orders() - profile.orders_before
                profile.assign = stats["assign_queries"] - profile.assign_before
            elif len(batches) == profile_batch - 1:
                profile.orders_before = count_orders()
                profile.assign_before = stats["assign_queries"]
                profile.active = True
            return commit_progress(self, processed, **kwargs)

        Cron._commit_progress = counted_commit_progress
        profile.orders_before, profile.assign_before = orders_before, 0
        profile.active = profile_batch == 1
        queries_before = cr.sql_log_count
        started = time.perf_counter()
        env["aftersales.contract"]._cron_generate_visits()
        env.flush_all()
        elapsed = time.perf_counter() - started
        queries = cr.sql_log_count - queries_before
        # The run had fewer batches than that: the profile ends with it.
        unfinished, profile.active = profile.active, False
        cr.commit()
        cr.execute(
            "SELECT state, count(*) FROM aftersales_order "
            "WHERE contract_plan_id IS NOT NULL GROUP BY state"
        )
        states = dict(cr.fetchall())
        cr.execute("SELECT count(*) FROM aftersales_order")
        [(orders_after,)] = cr.fetchall()
        cr.execute(
            "SELECT count(*) FROM (SELECT 1 FROM aftersales_order "
            "WHERE contract_plan_id IS NOT NULL "
            "GROUP BY contract_plan_id, contract_unit_id, planned_date "
            "HAVING count(*) > 1) twice"
        )
        [(twice,)] = cr.fetchall()
        cr.execute(
            "SELECT min(planned_date), max(planned_date) FROM aftersales_order "
            "WHERE contract_plan_id IS NOT NULL"
        )
        first_day, last_day = cr.fetchone()
    if unfinished:
        profile.orders = orders_after - profile.orders_before
        profile.assign = stats["assign_queries"] - profile.assign_before
    print(
        json.dumps(
            {
                "elapsed": elapsed,
                "queries": queries,
                "assign_queries": stats["assign_queries"],
                "assign_seconds": stats["assign_seconds"],
                "assign_calls": stats["assign_calls"],
                "orders": orders_after - orders_before,
                "states": states,
                "twice": twice,
                "first_day": str(first_day),
                "last_day": str(last_day),
                "batches": [
                    {
                        **b,
                        "queries": b["queries"] - queries_before,
                        "at": b["at"] - started,
                    }
                    for b in batches
                ],
                "load": [load_before, os.getloadavg()],
                "rss_before_mb": rss_before,
                "rss_peak_mb": peak_rss_mb(),
                "profile": {
                    "batch": profile_batch,
                    "orders": profile.orders,
                    "assign_queries": profile.assign,
                    **{
                        title: [
                            (key, n, profile.ms[key])
                            for key, n in getattr(profile, title).most_common(25)
                        ]
                        for title in ("by_table", "by_caller", "by_statement")
                    },
                },
            }
        )
    )


def run_cron(database, odoo_args, profile_batch):
    output = subprocess.run(
        [
            sys.executable,
            __file__,
            "--database",
            database,
            "--generate-only",
            "--profile-batch",
            str(profile_batch),
        ]
        + odoo_args,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def visit_values(env, count, rng):
    """Values of ``count`` generated visits, evenly spread over the run, as
    the generator made them (``_prepare_visit_order_vals``)."""
    orders = env["aftersales.order"].search(
        [("contract_plan_id", "!=", False)], order="id"
    )
    if not orders:
        return []
    step = max(len(orders) // count, 1)
    sample = orders[::step][:count]
    values = [
        order.contract_id._prepare_visit_order_vals(
            order.contract_plan_id, order.contract_unit_id, order.planned_date
        )
        for order in sample
    ]
    # Drop them (SQL: they are assigned, which the ORM refuses to delete) so
    # that the same visits can be created again.
    env.cr.execute(
        "DELETE FROM mail_message WHERE model = 'aftersales.order' "
        "AND res_id = ANY(%(ids)s);"
        "DELETE FROM mail_followers WHERE res_model = 'aftersales.order' "
        "AND res_id = ANY(%(ids)s);"
        "DELETE FROM mail_activity WHERE res_model = 'aftersales.order' "
        "AND res_id = ANY(%(ids)s);"
        "DELETE FROM aftersales_order WHERE id = ANY(%(ids)s);",
        {"ids": sample.ids},
    )
    env.cr.commit()
    env.invalidate_all()
    rng.shuffle(values)
    return values


def baseline(env, values, commit_every):
    """Create the visits one ``create()`` each, as the cron's user with
    automatic assignment on; (seconds, queries, assign queries, assigned)."""
    stats = defaultdict(float)
    count_assignment(env.registry, stats)
    Order = env["aftersales.order"]
    queries = 0
    elapsed = 0.0
    created = Order.browse()
    for index, vals in enumerate(values, 1):
        start_queries = env.cr.sql_log_count
        start = time.perf_counter()
        created |= Order.create(vals)
        env.flush_all()
        elapsed += time.perf_counter() - start
        queries += env.cr.sql_log_count - start_queries
        if index % commit_every == 0:
            env.cr.commit()
    env.cr.commit()
    assigned = len(created.filtered(lambda o: o.state == "assigned"))
    return elapsed, queries, stats["assign_queries"], assigned


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--centers", type=int, default=200)
    parser.add_argument("--contracts", type=int, default=10000)
    parser.add_argument(
        "--plans",
        default="1:months,2:weeks",
        help="the plan lines of each contract, every N units (days/weeks/months)",
    )
    parser.add_argument(
        "--baseline", type=int, default=500, help="orders created one by one"
    )
    parser.add_argument("--commit-every", type=int, default=500)
    parser.add_argument(
        "--profile-batch", type=int, default=2, help="cron batch whose queries to group"
    )
    parser.add_argument("--generate-only", action="store_true")
    args, odoo_args = parser.parse_known_args()
    if args.generate_only:
        return generate(args.database, odoo_args, args.profile_batch)
    odoo.tools.config.parse_config(odoo_args + ["-d", args.database])
    rng = random.Random(18)
    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, QUIET)
        if env["aftersales.contract"].search_count([]):
            raise SystemExit(
                f"{args.database} has contracts already: build a fresh one with "
                "BENCH=contract scripts/bench.sh"
            )
        t0 = time.perf_counter()
        plan_rules = [
            (int(n), unit) for n, unit in (p.split(":") for p in args.plans.split(","))
        ]
        build(env, args.centers, args.contracts, plan_rules, rng)
        cr.commit()
        built = time.perf_counter() - t0
        cr.execute("ANALYZE")
    print(
        f"set-up: {args.centers} centers, {args.contracts} running contracts "
        f"x 1 serial x {len(plan_rules)} plan lines (every "
        f"{' / '.join(f'{n} {unit}' for n, unit in plan_rules)}), "
        f"built in {built:.0f} s"
    )

    cron = run_cron(args.database, odoo_args, args.profile_batch)
    again = run_cron(args.database, odoo_args, 0)

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        values = visit_values(env, args.baseline, rng)
        cr.execute("ANALYZE aftersales_order")
        base_s, base_q, base_assign_q, base_assigned = baseline(
            env, values, args.commit_every
        )

    orders = cron["orders"]
    per = max(orders, 1)
    assigned = cron["states"].get("assigned", 0)
    create_q = cron["queries"] - cron["assign_queries"]
    batches = cron["batches"]
    lines = [
        f"cron run: {orders} visits ({cron['first_day']} to {cron['last_day']}) "
        f"generated in {cron['elapsed']:.1f} s ({1000 * cron['elapsed'] / per:.2f} ms "
        f"per order), {len(batches)} committed batches; {assigned} assigned "
        f"(states {cron['states']}); {cron['twice']} planned twice",
        f"  queries: {cron['queries']} ({cron['queries'] / per:.2f} per order): "
        f"creation {create_q} ({create_q / per:.2f} per order), assignment "
        f"{cron['assign_queries']:.0f} ({cron['assign_queries'] / per:.2f} per "
        f"order, {cron['assign_seconds']:.1f} s, "
        f"{cron['assign_calls']:.0f} calls)",
        f"  memory: {cron['rss_before_mb']:.0f} MB after loading Odoo, peak "
        f"{cron['rss_peak_mb']:.0f} MB; resident after the first / last batch "
        + (
            f"{batches[0]['rss_mb']:.0f} / {batches[-1]['rss_mb']:.0f} MB"
            if batches
            else "-"
        ),
        "  load average (1, 5, 15 min) at its start / end: "
        + " / ".join(", ".join(f"{v:.2f}" for v in load) for load in cron["load"]),
        f"second cron run: {again['orders']} visits in {again['elapsed']:.1f} s, "
        f"{again['queries']} queries",
    ]
    count = max(len(values), 1)
    base_ms = 1000 * base_s / count
    lines += [
        f"baseline: {len(values)} of those visits created one by one: "
        f"{base_s:.1f} s ({base_ms:.2f} ms per order), {base_q / count:.2f} "
        f"queries per order (assignment {base_assign_q / count:.2f}), "
        f"{base_assigned} assigned; extrapolated to {orders} orders: "
        f"{base_ms * orders / 1000:.0f} s",
        f"ratio cron / one by one, per order: time "
        f"{1000 * cron['elapsed'] / per / base_ms:.2f}, queries "
        f"{cron['queries'] / per / (base_q / count):.2f} (creation "
        f"{create_q / per / ((base_q - base_assign_q) / count):.2f}, assignment "
        f"{cron['assign_queries'] / per / max(base_assign_q / count, 0.01):.2f})",
    ]
    ok_memory = cron["rss_peak_mb"] < 500
    ok_create = create_q / per <= 8
    ok_assign = cron["assign_queries"] / per <= 30
    lines.append(
        f"target peak < 500 MB: {'met' if ok_memory else 'MISSED'}; creation <= 8 "
        f"queries per order: {'met' if ok_create else 'MISSED'}; assignment <= 30 "
        f"queries per order: {'met' if ok_assign else 'MISSED'}; never twice: "
        f"{'met' if not cron['twice'] and not again['orders'] else 'MISSED'}"
    )
    profile = cron["profile"]
    if profile["orders"]:
        lines.append(
            f"queries of cron batch {profile['batch']} ({profile['orders']} orders, "
            f"{profile['assign_queries']:.0f} in the assignment), per order:"
        )
        for title in ("by_table", "by_caller", "by_statement"):
            lines.append(f"  {title.replace('_', ' ')}:")
            for key, n, ms in profile[title]:
                lines.append(
                    f"    {n / profile['orders']:6.2f} queries "
                    f"{ms / profile['orders']:6.2f} ms  {key}"
                )
    print("\n".join(lines))


if __name__ == "__main__":
    main()

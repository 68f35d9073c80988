"""Benchmark of the SLA check (issue: SLA policies, alerts and metrics).

Builds 100,000 open work orders under an SLA policy in a database where
aftersales is installed, their deadlines spread over the next 100 hours (about
1% already past, 1% within the one-hour warning margin), commits and ANALYZEs,
then runs one full SLA check as the cron does (batches that commit) in a fresh
process, and prints its time, the peak memory of that process and its SQL
queries (targets: under 10 s, under 500 MB, queries that do not grow per
order).

Baseline in the same run: the same check over ten times fewer open orders
(10,000, same spread): the time and the queries follow the orders that are
due, in batches, not the open ones one by one.

Run it with ``BENCH=sla scripts/bench.sh`` (fresh database ``as_bench``).
"""

# pylint: disable=invalid-commit,print-used
# A benchmark commits its data (the check runs in another process) and
# prints its figures.
import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import datetime

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tools import SQL

# aftersales_no_auto_assign: the orders are assigned by the measured calls.
QUIET = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_notrack": True,
    "aftersales_no_auto_assign": True,
}
SPREAD_HOURS = 100


def build(env, count, tag):
    """``count`` accepted orders cloned in SQL from one made by the ORM, with
    arrival deadlines spread from 1 hour ago to 99 hours ahead."""
    company = env.company
    policy = env["aftersales.sla.policy"].create(
        {
            "name": f"Bench policy {tag}",
            "time_basis": "calendar",
            "arrival_hours": 24,
            "resolve_hours": 48,
            "warning_hours": 1,
        }
    )
    dispatcher = env.ref("base.user_admin")
    company.aftersales_dispatcher_id = dispatcher
    partner = env["res.partner"].create({"name": f"Bench SLA center {tag}"})
    center = env["aftersales.center"].create(
        {"name": f"Bench SLA center {tag}", "partner_id": partner.id, "capacity": 10**6}
    )
    # The center's staff user and the dispatcher both get each warning.
    center.user_ids = env["res.users"].create(
        {"name": f"Bench center staff {tag}", "login": f"bench-staff-{tag}"}
    )
    customer = env["res.partner"].create({"name": f"Bench SLA customer {tag}"})
    product = env["product.product"].create({"name": "Bench SLA unit", "type": "consu"})
    service_type = env["aftersales.service.type"].create(
        {"name": f"Bench SLA repair {tag}", "code": f"BSLA-{tag}"}
    )
    template = env["aftersales.order"].create(
        {
            "partner_id": customer.id,
            "product_id": product.id,
            "service_type_id": service_type.id,
            "center_id": center.id,
            "user_id": dispatcher.id,
        }
    )
    template.action_assign()
    template.action_accept()
    assert template.sla_policy_id == policy, template.sla_policy_id
    env.flush_all()
    # Raw SQL: 100,000 ORM creates would measure the ORM, not the check.
    env.cr.execute(
        SQL(
            """
            INSERT INTO aftersales_order (
                name, company_id, state, priority, channel, user_id,
                partner_id, address_id, product_id, service_type_id, center_id,
                stage_id, date_assigned, date_accepted, create_date, write_date,
                create_uid, write_uid, sla_policy_id, date_sla_start,
                sla_arrival_deadline, sla_resolve_deadline,
                sla_deadline, sla_deadline_target, date_sla_warning, sla_status,
                sla_breached)
            SELECT 'BENCH-' || %(tag)s || '-' || n, company_id, state, priority,
                   channel, user_id, partner_id, address_id, product_id,
                   service_type_id, center_id, stage_id, date_assigned,
                   date_accepted, create_date, write_date, create_uid, write_uid,
                   sla_policy_id, d - INTERVAL '24 hours', d, d + INTERVAL '24 hours',
                   d, 'arrival', d - INTERVAL '1 hour', 'on_track', false
              FROM aftersales_order t,
                   generate_series(1, %(count)s) n,
                   LATERAL (SELECT %(now)s::timestamp - INTERVAL '1 hour'
                           + (n * %(step)s) * INTERVAL '1 second' AS d) spread
             WHERE t.id = %(template)s
            """,
            tag=tag,
            # The check runs seconds later, on the real clock.
            now=datetime.utcnow().replace(microsecond=0),
            step=SPREAD_HOURS * 3600 / count,
            count=count,
            template=template.id,
        )
    )
    env.cr.execute(
        SQL(
            "UPDATE aftersales_order SET sla_deadline = NULL, date_sla_warning = NULL "
            "WHERE id = %s",
            template.id,
        )
    )
    env.cr.commit()
    env.cr.execute("ANALYZE aftersales_order")
    return center


def check(database, odoo_args):
    """Run one SLA check in this process and print its figures as JSON."""
    odoo.tools.config.parse_config(odoo_args + ["-d", database])
    registry = Registry(database)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        Order = env["aftersales.order"]

        def commit_batch(_count, remaining=None):
            cr.commit()
            return True

        queries_before = cr.sql_log_count
        started = time.perf_counter()
        Order._cron_check_sla(after_batch=commit_batch)
        elapsed = time.perf_counter() - started
        queries = cr.sql_log_count - queries_before
        cr.commit()
        cr.execute(
            "SELECT count(*) FILTER (WHERE sla_breached), "
            "count(*) FILTER (WHERE sla_status = 'at_risk') FROM aftersales_order"
        )
        breached, at_risk = cr.fetchone()
        activities = env["mail.activity"].search_count(
            [("res_model", "=", "aftersales.order")]
        )
    print(
        json.dumps(
            {
                "elapsed": elapsed,
                "queries": queries,
                "rss_before_mb": rss_before,
                "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                / 1024,
                "breached": breached,
                "at_risk": at_risk,
                "activities": activities,
            }
        )
    )


def reset(env):
    """Drop the orders and activities of the previous round."""
    env.cr.execute(
        "DELETE FROM mail_activity WHERE res_model = 'aftersales.order';"
        "DELETE FROM mail_followers WHERE res_model = 'aftersales.order';"
        "DELETE FROM mail_message WHERE model = 'aftersales.order';"
        # Another benchmark of the same run may have settled orders.
        "DELETE FROM aftersales_settlement_line;"
        "DELETE FROM aftersales_settlement;"
        "DELETE FROM aftersales_order;"
        "DELETE FROM aftersales_sla_policy;"
    )
    env.cr.commit()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--orders", type=int, default=100000)
    parser.add_argument("--check-only", action="store_true")
    args, odoo_args = parser.parse_known_args()
    if args.check_only:
        return check(args.database, odoo_args)
    odoo.tools.config.parse_config(odoo_args + ["-d", args.database])
    registry = Registry(args.database)
    results = {}
    for label, count in (("baseline", args.orders // 10), ("full", args.orders)):
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, QUIET)
            reset(env)
            t0 = time.perf_counter()
            # Unique names: a database can host several runs.
            build(env, count, f"{label}-{int(time.time())}")
            built = time.perf_counter() - t0
        output = subprocess.run(
            [sys.executable, __file__, "--database", args.database, "--check-only"]
            + odoo_args,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        figures = json.loads(output.strip().splitlines()[-1])
        results[label] = (count, figures)
        due = figures["breached"] + figures["at_risk"]
        print(
            f"{label}: {count} open orders (built in {built:.0f} s): one SLA check "
            f"in {figures['elapsed']:.2f} s, {figures['queries']} queries, "
            f"{figures['breached']} breached and {figures['at_risk']} warned "
            f"({figures['activities']} activities), "
            f"{figures['queries'] / max(due, 1):.3f} queries per order due; "
            f"process memory {figures['rss_before_mb']:.0f} MB after loading Odoo, "
            f"peak {figures['rss_peak_mb']:.0f} MB"
        )
    (base_count, base), (full_count, full) = results["baseline"], results["full"]
    print(
        f"ratio full/baseline: open orders x{full_count / base_count:.0f}, "
        f"time x{full['elapsed'] / base['elapsed']:.1f}, "
        f"queries x{full['queries'] / base['queries']:.2f}"
    )
    ok_time = full["elapsed"] < 10
    ok_memory = full["rss_peak_mb"] < 500
    ok_queries = full["queries"] / max(full["breached"] + full["at_risk"], 1) <= base[
        "queries"
    ] / max(base["breached"] + base["at_risk"], 1)
    print(
        f"target check < 10 s: {'met' if ok_time else 'MISSED'}; "
        f"peak < 500 MB: {'met' if ok_memory else 'MISSED'}; "
        f"queries not per order: {'met' if ok_queries else 'MISSED'}"
    )


if __name__ == "__main__":
    main()

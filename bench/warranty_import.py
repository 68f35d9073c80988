"""Benchmark of warranties (issue: warranty by serial number).

1. Imports 50,000 serials with their warranties from a CSV file through
   aftersales.warranty.import (check, then the cron's committed chunks) and
   prints rows per second and the process's peak memory (targets: at least
   2,000 rows/s, under 500 MB).
2. Expires 200,000 warranties, half of them ended, with the daily cron (batches
   that commit) and prints its time (target: under 20 s), against one plain SQL
   UPDATE of the same rows in the same run.

Run it with ``scripts/bench.sh`` (fresh database ``as_bench``).
"""

# pylint: disable=invalid-commit,print-used
# A benchmark commits its data (the crons commit too) and prints its figures.
import argparse
import base64
import resource
import time

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry

DUE_QUERY = """
    SELECT count(*) FROM aftersales_warranty
     WHERE state = 'active' AND date_end < CURRENT_DATE
"""
QUIET = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_import(env, rows):
    tr = env.ref("base.tr")
    env.company.country_id = tr  # national phone numbers are read as Turkish
    wtype = env["aftersales.warranty.type"].create(
        {"name": "Bench 2 years", "duration": 2}
    )
    env["product.product"].create(
        [
            {
                "name": f"Bench unit {i}",
                "default_code": f"BU{i}",
                "type": "consu",
                "is_storable": True,
                "tracking": "serial",
                "aftersales_warranty_type_id": wtype.id,
            }
            for i in range(10)
        ]
    )
    customers = env["res.partner"].create(
        [
            {"name": f"Bench owner {i}", "phone": f"+90532{i:07d}", "country_id": tr.id}
            for i in range(5000)
        ]
    )
    env.cr.commit()
    lines = ["serial,product,customer,start_date"]
    for n in range(rows):
        phone = f"0532{n % len(customers):07d}"
        lines.append(f"BW{n:08d},BU{n % 10},{phone},2026-{1 + n % 12:02d}-15")
    content = base64.b64encode("\n".join(lines).encode())
    rss_before = peak_rss_mb()

    start = time.perf_counter()
    job = env["aftersales.warranty.import"].create(
        {"name": "bench.csv", "file": content}
    )
    job.action_check()
    env.cr.commit()
    checked = time.perf_counter()
    job.action_import()
    env.cr.commit()
    env["aftersales.warranty.import"]._cron_process_imports()
    done = time.perf_counter()
    job.invalidate_recordset()
    assert job.state == "done" and job.imported_count == rows, (
        job.state,
        job.imported_count,
    )
    return {
        "check_s": checked - start,
        "import_s": done - checked,
        "total_s": done - start,
        "errors": job.error_count,
        "rss_before": rss_before,
        "rss_peak": peak_rss_mb(),
    }


def bench_expiry(env, count):
    cr = env.cr
    product = env["product.product"].create(
        {"name": "Bench expiry unit", "type": "consu", "tracking": "serial"}
    )
    partner = env["res.partner"].create({"name": "Bench expiry owner"})
    wtype = env["aftersales.warranty.type"].create(
        {"name": "Bench 1 year", "duration": 1}
    )
    # Bulk history: only its volume matters to the cron.
    cr.execute(
        """
        INSERT INTO stock_lot (name, product_id, company_id, create_uid, write_uid,
                               create_date, write_date)
        SELECT 'BX' || n, %s, %s, 1, 1, now(), now() FROM generate_series(1, %s) n
        """,
        (product.id, env.company.id, count),
    )
    cr.execute(
        """
        INSERT INTO aftersales_warranty (
               card_number, company_id, state, lot_id, product_id, partner_id,
               warranty_type_id, date_start, date_end, extension_months,
               create_uid, write_uid, create_date, write_date)
        SELECT 'BXC' || l.id, %s, 'active', l.id, l.product_id, %s, %s,
               CURRENT_DATE - 400 + (l.id %% 2) * 200,
               CURRENT_DATE - 35 + (l.id %% 2) * 200, 0, 1, 1, now(), now()
          FROM stock_lot l WHERE l.product_id = %s
        """,
        (env.company.id, partner.id, wtype.id, product.id),
    )
    cr.commit()
    cr.execute("ANALYZE")
    cr.execute(DUE_QUERY)
    [(due,)] = cr.fetchall()

    # Baseline: one SQL UPDATE of the same rows, rolled back.
    start = time.perf_counter()
    cr.execute(
        "UPDATE aftersales_warranty SET state = 'expired' "
        "WHERE state = 'active' AND date_end < CURRENT_DATE"
    )
    baseline = time.perf_counter() - start
    cr.rollback()

    start = time.perf_counter()
    env["aftersales.warranty"]._cron_expire()
    elapsed = time.perf_counter() - start
    cr.execute(DUE_QUERY)
    [(left,)] = cr.fetchall()
    assert left == 0, left
    return {"due": due, "elapsed": elapsed, "baseline": baseline}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--rows", type=int, default=50000)
    parser.add_argument("--warranties", type=int, default=200000)
    args, odoo_args = parser.parse_known_args()
    odoo.tools.config.parse_config(odoo_args + ["-d", args.database])
    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        imported = bench_import(env(context=QUIET), args.rows)
        expiry = bench_expiry(env, args.warranties)
    rate = args.rows / imported["total_s"]
    ratio = expiry["elapsed"] / expiry["baseline"]
    lines = [
        f"import {args.rows} rows: check {imported['check_s']:.1f} s, "
        f"import {imported['import_s']:.1f} s, total {imported['total_s']:.1f} s, "
        f"{imported['errors']} invalid rows",
        f"import rate: {rate:.0f} rows/s (target >= 2000)",
        f"peak memory: {imported['rss_peak']:.0f} MB for the whole process "
        f"({imported['rss_before']:.0f} MB before the import; target < 500 MB)",
        f"expiry cron: {expiry['due']} of {args.warranties} warranties expired "
        f"in {expiry['elapsed']:.1f} s (target < 20 s)",
        f"one SQL UPDATE of the same rows: {expiry['baseline']:.2f} s, "
        f"cron / UPDATE ratio {ratio:.0f}",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()

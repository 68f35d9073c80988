"""Benchmark of the customer portal and the technician app (issue 9).

Builds, in a database where aftersales is installed, a portal customer with
200 work orders and a technician with 30 open jobs, commits, then starts Odoo
with 2 workers on 127.0.0.1 and measures, under a bounded load (2 clients,
one per worker, each sending its requests one after another):

- "My service orders" (``/my/service-orders``) of that customer, and the
  technician's day list (``/my/technician/orders.json``): requests per second
  and the 50th / 95th percentile latency (target: p95 under 150 ms);
- the technician page's first load as Odoo serves it (no compression), and
  gzip-compressed as behind a reverse proxy: the page, its stylesheet and
  script and the manifest (target: under 300 KB transferred).

Baselines in the same run and under the same load: Odoo's own portal home
(``/my/home``) for the pages, and Odoo's ``/web/health`` for the floor of a
request that does nothing.

Run it with ``BENCH=portal scripts/bench.sh`` (fresh database ``as_bench``).
"""

# pylint: disable=invalid-commit,print-used
# A benchmark commits its data (the server it starts must see it) and prints
# its figures.
import argparse
import gzip
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time

import requests

import odoo
from odoo import SUPERUSER_ID, Command, api
from odoo.modules.registry import Registry

QUIET = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}
# One client per worker: busy, not queueing.
CLIENTS = 2
REQUESTS_PER_CLIENT = 100
CUSTOMER_ORDERS = 200
TECHNICIAN_JOBS = 30


def build(env):
    """The customer, the technician and their orders; returns the logins."""
    tag = str(int(time.time()))
    company = env.company
    company.aftersales_auto_assign = False
    service_type = env["aftersales.service.type"].create(
        {"name": f"Bench portal repair {tag}", "code": f"BPR-{tag}"}
    )
    product = env["product.product"].create(
        {"name": "Bench portal washer", "type": "consu"}
    )
    center_partner = env["res.partner"].create({"name": f"Bench portal center {tag}"})
    center = env["aftersales.center"].create(
        {
            "name": f"Bench portal center {tag}",
            "partner_id": center_partner.id,
            "capacity": 10**6,
            "service_type_ids": [Command.link(service_type.id)],
        }
    )
    customer_login = f"bench-customer-{tag}"
    customer = env["res.partner"].create(
        {
            "name": "Bench Portal Customer",
            "street": "Moda Caddesi 1",
            "city": "Istanbul",
        }
    )
    env["res.users"].create(
        {
            "name": customer.name,
            "login": customer_login,
            "password": customer_login,
            "partner_id": customer.id,
            "group_ids": [Command.set([env.ref("base.group_portal").id])],
        }
    )
    technician_login = f"bench-technician-{tag}"
    technician_user = env["res.users"].create(
        {
            "name": "Bench Technician",
            "login": technician_login,
            "password": technician_login,
            "group_ids": [Command.set([env.ref("aftersales.group_technician").id])],
        }
    )
    technician = env["aftersales.technician"].create(
        {
            "name": "Bench Technician",
            "center_id": center.id,
            "user_id": technician_user.id,
        }
    )
    Order = env["aftersales.order"]
    Order.create(
        [
            {
                "partner_id": customer.id,
                "product_id": product.id,
                "service_type_id": service_type.id,
                "description": f"<p>Bench request {i}</p>",
            }
            for i in range(CUSTOMER_ORDERS)
        ]
    )
    jobs = Order.create(
        [
            {
                "partner_id": customer.id,
                "product_id": product.id,
                "service_type_id": service_type.id,
                "center_id": center.id,
                "technician_id": technician.id,
            }
            for _i in range(TECHNICIAN_JOBS)
        ]
    )
    jobs.action_assign()
    jobs.action_accept()
    env.cr.commit()
    env.cr.execute("ANALYZE aftersales_order")
    return (customer_login, customer_login), (technician_login, technician_login)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def odoo_command():
    odoo_bin = os.path.join(os.path.dirname(odoo.__path__[0]), "odoo-bin")
    if os.path.exists(odoo_bin):
        return [sys.executable, odoo_bin]
    return [shutil.which("odoo")]


def start_server(database, odoo_args):
    port = free_port()
    server = subprocess.Popen(
        odoo_command()
        + odoo_args
        + [
            "-d",
            database,
            f"--db-filter=^{database}$",
            "--workers=2",
            "--max-cron-threads=0",
            "--http-interface=127.0.0.1",
            f"--http-port={port}",
            f"--gevent-port={free_port()}",
            "--log-level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _attempt in range(120):
        time.sleep(0.5)
        try:
            response = requests.get(f"{base}/web/health", timeout=2)
        except requests.RequestException:
            continue  # not listening yet
        if response.status_code == 200:
            return server, base
    server.kill()
    raise RuntimeError("Odoo did not start")


def login(base, database, credentials):
    session = requests.Session()
    response = session.post(
        f"{base}/web/session/authenticate",
        json={
            "jsonrpc": "2.0",
            "params": {
                "db": database,
                "login": credentials[0],
                "password": credentials[1],
            },
        },
        timeout=30,
    )
    response.raise_for_status()
    if not response.json().get("result", {}).get("uid"):
        raise RuntimeError(f"login failed for {credentials[0]}")
    return session.cookies.get("session_id")


def load(base, path, session_id=None):
    """(requests/s, p50 ms, p95 ms) of ``path`` under CLIENTS clients."""
    latencies, errors = [], []

    def client():
        session = requests.Session()
        if session_id:
            session.cookies.set("session_id", session_id)
        for _warmup in range(3):
            session.get(base + path, timeout=30)
        for _i in range(REQUESTS_PER_CLIENT):
            started = time.perf_counter()
            response = session.get(base + path, timeout=30)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                errors.append(response.status_code)

    threads = [threading.Thread(target=client) for _i in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{path}: {len(errors)} errors, e.g. HTTP {errors[0]}")
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    return len(latencies) / elapsed, statistics.median(latencies) * 1000, p95 * 1000


def transferred(session, url):
    """(bytes on the wire, bytes once gzip-compressed, body) of ``url``: Odoo
    itself does not compress; a reverse proxy usually does."""
    response = session.get(url, headers={"Accept-Encoding": "gzip"}, timeout=30)
    response.raise_for_status()
    wire = int(response.headers.get("Content-Length") or len(response.content))
    return wire, len(gzip.compress(response.content)), response.text


def first_load(base, session_id):
    """Everything the technician page loads the first time."""
    session = requests.Session()
    session.cookies.set("session_id", session_id)
    wire, zipped, html = transferred(session, f"{base}/my/technician")
    details = {"page": (wire, zipped)}
    assets = set(re.findall(r'(?:src|href)="(/web/assets/[^"]+)"', html))
    assets.add("/my/technician/manifest.webmanifest")
    for asset in sorted(assets):
        details[asset] = transferred(session, base + asset)[:2]
    return details


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    args, odoo_args = parser.parse_known_args()
    odoo.tools.config.parse_config(odoo_args + ["-d", args.database])
    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, QUIET)
        customer, technician = build(env)
    server, base = start_server(args.database, odoo_args)
    try:
        customer_sid = login(base, args.database, customer)
        technician_sid = login(base, args.database, technician)
        figures = {
            "health (floor)": load(base, "/web/health"),
            "/my/home (Odoo's portal home, baseline)": load(
                base, "/my/home", customer_sid
            ),
            f"/my/service-orders ({CUSTOMER_ORDERS} orders)": load(
                base, "/my/service-orders", customer_sid
            ),
            f"/my/technician/orders.json ({TECHNICIAN_JOBS} jobs)": load(
                base, "/my/technician/orders.json", technician_sid
            ),
        }
        details = first_load(base, technician_sid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"{CLIENTS} clients x {REQUESTS_PER_CLIENT} requests, Odoo with 2 workers:")
    for label, (rps, p50, p95) in figures.items():
        print(f"  {label}: {rps:.0f} req/s, p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    home_p95 = figures["/my/home (Odoo's portal home, baseline)"][2]
    orders_p95 = figures[f"/my/service-orders ({CUSTOMER_ORDERS} orders)"][2]
    day_p95 = figures[f"/my/technician/orders.json ({TECHNICIAN_JOBS} jobs)"][2]
    print(
        f"ratio p95 /my/service-orders / /my/home: x{orders_p95 / home_p95:.2f}; "
        f"day list / health: x{day_p95 / figures['health (floor)'][2]:.1f}"
    )
    size = sum(wire for wire, _zipped in details.values())
    zipped_size = sum(zipped for _wire, zipped in details.values())
    print(
        f"technician page first load: {size / 1024:.0f} KB as Odoo serves it "
        f"({zipped_size / 1024:.0f} KB behind a gzip proxy)"
    )
    for name, (wire, zipped) in details.items():
        print(f"  {name}: {wire / 1024:.1f} KB ({zipped / 1024:.1f} KB gzip)")
    ok_latency = orders_p95 < 150 and day_p95 < 150
    ok_size = size < 300 * 1024
    print(
        f"target p95 < 150 ms: {'met' if ok_latency else 'MISSED'}; "
        f"first load < 300 KB: {'met' if ok_size else 'MISSED'}"
    )


if __name__ == "__main__":
    main()

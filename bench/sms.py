"""Benchmark of two-way SMS (issue: two-way SMS through an HTTP gateway).

Sets up, in a database where aftersales is installed, a company in Türkiye whose
SMS go through an ``aftersales.sms.gateway`` pointing to a local HTTP server
started here (it answers 200 ``{"id": "<n>"}`` and counts every ``ref`` it
receives), one customer with one work order (awaiting approval, or done) per
reply to send, and 20,000 other work orders; then prints:

1. the inbound webhook's throughput and latency (p50, p95, p99) under a bounded
   load on loopback: 8 clients in a closed loop send 2,000 signed replies
   (after 50 of warm-up; half approvals, a quarter feedback, a quarter ratings)
   to Odoo started here with 2 HTTP workers (targets: at least 100 requests/s,
   p95 under 100 ms, nothing but 202: the webhook authenticates and stores a
   reply, a cron woken at once applies it), against the same load on ``/web/health``
   in the same run; then 200 more replies from one client alone (the service
   time, without queueing); with the CPU each request cost in Odoo, in
   PostgreSQL and in this process (the clients); then the time one cron worker
   takes to apply all the stored replies, and whether each did what it says;
2. the time to hand 10,000 queued SMS to the local gateway with two cron
   workers (two processes, each calling ``sms.sms._process_queue()`` until the
   queue is empty) running at once, against one worker on another 10,000 in
   the same run (target: every SMS received exactly once), with each worker's
   batches and how long both were sending at the same time.

Exits non-zero when the webhook answers anything but 202 or a reply is not applied
as expected, or when an SMS is sent twice, not sent, or left in the queue.

Run it with ``scripts/bench.sh`` (``BENCH=sms``; fresh database ``as_bench``, or
``AFTERSALES_BENCH_DB``); ``--only webhook`` or ``--only queue`` runs one part.
"""

# pylint: disable=invalid-commit,print-used
# A benchmark commits its data (the server and the queue workers must see it,
# the queue commits after each batch) and prints its figures.
import argparse
import contextlib
import hashlib
import hmac
import json
import logging
import multiprocessing
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psutil
import psycopg2
import requests

import odoo
import odoo.release
from odoo import SUPERUSER_ID, api, fields
from odoo.modules.registry import Registry

QUIET = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}
# Which reply each request of the webhook load sends, in turn.
MIX = ("approve", "approve", "feedback", "rating")
EXPECTED_OUTCOME = {"approve": "approved", "feedback": "feedback", "rating": "rated"}
APPROVE_WORDS = ("EVET", "Evet", "YES", "onay")
FEEDBACK_TEXTS = (
    "Teknisyen zamanında geldi, teşekkürler",
    "Cihaz şimdi sessiz çalışıyor",
    "Fatura ne zaman gelecek?",
)
# Conflicts a queue worker rolls back and retries, as the cron would next time.
RETRYABLE = (
    psycopg2.errors.SerializationFailure,
    psycopg2.errors.LockNotAvailable,
    psycopg2.errors.DeadlockDetected,
)


# ------------------------------------------------------------
# The local SMS gateway
# ------------------------------------------------------------


class GatewayLog:
    """What the local gateway received, shared by its handler threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.refs = Counter()
            self.total = 0

    def add(self, ref):
        with self.lock:
            self.total += 1
            self.refs[ref] += 1
            return self.total


class GatewayHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the queue uses one session per batch
    # Headers and body in one segment, sent at once: a reply in two small
    # segments waits for the client's delayed ACK (40 ms) under Nagle.
    wbufsize = -1
    disable_nagle_algorithm = True

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            ref = json.loads(body or b"{}").get("ref")
        except ValueError:
            ref = None
        reply = json.dumps({"id": str(self.server.log.add(ref))}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass


def start_gateway():
    server = ThreadingHTTPServer(("127.0.0.1", 0), GatewayHandler)
    server.daemon_threads = True
    server.log = GatewayLog()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# ------------------------------------------------------------
# Data
# ------------------------------------------------------------


def national(number):
    """+905321234567 as a Turkish customer types it: 0532 123 45 67."""
    digits = number[3:]
    return f"0{digits[:3]} {digits[3:6]} {digits[6:8]} {digits[8:]}"


def setup(env, args, gateway_url):
    """The company, its gateway, and the customers who will reply."""
    tr = env.ref("base.tr")
    company = env.company
    company.write(
        {
            "country_id": tr.id,
            "aftersales_auto_assign": False,
            "aftersales_sms_customer_approval": True,
            "aftersales_sms_customer_rating": True,
        }
    )
    gateway = env["aftersales.sms.gateway"].create(
        {
            "name": "Bench local gateway",
            "company_id": company.id,
            "url": gateway_url,
            "success_pattern": r'"id":\s*"(?P<ref>[^"]+)"',
            "inbound_secret": "bench-secret",
        }
    )
    company.aftersales_sms_gateway_id = gateway
    env["ir.config_parameter"].set_param(
        "aftersales.sms.gateway.batch.size", str(args.batch_size)
    )
    service_type = env["aftersales.service.type"].create(
        {"name": "Bench installation", "code": "B-INST", "approval_required": True}
    )
    product = env["product.product"].create({"name": "Bench boiler", "type": "consu"})
    center = env["aftersales.center"].create(
        {
            "name": "Bench center",
            "partner_id": env["res.partner"]
            .create({"name": "Bench center", "phone": "+902121234567"})
            .id,
            "kind": "authorized",
            "capacity": 10000,
            "resource_calendar_id": company.resource_calendar_id.id,
            "service_type_ids": [fields.Command.set(service_type.ids)],
        }
    )

    # One customer, with one work order, per request of the load.
    count = args.warmup + args.requests + args.solo
    kinds = [MIX[i % len(MIX)] for i in range(count)]
    customers = env["res.partner"].create(
        [
            {
                "name": f"Bench customer {i}",
                "phone": f"+90532{i:07d}",
                "country_id": tr.id,
                "city": "İstanbul",
            }
            for i in range(len(kinds))
        ]
    )
    now = fields.Datetime.now()
    order_vals = []
    for i, (kind, customer) in enumerate(zip(kinds, customers, strict=True)):
        vals = {
            "partner_id": customer.id,
            "product_id": product.id,
            "service_type_id": service_type.id,
            "center_id": center.id,
        }
        if kind == "approve":
            vals |= {
                "state": "awaiting_approval",
                "approval_code": f"{1000 + i % 9000}",
                "date_approval_requested": now,
                "approval_link_expiry": now + timedelta(hours=72),
            }
        else:
            vals |= {"state": "done", "date_done": now - timedelta(days=1)}
        order_vals.append(vals)
    orders = env["aftersales.order"].with_context(**QUIET).create(order_vals)
    missing = orders.filtered(lambda o: not o.customer_phone_e164)
    if missing:
        sys.exit(f"{len(missing)} work orders have no customer_phone_e164")

    # Other customers' history: the reply is matched among all work orders.
    history_partner = env["res.partner"].create(
        {"name": "Bench history customer", "country_id": tr.id}
    )
    env.cr.execute(
        """
        INSERT INTO aftersales_order (
               name, company_id, state, priority, channel, partner_id, address_id,
               product_id, service_type_id, center_id, customer_phone_e164,
               create_date, write_date, create_uid, write_uid, date_done)
        SELECT 'BENCH/' || n, %s, 'done', '0', 'backend', %s, %s, %s, %s, %s,
               '+90533' || lpad(n::text, 7, '0'),
               now(), now(), 1, 1, now() - interval '60 days'
          FROM generate_series(1, %s) n
        """,
        (
            company.id,
            history_partner.id,
            history_partner.id,
            product.id,
            service_type.id,
            center.id,
            args.history,
        ),
    )
    plan = []
    for i, (kind, order) in enumerate(zip(kinds, orders, strict=True)):
        number = order.customer_phone_e164
        sender = number if i % 2 else national(number)
        if kind == "approve":
            text = f"{APPROVE_WORDS[i % len(APPROVE_WORDS)]} {order.approval_code}"
        elif kind == "feedback":
            text = FEEDBACK_TEXTS[i % len(FEEDBACK_TEXTS)]
        else:
            text = f"{1 + i % 5} teşekkürler"
        plan.append((kind, sender, text))
    return gateway, orders, plan


def queue_sms(env, orders, count, real_path, tag):
    """Queue ``count`` SMS from the work orders' chatter: ``real_path`` of them
    as the addon does (``_message_sms``), the rest directly, on the messages of
    the first ones so that each SMS belongs to the company."""
    orders = orders.with_env(env)
    sms_model = env["sms.sms"]
    ids, messages = [], env["mail.message"]
    real_path = max(1, min(real_path, count))
    for n in range(real_path):
        order = orders[n % len(orders)]
        message = order._message_sms(
            f"{order.company_id.name}: {order.name} bench {tag} SMS {n}",
            partner_ids=[],
            sms_numbers=[f"+90542{tag}{n:06d}"],
            put_in_queue=True,
        )
        messages |= message
    ids += sms_model.search([("mail_message_id", "in", messages.ids)]).ids
    vals = [
        {
            "number": f"+90542{tag}{n:06d}",
            "body": f"{messages[n % len(messages)].record_name}: bench {tag} SMS {n}",
            "mail_message_id": messages[n % len(messages)].id,
        }
        for n in range(real_path, count)
    ]
    ids += sms_model.create(vals).ids
    env.cr.commit()
    return ids


# ------------------------------------------------------------
# The webhook load
# ------------------------------------------------------------


def gevent_pythonpath():
    """A folder for the server's PYTHONPATH when its gevent worker cannot start
    on this machine, else None.

    The pkg_resources of an old setuptools does not recognize the normalized
    dist-info folders of recent packages (zope_interface-8.7.dist-info for
    zope.interface): gevent fails to load its plugins, the gevent worker exits
    at start, and the prefork master starts it again about once a second, which
    costs most of a core. Aliases under the names it looks for fix the lookup.
    """
    try:
        from importlib import metadata  # pylint: disable=import-outside-toplevel

        import pkg_resources  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    folder = None
    for _attempt in range(10):
        try:
            pkg_resources.WorkingSet([folder, *sys.path] if folder else None).require(
                "gevent"
            )
            return folder
        except pkg_resources.DistributionNotFound as error:
            name = error.req.project_name
            try:
                path = getattr(metadata.distribution(name), "_path", None)
            except metadata.PackageNotFoundError:
                path = None
            if not path:
                return folder
            folder = folder or tempfile.mkdtemp(prefix="as_bench_sms_pythonpath_")
            version = metadata.version(name)
            os.symlink(path, os.path.join(folder, f"{name}-{version}.dist-info"))
        except pkg_resources.ResolutionError:
            return folder
    return folder


def odoo_command(args, odoo_args):
    root = os.path.dirname(os.path.dirname(odoo.release.__file__))
    odoo_bin = os.path.join(root, "odoo-bin")
    start = [sys.executable, odoo_bin] if os.path.exists(odoo_bin) else ["odoo"]
    return start + [
        *odoo_args,
        "-d",
        args.database,
        f"--workers={args.workers}",
        f"--http-port={args.http_port}",
        f"--gevent-port={args.http_port + 1}",
        "--http-interface=127.0.0.1",
        "--max-cron-threads=0",
    ]


def start_odoo(args, odoo_args, log_file, pythonpath=None):
    environ = dict(os.environ)
    if pythonpath:
        environ["PYTHONPATH"] = os.pathsep.join(
            filter(None, (pythonpath, environ.get("PYTHONPATH")))
        )
    process = subprocess.Popen(
        odoo_command(args, odoo_args),
        env=environ,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{args.http_port}/web/health"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"Odoo exited with {process.returncode}, see {log_file.name}")
        with contextlib.suppress(requests.RequestException):  # not listening yet
            if requests.get(url, timeout=2).status_code == 200:
                return process
        time.sleep(0.5)
    stop_odoo(process)
    sys.exit(f"Odoo did not answer on {url}, see {log_file.name}")


def stop_odoo(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # the prefork master stops its workers
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_load(items, clients, send):
    """Send ``items`` from ``clients`` threads, each in a closed loop with its
    own session; return (elapsed seconds, [(latency ms, status, outcome)])."""
    results = [None] * len(items)
    position = iter(range(len(items)))
    lock = threading.Lock()

    def client():
        with requests.Session() as session:
            while True:
                with lock:
                    index = next(position, None)
                if index is None:
                    return
                start = time.perf_counter()
                try:
                    status, outcome = send(session, items[index])
                except requests.RequestException as error:
                    status, outcome = 0, repr(error)
                results[index] = ((time.perf_counter() - start) * 1000, status, outcome)

    threads = [threading.Thread(target=client) for _i in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, results


def summarize(elapsed, results):
    latencies = sorted(r[0] for r in results)
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "count": len(results),
        "rate": len(results) / elapsed,
        "p50": statistics.median(latencies),
        "p95": cuts[94],
        "p99": cuts[98],
        "max": latencies[-1],
        "errors": sum(1 for r in results if r[1] not in (200, 202)),
    }


def cpu_snapshot(database, root_pid=None):
    """CPU seconds used so far by the processes of the Odoo server started here
    (``root_pid`` and its children), by the PostgreSQL backends connected to
    ``database``, and by this process (the clients, or the local gateway)."""
    snapshot = {"odoo": {}, "postgres": {}, "bench": time.process_time()}
    processes = []
    if root_pid:
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(root_pid)
            processes = [root, *root.children(recursive=True)]
    for process in processes:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            snapshot["odoo"][process.pid] = times.user + times.system
    for process in psutil.process_iter(["cmdline"]):
        command = " ".join(process.info["cmdline"] or ())
        if command.startswith("postgres:") and f" {database} " in command:
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                snapshot["postgres"][process.pid] = times.user + times.system
    return snapshot


def cpu_used(before, after):
    """CPU seconds between two snapshots, per kind of process."""
    used = {"bench": after["bench"] - before["bench"]}
    for kind in ("odoo", "postgres"):
        used[kind] = sum(
            seconds - before[kind].get(pid, 0.0) for pid, seconds in after[kind].items()
        )
    return used


def measure(items, clients, send, database, root_pid):
    before = cpu_snapshot(database, root_pid)
    elapsed, results = run_load(items, clients, send)
    figures = summarize(elapsed, results)
    figures["cpu"] = cpu_used(before, cpu_snapshot(database, root_pid))
    return figures, results


def webhook_sender(base_url, token, secret):
    url = f"{base_url}/aftersales/sms/inbound/{token}"

    def send(session, item):
        index, (_kind, sender, text) = item
        body = json.dumps({"from": sender, "text": text, "id": f"bench-{index}"})
        body = body.encode()
        timestamp = str(int(time.time()))
        signature = hmac.new(
            secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        response = session.post(
            url,
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-Aftersales-Timestamp": timestamp,
                "X-Aftersales-Signature": signature,
            },
            timeout=30,
        )
        if response.status_code != 202:
            return response.status_code, response.text[:200]
        return 202, response.json().get("result")

    return send


def health_sender(base_url):
    url = f"{base_url}/web/health"

    def send(session, _item):
        response = session.get(url, timeout=30)
        return response.status_code, None

    return send


def bench_webhook(args, odoo_args, token, plan):
    """Warm-up, /web/health, the webhook with ``args.clients`` clients, then
    with one client alone (service time, no queueing)."""
    base_url = f"http://127.0.0.1:{args.http_port}"
    items = list(enumerate(plan))
    warmup = items[: args.warmup]
    measured = items[args.warmup : args.warmup + args.requests]
    solo = items[args.warmup + args.requests :]
    log_file = tempfile.NamedTemporaryFile(  # noqa: SIM115 (kept for the report)
        "w", prefix="as_bench_sms_odoo_", suffix=".log", delete=False
    )
    pythonpath = gevent_pythonpath()
    process = None
    database = args.database
    try:
        process = start_odoo(args, odoo_args, log_file, pythonpath)
        webhook = webhook_sender(base_url, token, "bench-secret")
        health = health_sender(base_url)
        # Warm-up: both workers load the registry and fill their caches.
        _elapsed, warm = run_load(warmup, args.clients, webhook)
        run_load(warmup, args.clients, health)
        health_figures, _results = measure(
            measured, args.clients, health, database, process.pid
        )
        webhook_figures, loaded = measure(
            measured, args.clients, webhook, database, process.pid
        )
        solo_figures, alone = (
            measure(solo, 1, webhook, database, process.pid) if solo else (None, [])
        )
    finally:
        if process:
            stop_odoo(process)
        log_file.close()
        if pythonpath:
            shutil.rmtree(pythonpath)
    unexpected, errors = Counter(), Counter()
    solo_by_kind = {}
    for index, (ms, status, outcome) in enumerate(warm + loaded + alone):
        kind = plan[index][0]
        if status != 202 or outcome != "accepted":
            errors[f"{status} {outcome}"] += 1
        if index >= args.warmup + args.requests:
            solo_by_kind.setdefault(kind, []).append(ms)
    if not errors:
        os.unlink(log_file.name)  # kept only to explain a failure
    return {
        "health": health_figures,
        "webhook": webhook_figures,
        "solo": solo_figures,
        "solo_by_kind": {k: statistics.median(v) for k, v in solo_by_kind.items()},
        "errors": errors,
        "unexpected": unexpected,
        "log": log_file.name,
        "gevent_fixed": bool(pythonpath),
    }


# ------------------------------------------------------------
# The SMS queue
# ------------------------------------------------------------


def cron_worker(name, database, odoo_args, ready, go, results, leave):
    """One cron worker: ``_process_queue()`` until the queue is empty."""
    odoo.tools.config.parse_config(
        [*odoo_args, "-d", database, "--http-interface=127.0.0.1"]
    )
    # A worker that finds the head of the queue just sent by the other fails
    # to serialize and tries again; counted, not logged.
    logging.getLogger("odoo.sql_db").setLevel(logging.CRITICAL)
    registry = Registry(database)
    # pylint: disable=import-outside-toplevel
    from odoo.addons.aftersales.tools.sms_http_api import SmsApiAftersalesHttp

    stats = {"name": name, "batches": 0, "sms": 0, "empty": 0, "conflicts": 0}
    stats["spans"] = []
    send_batch = SmsApiAftersalesHttp._send_sms_batch

    def counted(self, messages, delivery_reports_url=False):
        # Only records which worker sent how many SMS, and when.
        stats["batches"] += 1
        stats["sms"] += sum(len(message["numbers"]) for message in messages)
        start = time.time()
        try:
            return send_batch(self, messages, delivery_reports_url=delivery_reports_url)
        finally:
            stats["spans"].append((start, time.time()))

    SmsApiAftersalesHttp._send_sms_batch = counted
    try:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            sms_model = env["sms.sms"]
            sms_model.search_count([])  # warm the caches, as a running cron is
            cr.commit()
            ready.put(name)
            go.wait()
            start, cpu_start = time.perf_counter(), time.process_time()
            while True:
                sent_before = stats["sms"]
                try:
                    sms_model._process_queue()  # commits after its batch
                except RETRYABLE:
                    cr.rollback()
                    stats["conflicts"] += 1
                    continue
                if stats["sms"] == sent_before:
                    remaining = sms_model.search_count(sms_model._get_queue_domain())
                    cr.commit()
                    if not remaining:
                        break
                    # The other worker holds the first batch of the queue.
                    stats["empty"] += 1
                    time.sleep(0.005)
            stats["elapsed"] = time.perf_counter() - start
            stats["cpu"] = time.process_time() - cpu_start
    except Exception as error:  # noqa: BLE001 (reported by the parent)
        stats["error"] = repr(error)
    results.put(stats)
    leave.wait(60)  # keep the connection until the parent read its backend's CPU


def time_in_parallel(stats):
    """Seconds during which at least two workers were sending a batch."""
    events = sorted(
        (moment, step)
        for worker in stats
        for start, end in worker.get("spans", ())
        for moment, step in ((start, 1), (end, -1))
    )
    total, active, since = 0.0, 0, None
    for moment, step in events:
        if active >= 2:
            total += moment - since
        active += step
        since = moment
    return total


def bench_queue(env, args, odoo_args, gateway_log, orders, n_workers, tag):
    """Queue ``args.sms`` SMS, send them with ``n_workers`` workers at once."""
    start = time.perf_counter()
    ids = queue_sms(env, orders, args.sms, args.real_path, tag)
    queued_in = time.perf_counter() - start
    uuids = set(env["sms.sms"].browse(ids).mapped("uuid"))
    if len(ids) != args.sms or len(uuids) != args.sms:
        sys.exit(f"queued {len(ids)} SMS with {len(uuids)} uuids, not {args.sms}")
    env.cr.commit()
    gateway_log.reset()

    spawn = multiprocessing.get_context("spawn")
    ready, results = spawn.Queue(), spawn.Queue()
    go, leave = spawn.Event(), spawn.Event()
    workers = [
        spawn.Process(
            target=cron_worker,
            args=(
                f"worker {n + 1}",
                args.database,
                odoo_args,
                ready,
                go,
                results,
                leave,
            ),
        )
        for n in range(n_workers)
    ]
    for worker in workers:
        worker.start()
    for _worker in workers:
        ready.get(timeout=300)
    before = cpu_snapshot(args.database)
    start = time.perf_counter()
    go.set()
    stats = [results.get(timeout=3600) for _worker in workers]
    elapsed = time.perf_counter() - start
    cpu = cpu_used(before, cpu_snapshot(args.database))
    leave.set()
    for worker in workers:
        worker.join()

    env.invalidate_all()
    env.cr.execute(
        """
        SELECT count(*) FILTER (WHERE state = 'outgoing'),
               count(*) FILTER (WHERE state = 'pending' AND to_delete),
               count(*) FILTER (WHERE aftersales_attempt_count <> 1)
          FROM sms_sms WHERE id = ANY(%s)
        """,
        (ids,),
    )
    outgoing, sent, retried = env.cr.fetchone()
    with gateway_log.lock:
        received = set(gateway_log.refs)
        duplicates = sum(n - 1 for n in gateway_log.refs.values() if n > 1)
        total = gateway_log.total
    cpu["odoo"] = sum(s.get("cpu", 0.0) for s in stats)
    return {
        "workers": n_workers,
        "queued_in": queued_in,
        "elapsed": elapsed,
        "rate": args.sms / elapsed,
        "cpu": cpu,
        "received": total,
        "distinct": len(received & uuids),
        "foreign": len(received - uuids),
        "duplicates": duplicates,
        "outgoing": outgoing,
        "sent": sent,
        "retried": retried,
        "parallel": time_in_parallel(stats),
        "stats": sorted(stats, key=lambda s: s["name"]),
    }


def cancel_queue(env):
    """Cancel what is queued (the rating requests the approvals sent)."""
    queued = env["sms.sms"].search([("state", "=", "outgoing")])
    queued.action_set_canceled()
    env.cr.commit()
    return len(queued)


# ------------------------------------------------------------
# Report
# ------------------------------------------------------------


def cpu_text(cpu, count, unit):
    return (
        f"CPU per {unit}: Odoo {1000 * cpu['odoo'] / count:.1f} ms, PostgreSQL "
        f"{1000 * cpu['postgres'] / count:.1f} ms, bench process "
        f"{1000 * cpu['bench'] / count:.1f} ms"
    )


def load_text(label, figures, clients):
    return (
        f"{label}: {figures['count']} requests, {clients} client(s): "
        f"{figures['rate']:.0f} requests/s, p50 {figures['p50']:.1f} ms, "
        f"p95 {figures['p95']:.1f} ms, p99 {figures['p99']:.1f} ms, "
        f"max {figures['max']:.0f} ms, {figures['errors']} errors; "
        + cpu_text(figures["cpu"], figures["count"], "request")
    )


def apply_replies(env, plan):
    """Apply the stored replies as the woken cron does (one worker, committed
    batches of 100); time it and check each reply did what it says."""
    Inbound = env["aftersales.sms.inbound"]
    pending = Inbound.search_count([("outcome", "=", False)])

    def commit(_processed, remaining=None):
        env.cr.commit()
        return True

    start = time.perf_counter()
    Inbound._process_pending(100, commit)
    elapsed = time.perf_counter() - start
    env.invalidate_all()
    outcomes = dict(
        Inbound.search_fetch(
            [("provider_ref", "=like", "bench-%")], ["provider_ref", "outcome"]
        ).mapped(lambda r: (r.provider_ref, r.outcome))
    )
    unexpected = Counter()
    for index, (kind, _sender, _text) in enumerate(plan):
        outcome = outcomes.get(f"bench-{index}")
        if outcome != EXPECTED_OUTCOME[kind]:
            unexpected[f"{kind} -> {outcome}"] += 1
    return {
        "unexpected": unexpected,
        "applied": pending,
        "apply_seconds": elapsed,
    }


def webhook_report(args, plan, result, approved, cancelled):
    """(lines, table rows, no error) of the webhook part."""
    health, webhook, solo = result["health"], result["webhook"], result["solo"]
    errors, unexpected = result["errors"], result["unexpected"]
    n_approvals = sum(1 for kind, _s, _t in plan if kind == "approve")
    ok = not errors and not unexpected and approved == n_approvals
    lines = [
        f"Odoo: {' '.join(odoo_command(args, [])[2:])}"
        + (
            " (gevent worker started with dist-info aliases, see gevent_pythonpath)"
            if result["gevent_fixed"]
            else ""
        ),
        load_text("/web/health (baseline)", health, args.clients),
        load_text("inbound webhook", webhook, args.clients),
        f"ratio webhook / health: throughput {webhook['rate'] / health['rate']:.2f}, "
        f"p95 {webhook['p95'] / health['p95']:.1f}",
    ]
    if solo:
        lines.append(load_text("inbound webhook, one client alone", solo, 1))
        lines.append(
            "  median alone per reply: "
            + ", ".join(
                f"{kind} {ms:.1f} ms" for kind, ms in result["solo_by_kind"].items()
            )
        )
    lines.append(
        f"replies applied after the load by one cron worker: {result['applied']} in "
        f"{result['apply_seconds']:.1f} s "
        f"({result['applied'] / result['apply_seconds']:.0f} replies/s)"
    )
    lines.append(
        f"replies read as expected: {len(plan) - sum(unexpected.values())}/"
        f"{len(plan)} ({args.warmup} of warm-up); work orders approved by SMS: "
        f"{approved}/{n_approvals}; rating requests they queued (cancelled before "
        f"the queue test): {cancelled}"
    )
    if errors or unexpected:
        lines.append(f"  errors: {dict(errors)}; unexpected: {dict(unexpected)}")
        lines.append(f"  server log: {result['log']}")
    rows = [
        (
            "webhook throughput",
            f"{webhook['rate']:.0f} requests/s",
            ">= 100",
            webhook["rate"] >= 100,
        ),
        (
            "webhook p95 latency",
            f"{webhook['p95']:.1f} ms",
            "< 100 ms",
            webhook["p95"] < 100,
        ),
        ("webhook answers other than 202", str(sum(errors.values())), "0", ok),
    ]
    return lines, rows, ok


def queue_lines(result, args):
    lines = [
        f"{result['workers']} worker(s): {args.sms} SMS handed to the gateway in "
        f"{result['elapsed']:.1f} s ({result['rate']:.0f} SMS/s; queued in "
        f"{result['queued_in']:.1f} s, {args.real_path} through _message_sms); "
        f"gateway received {result['received']} requests, {result['distinct']} "
        f"distinct SMS, {result['duplicates']} duplicates, {result['foreign']} "
        f"foreign; two workers sending at once during {result['parallel']:.1f} s; "
        f"database: {result['outgoing']} left outgoing, {result['sent']} sent, "
        f"{result['retried']} with more than one attempt; "
        + cpu_text(result["cpu"], args.sms, "SMS")
    ]
    for stats in result["stats"]:
        if "error" in stats:
            lines.append(f"  {stats['name']}: FAILED {stats['error']}")
            continue
        lines.append(
            f"  {stats['name']}: {stats['batches']} batches, {stats['sms']} SMS, "
            f"{stats['empty']} passes finding the head of the queue locked, "
            f"{stats['conflicts']} serialization failures, "
            f"{stats['elapsed']:.1f} s, CPU {stats['cpu']:.1f} s"
        )
    return lines


def queue_ok(result, args):
    return (
        result["received"] == args.sms
        and result["distinct"] == args.sms
        and not result["duplicates"]
        and not result["foreign"]
        and not result["outgoing"]
        and result["sent"] == args.sms
        and not any("error" in stats for stats in result["stats"])
    )


def queue_report(args, one, two):
    """(lines, table rows, no error) of the queue part."""
    lines = queue_lines(one, args) + queue_lines(two, args)
    lines.append(f"speed-up of 2 workers over 1: {one['elapsed'] / two['elapsed']:.2f}")
    rows = [
        (
            f"{args.sms} SMS, 2 workers at once",
            f"{two['elapsed']:.1f} s, {two['duplicates']} sent twice",
            "none twice, none lost",
            queue_ok(two, args),
        ),
        (
            f"{args.sms} SMS, 1 worker (baseline)",
            f"{one['elapsed']:.1f} s, {one['duplicates']} sent twice",
            "none twice, none lost",
            queue_ok(one, args),
        ),
    ]
    return lines, rows, queue_ok(one, args) and queue_ok(two, args)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--solo", type=int, default=200, help="requests, 1 client")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="Odoo HTTP workers")
    parser.add_argument("--http-port", type=int, default=8269)
    parser.add_argument("--history", type=int, default=20000)
    parser.add_argument("--sms", type=int, default=10000)
    parser.add_argument("--real-path", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument(
        "--only", choices=("webhook", "queue"), help="run one part (to investigate)"
    )
    args, odoo_args = parser.parse_known_args()
    odoo.tools.config.parse_config(
        [*odoo_args, "-d", args.database, "--http-interface=127.0.0.1"]
    )
    gateway_server = start_gateway()
    gateway_url = f"http://127.0.0.1:{gateway_server.server_address[1]}/send"
    registry = Registry(args.database)
    lines, rows, ok = [], [], True
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        start = time.perf_counter()
        gateway, orders, plan = setup(env, args, gateway_url)
        cr.commit()
        cr.execute("ANALYZE")
        cr.commit()
        lines.append(
            f"set-up: {len(plan)} customers with a work order awaiting approval or "
            f"done, {args.history} other work orders "
            f"({time.perf_counter() - start:.0f} s); gateway batch size "
            f"(aftersales.sms.gateway.batch.size) {args.batch_size}"
        )
        if args.only != "queue":
            result = bench_webhook(args, odoo_args, gateway.inbound_token, plan)
            cr.commit()  # a new snapshot: see what the server did
            env.invalidate_all()
            result |= apply_replies(env, plan)
            approved = len(
                orders.filtered(lambda o: o.state == "done" and o.approval_ids)
            )
            part = webhook_report(args, plan, result, approved, cancel_queue(env))
            lines += part[0]
            rows += part[1]
            ok = ok and part[2]
        if args.only != "webhook":
            sink = gateway_server.log
            one = bench_queue(env, args, odoo_args, sink, orders, 1, "1")
            two = bench_queue(env, args, odoo_args, sink, orders, 2, "2")
            part = queue_report(args, one, two)
            lines += part[0]
            rows += part[1]
            ok = ok and part[2]
    gateway_server.shutdown()

    lines.append("")
    width = max(len(row[0]) for row in rows)
    for label, value, target, met in rows:
        lines.append(
            f"{label:<{width}}  {value:<24} target {target:<22} "
            f"{'met' if met else 'MISSED'}"
        )
    print("\n".join(lines))
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()

"""Benchmark of the service desk intake (issue 20).

Builds, in a database where aftersales is installed, a desk team with an
e-mail alias, a public request category, a portal customer and the settings
of a run (the public form on, its minimum fill time at 0 s), commits, then:

1. **Public web form**: starts Odoo with 2 workers on 127.0.0.1 (``--proxy-mode``)
   and measures, under a bounded load (2 clients, one per worker, each sending
   its requests one after another), the GET of ``/service/request`` and the
   POST of the filled form (csrf token and signed ``challenge`` read from the
   page, honeypot ``website_url`` empty; success is ``303`` to the thanks
   page). Each submission is a new visitor: a fresh session and its own
   ``X-Forwarded-For`` address (the per-address limit answers 429 otherwise;
   Odoo's ProxyFix reads the header only with ``X-Forwarded-Host``). Target:
   p95 under 150 ms. Baselines in the same run and under the same load:
   Odoo's ``/web/health`` (the floor) and Odoo's portal home ``/my/home`` of a
   logged-in portal user.
2. **E-mail intake**: in this process, as the mail gateway (fetchmail) does,
   one ``mail.thread.message_process`` and one commit per e-mail, each from
   its own sender (``_detect_loop_sender`` drops repeated senders) to the
   team's alias: requests per second. Target: at least 20 mails/s. Baseline
   in the same run, interleaved with it: the same e-mails to an alias of
   Odoo's own ``res.partner`` (``mail.thread.message_new``: the generic record
   creation, then the same message post, followers and notifications), i.e.
   Odoo's gateway with nothing of the desk (customer lookup, routing, SLA).

Run it with ``BENCH=desk scripts/bench.sh`` (fresh database ``as_bench``).
"""

# pylint: disable=invalid-commit,print-used
# A benchmark commits its data (the server it starts must see it) and prints
# its figures.
import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import requests

import odoo
from odoo import SUPERUSER_ID, Command, api
from odoo.modules.registry import Registry

QUIET = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}
# One client per worker: busy, not queueing.
CLIENTS = 2
REQUESTS_PER_CLIENT = 100
# E-mails per side (desk and baseline), in interleaved rounds.
MAILS = 200
MAIL_ROUNDS = 4
ALIAS_DOMAIN = "bench-desk.example.com"

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CHALLENGE_RE = re.compile(r'name="challenge"[^>]*value="([^"]+)"')


def build(env, assign_method, sla=True):
    """The settings, the team with its alias, the category, the portal user;
    returns (tag, category id, portal credentials, desk alias, baseline alias)."""
    tag = str(int(time.time()))
    company = env.company
    env["ir.config_parameter"].set_param("aftersales.ticket_form_min_seconds", "0")
    domain = env["mail.alias.domain"].search([("name", "=", ALIAS_DOMAIN)], limit=1)
    if not domain:
        domain = env["mail.alias.domain"].create({"name": ALIAS_DOMAIN})
    company.write(
        {
            "alias_domain_id": domain.id,
            "aftersales_ticket_public_form": True,
            # The form's own limit stays on: each visitor has its own address.
            "aftersales_ticket_form_limit": 5,
        }
    )
    agents = env["res.users"].create(
        [
            {
                "name": f"Bench Agent {i}",
                "login": f"bench-agent-{i}-{tag}",
                "email": f"bench-agent-{i}-{tag}@example.com",
                "group_ids": [Command.set([env.ref("aftersales.group_desk_agent").id])],
            }
            for i in range(2)
        ]
    )
    team = env["aftersales.ticket.team"].create(
        {
            "name": f"Bench Desk {tag}",
            "alias_name": f"bench-desk-{tag}",
            "assign_method": assign_method,
            "member_ids": [Command.set(agents.ids)],
        }
    )
    company.aftersales_ticket_team_id = team
    category = env["aftersales.ticket.category"].create(
        {"name": f"Bench deviation {tag}", "kind": "deviation", "public": True}
    )
    # A desk SLA: the requests get their deadlines as in production (in
    # working hours, the costlier clock); --no-sla measures without any.
    Policy = env["aftersales.sla.policy"]
    Policy.search(
        ["|", ("ticket_response_hours", ">", 0), ("ticket_resolve_hours", ">", 0)]
    ).active = False
    if sla:
        Policy.create(
            {
                "name": f"Bench desk SLA {tag}",
                "time_basis": "working",
                "ticket_response_hours": 4,
                "ticket_resolve_hours": 24,
            }
        )
    baseline_alias = env["mail.alias"].create(
        {
            "alias_name": f"bench-partners-{tag}",
            "alias_model_id": env["ir.model"]._get_id("res.partner"),
            "alias_domain_id": domain.id,
            "alias_contact": "everyone",
        }
    )
    portal_login = f"bench-portal-{tag}"
    portal_partner = env["res.partner"].create(
        {"name": "Bench Portal Customer", "email": f"{portal_login}@example.com"}
    )
    env["res.users"].create(
        {
            "name": portal_partner.name,
            "login": portal_login,
            "password": portal_login,
            "partner_id": portal_partner.id,
            "group_ids": [Command.set([env.ref("base.group_portal").id])],
        }
    )
    env.cr.commit()
    return (
        tag,
        category.id,
        (portal_login, portal_login),
        team.alias_id.alias_full_name,
        baseline_alias.alias_full_name,
    )


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def odoo_command():
    odoo_bin = os.path.join(os.path.dirname(odoo.__path__[0]), "odoo-bin")
    if os.path.exists(odoo_bin):
        return [sys.executable, odoo_bin]
    return [shutil.which("odoo")]


def start_server(database, odoo_args, log):
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
            "--proxy-mode",
            "--http-interface=127.0.0.1",
            f"--http-port={port}",
            f"--gevent-port={free_port()}",
            "--log-level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=log,
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


def percentiles(latencies):
    latencies = sorted(latencies)
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    return statistics.median(latencies) * 1000, p95 * 1000


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
    return (len(latencies) / elapsed, *percentiles(latencies))


def visitor_headers(client, index):
    """A visitor of its own: its address, as a reverse proxy reports it."""
    return {
        "X-Forwarded-For": f"10.{client + 1}.{index // 250}.{index % 250 + 1}",
        "X-Forwarded-Host": "127.0.0.1",
        "X-Forwarded-Proto": "http",
    }


def submit_form(base, tag, category_id, client, index):
    """(GET seconds, POST seconds) of one visitor filling in the form."""
    session = requests.Session()
    headers = visitor_headers(client, index)
    started = time.perf_counter()
    page = session.get(f"{base}/service/request", headers=headers, timeout=30)
    got = time.perf_counter() - started
    if page.status_code != 200:
        raise RuntimeError(f"GET /service/request: HTTP {page.status_code}")
    csrf, challenge = CSRF_RE.search(page.text), CHALLENGE_RE.search(page.text)
    if not csrf or not challenge:
        raise RuntimeError("the form has no csrf_token or challenge input")
    number = f"{client}{index:04d}"
    fields = {
        "csrf_token": csrf.group(1),
        "challenge": challenge.group(1),
        "website_url": "",
        "name": f"Bench Visitor {number}",
        "email": f"visitor-{tag}-{number}@example.com",
        "phone": f"+90530{client + 1}{index:06d}",
        "category_id": str(category_id),
        "subject": f"Water under the machine {number}",
        "description": "Water under the washing machine after each wash.\n"
        "It started last week, the floor is wet every morning.",
        "product_id": "",
        "serial": "",
    }
    started = time.perf_counter()
    # As a browser sends it: multipart (the form takes files), no file chosen.
    response = session.post(
        f"{base}/service/request",
        files={
            **{key: (None, value) for key, value in fields.items()},
            "attachments": ("", b"", "application/octet-stream"),
        },
        headers=headers,
        allow_redirects=False,
        timeout=30,
    )
    posted = time.perf_counter() - started
    if response.status_code != 303 or "/service/request/thanks" not in (
        response.headers.get("Location") or ""
    ):
        raise FormRefused(response.status_code, got, posted)
    return got, posted


class FormRefused(Exception):
    """A post not answered 303 (status, GET seconds, POST seconds)."""


def load_form(base, tag, category_id):
    """GET and POST figures of the public form under CLIENTS clients."""
    gets, posts, errors, refused = [], [], [], []

    def client(number):
        for index in range(-3, REQUESTS_PER_CLIENT):  # 3 warm-up visitors
            try:
                got, posted = submit_form(base, tag, category_id, number, index + 3)
            except FormRefused as error:
                # Counted and timed (a refusal is an answer), not a success.
                refused.append(error.args[0])
                got, posted = error.args[1:]
            except RuntimeError as error:
                errors.append(str(error))
                return
            if index >= 0:
                gets.append(got)
                posts.append(posted)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"public form: {errors[0]}")
    if refused:
        print(
            f"WARNING: {len(refused)} posts not answered 303, "
            f"e.g. HTTP {refused[0]} (the server's errors below)"
        )
    return {
        "GET /service/request (the form)": (len(gets) / elapsed, *percentiles(gets)),
        "POST /service/request (303)": (len(posts) / elapsed, *percentiles(posts)),
    }


def raw_mail(tag, side, index, to):
    message = EmailMessage()
    message["From"] = (
        f"Mail Customer {index} <{side}-{tag}-{index}@customers.example.org>"
    )
    message["To"] = to
    message["Subject"] = f"Dishwasher does not drain ({index})"
    message["Date"] = formatdate()
    message["Message-Id"] = make_msgid(domain="customers.example.org")
    message.set_content(
        "Hello,\n\nmy dishwasher DW-60 stops with water in it since Monday.\n"
        "Could you send someone?\n\nRegards"
    )
    return message.as_string()


def mail_intake(registry, tag, desk_alias, baseline_alias):
    """{side: (mails/s, p50 ms, p95 ms, queries per mail, requests made)}:
    one message_process
    and one commit per mail, the two sides interleaved in rounds."""
    sides = {"desk": desk_alias, "baseline": baseline_alias}
    timings = {side: [] for side in sides}
    queries = dict.fromkeys(sides, 0)
    per_round = MAILS // MAIL_ROUNDS
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        counts_before = (
            env["aftersales.ticket"].search_count([]),
            env["res.partner"].search_count([]),
        )
        for round_number in range(MAIL_ROUNDS):
            for side, alias in sides.items():
                for i in range(per_round):
                    index = round_number * per_round + i
                    message = raw_mail(tag, side, index, alias)
                    before = cr.sql_log_count
                    started = time.perf_counter()
                    env["mail.thread"].message_process(False, message)
                    cr.commit()
                    timings[side].append(time.perf_counter() - started)
                    queries[side] += cr.sql_log_count - before
                    env.invalidate_all()
        tickets = env["aftersales.ticket"].search_count([]) - counts_before[0]
    result = {}
    for side, latencies in timings.items():
        made = tickets if side == "desk" else None
        result[side] = (
            len(latencies) / sum(latencies),
            *percentiles(latencies),
            queries[side] / len(latencies),
            made,
        )
    return result


def report_form(figures):
    print(f"{CLIENTS} clients x {REQUESTS_PER_CLIENT} requests, 2 workers:")
    for label, (rps, p50, p95) in figures.items():
        print(f"  {label}: {rps:.0f} req/s, p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    home_p95 = figures["/my/home (Odoo's portal home, baseline)"][2]
    health_p95 = figures["health (floor)"][2]
    get_p95 = figures["GET /service/request (the form)"][2]
    post_p95 = figures["POST /service/request (303)"][2]
    print(
        f"ratio p95 to /my/home: form x{get_p95 / home_p95:.2f}, "
        f"post x{post_p95 / home_p95:.2f}; to health: form "
        f"x{get_p95 / health_p95:.1f}, post x{post_p95 / health_p95:.1f}"
    )
    ok = get_p95 < 150 and post_p95 < 150
    print(f"target public form p95 < 150 ms: {'met' if ok else 'MISSED'}")


def report_mail(intake):
    print(f"e-mail intake, {MAILS} mails per side, message_process + commit each:")
    desk_rate = intake["desk"][0]
    for side, (rate, p50, p95, queries, made) in intake.items():
        label = (
            f"desk alias ({made} requests made)"
            if side == "desk"
            else "baseline: alias of Odoo's res.partner"
        )
        print(
            f"  {label}: {rate:.1f} mails/s, p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
            f"{queries:.1f} queries per mail"
        )
    desk, baseline = intake["desk"], intake["baseline"]
    print(
        f"ratio desk / baseline: mails/s x{desk_rate / baseline[0]:.2f}, "
        f"queries per mail x{desk[3] / baseline[3]:.2f}"
    )
    if desk[4] != MAILS:
        print(f"WARNING: {desk[4]} requests for {MAILS} mails")
    ok = desk_rate >= 20
    print(f"target e-mail intake >= 20 mails/s: {'met' if ok else 'MISSED'}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument(
        "--only", choices=("form", "mail"), help="run one of the two parts"
    )
    parser.add_argument(
        "--assign",
        default="round_robin",
        choices=("round_robin", "least_loaded", "team", "manual"),
        help="the desk team's assignment (round robin by default, as shipped)",
    )
    parser.add_argument(
        "--no-sla",
        action="store_true",
        help="no SLA policy for requests (the cost of the request SLA)",
    )
    args, odoo_args = parser.parse_known_args()
    odoo.tools.config.parse_config(odoo_args + ["-d", args.database])
    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, QUIET)
        tag, category_id, portal, desk_alias, baseline_alias = build(
            env, args.assign, sla=not args.no_sla
        )
    if args.only != "mail":
        # The server's warnings and errors, shown if a request fails.
        log = tempfile.TemporaryFile("w+")
        server, base = start_server(args.database, odoo_args, log)
        try:
            portal_sid = login(base, args.database, portal)
            figures = {
                "health (floor)": load(base, "/web/health"),
                "/my/home (Odoo's portal home, baseline)": load(
                    base, "/my/home", portal_sid
                ),
                **load_form(base, tag, category_id),
            }
        except RuntimeError:
            log.seek(0)
            print(log.read()[-4000:], file=sys.stderr)
            raise
        finally:
            server.terminate()
            server.wait(timeout=30)
        log.seek(0)
        server_errors = [line for line in log if " ERROR " in line]
        for line in server_errors[:3]:
            print(f"  server: {line.strip()[:300]}")
        report_form(figures)
    if args.only != "form":
        report_mail(mail_intake(registry, tag, desk_alias, baseline_alias))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Screenshots of each role for the README, taken from the demo database.

    scripts/demo.sh                     # in another terminal: the demo on :8069
    python3 scripts/screenshots.py [--url http://localhost:8069] \
        [--out docs/screenshots]

Logs in as each demo user in headless Chromium (Playwright, with the machine's
Chromium: `pip install playwright`, no browser download), opens where that role
lands and its main screen, and writes PNG files. One set is taken in Persian
(right to left): the technician's app and the customer's portal, with the
user's language switched to fa_IR for the shot and back afterwards.
"""

import argparse
import shutil
import sys
import xmlrpc.client
from pathlib import Path

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}

# (file name, login, path or None for the landing page, viewport, language)
SHOTS = [
    ("dispatcher-landing", "dispatcher", None, DESKTOP, None),
    (
        "dispatcher-order",
        "dispatcher",
        "/odoo/action-aftersales.aftersales_order_action/{demo_order_16}",
        DESKTOP,
        None,
    ),
    ("center-landing", "center.istanbul", None, DESKTOP, None),
    ("technician-landing", "tech.ahmet", None, DESKTOP, None),
    ("technician-app", "tech.ahmet", "/my/technician", PHONE, None),
    ("manager-dashboard", "admin", None, DESKTOP, None),
    ("inspector-landing", "inspector", None, DESKTOP, None),
    ("accountant-settlements", "accountant", None, DESKTOP, None),
    ("customer-portal", "customer", "/my/service-orders", PHONE, None),
    ("dealer-desk", "dealer", "/my/dealer", DESKTOP, None),
    ("technician-app-fa", "tech.ahmet", "/my/technician", PHONE, "fa_IR"),
    ("customer-portal-fa", "customer", "/my/service-orders", PHONE, "fa_IR"),
]


def set_lang(url, db, login, lang):
    """Switch a demo user's language as the administrator (XML-RPC)."""
    common = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common")
    uid = common.authenticate(db, "admin", "admin", {})
    models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object")
    user_ids = models.execute_kw(
        db, uid, "admin", "res.users", "search", [[("login", "=", login)]]
    )
    models.execute_kw(
        db, uid, "admin", "res.users", "write", [user_ids, {"lang": lang}]
    )


def xmlid_to_id(url, db, name):
    common = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common")
    uid = common.authenticate(db, "admin", "admin", {})
    models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object")
    rows = models.execute_kw(
        db,
        uid,
        "admin",
        "ir.model.data",
        "search_read",
        [[("module", "=", "aftersales"), ("name", "=", name)]],
        {"fields": ["res_id"]},
    )
    return rows[0]["res_id"]


def settle(page):
    """Wait until the web client or the page has finished loading."""
    page.wait_for_load_state("load")
    if page.locator(".o_web_client").count():
        page.wait_for_selector(".o_main_navbar", timeout=30000)
        page.wait_for_selector(".o_action_manager > *", timeout=30000)
    page.wait_for_timeout(2500)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--db", default="aftersales_demo")
    parser.add_argument(
        "--out", default=str(Path(__file__).parent.parent / "docs" / "screenshots")
    )
    args = parser.parse_args()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sys.exit("Playwright is missing: pip install playwright")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        for name, login, path, viewport, lang in SHOTS:
            if lang:
                set_lang(args.url, args.db, login, lang)
            context = browser.new_context(
                viewport=viewport,
                is_mobile=viewport is PHONE,
                has_touch=viewport is PHONE,
                timezone_id="Europe/Istanbul",
                locale="en-US",
            )
            page = context.new_page()
            try:
                page.goto(f"{args.url}/web/login?db={args.db}")
                page.fill("input[name=login]", login)
                page.fill(
                    "input[name=password]", "admin" if login == "admin" else login
                )
                page.click("button[type=submit]")
                settle(page)
                if path:
                    if "{" in path:
                        xmlid = path[path.index("{") + 1 : path.index("}")]
                        path = path.replace(
                            f"{{{xmlid}}}", str(xmlid_to_id(args.url, args.db, xmlid))
                        )
                    page.goto(args.url + path)
                    settle(page)
                    tab = page.locator(
                        ".o_notebook .nav-link", has_text="Why This Center"
                    )
                    if tab.count():
                        tab.first.click()
                        page.wait_for_timeout(800)
                page.screenshot(path=str(out / f"{name}.png"))
                sys.stdout.write(f"{name}.png: {login} at {page.url}\n")
            finally:
                context.close()
                if lang:
                    set_lang(args.url, args.db, login, "en_US")
        browser.close()


if __name__ == "__main__":
    main()

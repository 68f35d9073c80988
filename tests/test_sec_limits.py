"""Abuse limits that stop attackers, not customers (security review F7, F9,
F11 and the observations of its section 4 on windows and code hashes).

Distinct client addresses are real: the test client binds its socket to
another loopback address (127.0.0.x), as the reviewer did.
"""

import hashlib
import math
import re
import threading
import time
import uuid
from datetime import timedelta

import requests
from requests.adapters import HTTPAdapter

from odoo import SUPERUSER_ID, api, fields, http
from odoo.exceptions import AccessError, UserError
from odoo.service.model import retrying
from odoo.sql_db import db_connect
from odoo.tests import BaseCase, HttpCase, tagged
from odoo.tests.common import HOST, get_db_name

from .test_portal import PortalCommon


class SourceAddressAdapter(HTTPAdapter):
    """Connects from a given local address, e.g. 127.0.0.42."""

    def __init__(self, address):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        return super().init_poolmanager(*args, **kwargs)


def sent_code(env, phone):
    sms = env["sms.sms"].search([("number", "=", phone)], order="id desc", limit=1)
    return re.search(r"\b(\d{6})\b", sms.body).group(1) if sms else None


def outcome(text):
    """What the server did with a code, from its answer."""
    if "not right" in text:
        return "evaluated"
    if "Too many" in text:
        return "refused"
    return "other"


class LimitsCommon(PortalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.phone = "+905301112233"
        cls.token = cls.my_lot._aftersales_ensure_qr_token()[cls.my_lot.id]

    def setUp(self):
        super().setUp()
        self.authenticate(None, None)

    def _from(self, address):
        """Send the next requests from ``address``."""
        self.opener.mount("http://", SourceAddressAdapter(address))

    def _ask_code(self, phone, token=None):
        return self._post(
            f"/aftersales/qr/{token or self.token}/code", {"phone": phone}
        )

    def _key(self, response):
        return re.search(r'name="key" value="([^"]+)"', response.text).group(1)

    def _send_request(self, key, code, token=None, **data):
        return self._post(
            f"/aftersales/qr/{token or self.token}/request",
            {
                "key": key,
                "code": code,
                "service_type_id": str(self.type_repair.id),
                "description": "Noisy drum.",
                **data,
            },
        )


@tagged("post_install", "-at_install")
class TestQrCodeQuotas(LimitsCommon):
    """F7.2 and F11: who may have codes sent, how many, and where."""

    def test_strangers_cannot_spend_the_owners_codes(self):
        for index in range(6):
            self._from(f"127.0.0.{41 + index}")
            self._ask_code(f"+90532000000{index}")
        self._from("127.0.0.50")
        owner = self._ask_code("+90 530 111 22 33")
        self.assertEqual(owner.status_code, 200, owner.text[:300])
        self.assertTrue(sent_code(self.env, "+905301112233"))

    def test_invalid_numbers_do_not_spend_the_units_codes(self):
        for index in range(6):
            self._from(f"127.0.0.{41 + index}")
            self.assertEqual(self._ask_code("hello").status_code, 400)
        self._from("127.0.0.50")
        stranger = self._ask_code("+90 532 000 00 07")
        self.assertEqual(stranger.status_code, 200, stranger.text[:300])

    def test_strangers_are_still_bounded_per_unit_and_number(self):
        statuses = []
        for index in range(7):
            self._from(f"127.0.0.{41 + index}")
            statuses.append(self._ask_code(f"+90532000001{index}").status_code)
        self.assertEqual(statuses.count(200), 5, statuses)
        self.assertEqual(statuses[-1], 429)
        # One number on one unit: a few codes, whatever the address.
        statuses = []
        for index in range(5):
            self._from(f"127.0.0.{61 + index}")
            statuses.append(self._ask_code("+90 530 111 22 33").status_code)
        self.assertEqual(statuses, [200, 200, 200, 429, 429])

    def test_premium_and_satellite_numbers_get_no_sms(self):
        # The company serves Great Britain too (a center covers it): the
        # premium number is refused for its type, not for its country.
        self.center_a1.area_ids = [
            (0, 0, {"country_id": self.env.ref("base.uk").id}),
        ]
        Sms = self.env["sms.sms"]
        before = Sms.search_count([])
        for number in ("+44 909 879 0879", "+8816 1234 5678", "+90 212 555 12 34"):
            response = self._ask_code(number)
            self.assertEqual(response.status_code, 400, number)
            self.assertIn("mobile number", response.text)
        # A number of a country the company does not serve.
        response = self._ask_code("+1 202 555 0143")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(Sms.search_count([]), before)
        # A British mobile number is fine.
        self.assertEqual(self._ask_code("+44 7400 123456").status_code, 200)
        self.assertEqual(Sms.search_count([]), before + 1)

    def test_daily_cap_per_company(self):
        self.company.aftersales_qr_codes_per_day = 3
        Sms = self.env["sms.sms"]
        before = Sms.search_count([])
        for index in range(3):
            self._from(f"127.0.0.{41 + index}")
            self.assertEqual(self._ask_code(f"+90532000002{index}").status_code, 200)
        self._from("127.0.0.50")
        refused = self._ask_code("+90 530 111 22 33")
        self.assertEqual(refused.status_code, 429)
        self.assertIn("Too many codes", refused.text)
        self.assertEqual(Sms.search_count([]), before + 3)
        # Another company's units are not affected.
        self.assertEqual(self.company_b.aftersales_qr_codes_per_day, 200)

    def test_daily_cap_per_number(self):
        lots = self.env["stock.lot"].create(
            [
                {"name": f"TPW-CAP-{index}", "product_id": self.portal_product.id}
                for index in range(4)
            ]
        )
        tokens = lots._aftersales_ensure_qr_token()
        statuses = []
        for index, lot in enumerate(lots):
            for attempt in range(2):
                self._from(f"127.0.0.{41 + 2 * index + attempt}")
                response = self._ask_code("+90 532 000 00 99", tokens[lot.id])
                statuses.append(response.status_code)
        self.assertEqual(statuses, [200] * 6 + [429] * 2)

    def test_settings_show_the_daily_cap(self):
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.aftersales_qr_codes_per_day, 200)
        settings.aftersales_qr_codes_per_day = 50
        settings.execute()
        self.assertEqual(self.company.aftersales_qr_codes_per_day, 50)


@tagged("post_install", "-at_install")
class TestAddressLimitsLetTokenHoldersIn(LimitsCommon):
    """F7.3: failures of others on the same address do not lock out a
    holder of a valid token; the failures themselves stay bounded."""

    def test_unknown_qr_tokens_then_a_valid_sticker(self):
        self._from("127.0.0.180")
        statuses = [
            self.url_open(f"/aftersales/qr/unknown-{index}").status_code
            for index in range(21)
        ]
        self.assertEqual(statuses[:20], [404] * 20)
        self.assertEqual(statuses[20], 429)
        self.assertEqual(self.url_open(f"/aftersales/qr/{self.token}").status_code, 200)
        self.assertEqual(self._ask_code("+90 530 111 22 33").status_code, 200)
        self.assertEqual(self.url_open("/aftersales/qr/unknown-x").status_code, 429)

    def test_wrong_approval_tokens_then_the_customers_link(self):
        token = self.awaiting._portal_ensure_token()
        url = f"/aftersales/approval/{self.awaiting.id}"
        self._from("127.0.0.60")
        statuses = [
            self.url_open(f"{url}?access_token=wrong-{index}").status_code
            for index in range(21)
        ]
        self.assertEqual(statuses[20], 429)
        page = self.url_open(f"{url}?access_token={token}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.awaiting.name, page.text)
        self.assertEqual(self.url_open(f"{url}?access_token=wrong").status_code, 429)

    def test_wrong_codes_count_per_address(self):
        self._from("127.0.0.90")
        Verification = self.env["aftersales.qr.verification"]
        guesses = []
        for index in range(5):
            self._from(f"127.0.0.{91 + index}")
            key = self._key(self._ask_code(f"+90532000003{index}"))
            self._from("127.0.0.90")
            for _guess in range(4):
                response = self._send_request(key, "000000")
                guesses.append(response.status_code)
        # 15 wrong codes evaluated from one address, then refused unseen.
        self.assertEqual(guesses.count(400), 15, guesses)
        self.assertEqual(guesses[15:], [429] * 5)
        last = Verification.search([("key", "=", key)])
        self.assertEqual(last.attempts, 0)
        # The code's owner, elsewhere, still can use it.
        self._from("127.0.0.99")
        code = sent_code(self.env, "+905320000034")
        response = self._send_request(key, code, name="Walk-in")
        self.assertEqual(response.status_code, 200, response.text[-800:])

    def test_ipv6_clients_are_limited_per_network(self):
        from ..controllers.common import limit_address  # noqa: PLC0415 - new

        self.assertEqual(limit_address("203.0.113.7"), "203.0.113.7")
        self.assertEqual(
            limit_address("2001:db8:1:2:aaaa::1"), limit_address("2001:db8:1:2::ffff")
        )
        self.assertNotEqual(
            limit_address("2001:db8:1:2::1"), limit_address("2001:db8:1:3::1")
        )
        self.assertEqual(limit_address(None), "unknown")


@tagged("post_install", "-at_install")
class TestCodeSecrets(LimitsCommon):
    """Section 4: the code hash cannot be reversed offline, nor read."""

    def test_code_hash_is_keyed_and_hidden(self):
        key = self._key(self._ask_code("+90 530 111 22 33"))
        code = sent_code(self.env, "+905301112233")
        verification = self.env["aftersales.qr.verification"].search(
            [("key", "=", key)]
        )
        plain = hashlib.sha256(f"{key}:{code}".encode()).hexdigest()
        self.assertNotEqual(verification.code_hash, plain)
        manager_env = verification.with_user(self.user_manager)
        with self.assertRaises(AccessError):
            manager_env.read(["code_hash"])
        with self.assertRaises(AccessError):
            manager_env.read(["key"])
        self.assertTrue(manager_env.read(["phone", "attempts"]))


@tagged("post_install", "-at_install")
class TestWindows(LimitsCommon):
    """Section 4: a burst across a window's boundary cannot double a limit."""

    def test_previous_window_still_counts(self):
        RateLimit = self.env["aftersales.rate.limit"]
        window = 3600
        key = f"test-sliding-{uuid.uuid4().hex}"
        previous = RateLimit._window_start(window) - timedelta(seconds=window)
        self.env.cr.execute(
            "INSERT INTO aftersales_rate_limit (key, window_start, hits) "
            "VALUES (%s, %s, 10)",
            (key, previous),
        )
        elapsed = time.time() % window
        expected = math.ceil(10 * (1 - elapsed / window))
        self.assertIn(RateLimit._count(key, window), (expected, expected - 1))
        self.assertIn(RateLimit._hit(key, window), (expected + 1, expected))


class CommittedQrData:
    """A unit and a verification committed for real concurrent transactions,
    removed after."""

    CODE = "424242"

    @classmethod
    def _cursor(cls):
        return db_connect(cls.dbname).cursor()

    @classmethod
    def _create_data(cls):
        cls.dbname = get_db_name()
        cls.tag = uuid.uuid4().hex[:8]
        with cls._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            product = env["product.product"].create(
                {"name": f"Race unit {cls.tag}", "type": "consu", "tracking": "serial"}
            )
            lot = env["stock.lot"].create(
                {"name": f"RACE-{cls.tag}", "product_id": product.id}
            )
            cls.qr_token = lot._aftersales_ensure_qr_token()[lot.id]
            Verification = env["aftersales.qr.verification"]
            key = f"race-{cls.tag}"
            verification = Verification.create(
                {
                    "lot_id": lot.id,
                    "phone": "+905320009999",
                    "key": key,
                    "code_hash": Verification._hash_code(key, cls.CODE),
                    "expires_at": fields.Datetime.now() + timedelta(minutes=15),
                }
            )
            cls.key, cls.verification_id = key, verification.id
            cls.product_id, cls.lot_id = product.id, lot.id
            cr.execute("SELECT max(id) FROM aftersales_rate_limit")
            cls.last_limit_id = cr.fetchone()[0] or 0
            cr.commit()  # pylint: disable=invalid-commit
        cls.addClassCleanup(cls._remove_data)

    @classmethod
    def _remove_data(cls):
        with cls._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["aftersales.qr.verification"].browse(cls.verification_id).unlink()
            env["stock.lot"].browse(cls.lot_id).unlink()
            env["product.product"].browse(cls.product_id).unlink()
            cr.execute(
                "DELETE FROM aftersales_rate_limit WHERE id > %s", (cls.last_limit_id,)
            )
            cr.commit()  # pylint: disable=invalid-commit

    def _attempts(self):
        with self._cursor() as cr:
            cr.execute(
                "SELECT attempts FROM aftersales_qr_verification WHERE id = %s",
                (self.verification_id,),
            )
            return cr.fetchone()[0]


@tagged("post_install", "-at_install")
class TestParallelCodeGuesses(CommittedQrData, BaseCase):
    """F9: 20 wrong guesses at once, each in its own real transaction, as
    requests are served (retried by Odoo's own `retrying`)."""

    THREADS = 20

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_data()

    def test_at_most_five_guesses_are_evaluated(self):
        barrier = threading.Barrier(self.THREADS, timeout=30)
        results = [None] * self.THREADS

        def worker(index):
            tries = 0
            with self._cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})

                def guess():
                    nonlocal tries
                    tries += 1
                    cr.execute("SELECT 1")  # the transaction's snapshot, now
                    if tries == 1:
                        barrier.wait()
                    verification = env["aftersales.qr.verification"].browse(
                        self.verification_id
                    )
                    try:
                        return verification._check_code(f"{index:06d}")
                    except UserError as error:  # the code before the fix
                        return str(error)

                results[index] = retrying(guess, env)

        threads = [
            threading.Thread(target=worker, args=(i,)) for i in range(self.THREADS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        outcomes = [outcome(str(result)) for result in results]
        self.assertLessEqual(outcomes.count("evaluated"), 5, results)
        self.assertEqual(outcomes.count("refused"), self.THREADS - 5, results)
        self.assertEqual(self._attempts(), 5)


@tagged("post_install", "-at_install")
class TestParallelCodeGuessesOverHttp(CommittedQrData, BaseCase):
    """F9 over HTTP: 20 clients from 20 addresses post wrong codes for one
    verification at once; the server is Odoo's threaded one."""

    THREADS = 20

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_data()

    def test_at_most_five_guesses_are_evaluated(self):
        base_url = f"http://{HOST}:{HttpCase.http_port()}"
        barrier = threading.Barrier(self.THREADS, timeout=60)
        results = [None] * self.THREADS

        def worker(index):
            odoo_session = http.root.session_store.new()
            odoo_session.update(http.get_default_session(), db=self.dbname)
            odoo_session.context["lang"] = "en_US"
            http.root.session_store.save(odoo_session)
            session = requests.Session()
            session.cookies.set("session_id", odoo_session.sid)
            session.mount("http://", SourceAddressAdapter(f"127.0.0.{100 + index}"))
            try:
                page = session.get(
                    f"{base_url}/aftersales/qr/{self.qr_token}", timeout=60
                )
                csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
                barrier.wait()
                response = session.post(
                    f"{base_url}/aftersales/qr/{self.qr_token}/request",
                    data={
                        "csrf_token": csrf.group(1),
                        "key": self.key,
                        "code": f"{index:06d}",
                    },
                    timeout=120,
                )
                results[index] = (response.status_code, outcome(response.text))
            except Exception as error:  # noqa: BLE001 - reported by the test
                results[index] = (None, repr(error))

        threads = [
            threading.Thread(target=worker, args=(i,)) for i in range(self.THREADS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
        outcomes = [result[1] for result in results]
        self.assertLessEqual(outcomes.count("evaluated"), 5, results)
        self.assertEqual(outcomes.count("refused"), self.THREADS - 5, results)
        self.assertFalse([r for r in results if r[0] not in (400, 429)], results)
        self.assertEqual(self._attempts(), 5)

"""Security review F6, F7.3 (webhook) and F15: the SMS webhook signs exactly
the bytes received, and malformed input gets a 4xx (or a per-action
conflict), never a 500, without blocking a phone's queue."""

import base64
import hashlib
import hmac
import json
import os
import socket
import time
import uuid
from urllib.parse import urlencode

from odoo import http
from odoo.tests import HttpCase, tagged
from odoo.tests.common import HOST, TEST_CURSOR_COOKIE_NAME

from .common import PIXEL_PNG, AftersalesCommon, SmsCommon

SYNC_URL = "/aftersales/technician/sync"
# Run in the technician app's page: queue three actions, sync, check the queue.
QUEUE_JS = """
(async () => {
    const db = await new Promise((resolve, reject) => {
        const request = indexedDB.open("aftersales-technician");
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
    });
    const put = (value) => new Promise((resolve, reject) => {
        const tx = db.transaction("queue", "readwrite");
        tx.objectStore("queue").put(value);
        tx.oncomplete = resolve;
        tx.onerror = () => reject(tx.error);
    });
    const all = (store) => new Promise((resolve) => {
        const request = db.transaction(store).objectStore(store).getAll();
        request.onsuccess = () => resolve(request.result);
    });
    const at = new Date().toISOString();
    const seq = Date.now() * 1000;
    // Reassigned to a colleague while the phone was offline: refused whole.
    await put({seq: seq + 1, id: "poison-not-mine-0001", order_id: OTHER,
               kind: "start_travel", at, data: {}});
    await put({seq: seq + 2, id: "malformed-photo-0001", order_id: ORDER,
               kind: "photo", at, data: {name: "x.png", content: PNG,
               kind: "evil"}});
    await put({seq: seq + 3, id: "good-travel-00000001", order_id: ORDER,
               kind: "start_travel", at, data: {}});
    await window.aftersalesTechnicianApp.flush();
    const queued = await all("queue");
    const status = document.querySelector(".o_as_sync_status").textContent;
    if (queued.length) {
        throw new Error(`still queued: ${queued.map((a) => a.id)} (${status})`);
    }
    const parked = await all("parked");
    if (parked.length !== 1 || parked[0].id !== "poison-not-mine-0001") {
        throw new Error(`parked: ${JSON.stringify(parked)}`);
    }
    if (!parked[0].reason || !status.includes("2 not applied")) {
        throw new Error(`status: ${status}, reason: ${parked[0].reason}`);
    }
    console.log("test successful");
})().catch((error) => console.error(error.message));
"""


class RawHttpMixin:
    """A request written on the socket: what `requests` cannot send (a length
    announced and never sent)."""

    def _raw_request(self, path, headers, body=b"", timeout=5, cookies=None):
        """(status, body) of a raw HTTP/1.1 POST; raises TimeoutError when the
        server waits for more body instead of answering."""
        self.cr.flush()
        self.cr.clear()
        with self.allow_requests():
            lines = [
                f"POST {path} HTTP/1.1",
                f"Host: {HOST}:{self.http_port()}",
                "Cookie: "
                + "; ".join(
                    f"{key}={value}"
                    for key, value in {
                        TEST_CURSOR_COOKIE_NAME: self.http_request_key,
                        **(cookies or {}),
                    }.items()
                ),
                "Connection: close",
                *(f"{key}: {value}" for key, value in headers.items()),
            ]
            request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
            with socket.create_connection((HOST, self.http_port()), timeout) as sock:
                sock.sendall(request)
                answer = b""
                while b"\r\n\r\n" not in answer:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    answer += chunk
                head, _sep, rest = answer.partition(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":", 1)[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                while len(rest) < length:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    rest += chunk
        return int(head.split(b" ")[1]), rest


@tagged("post_install", "-at_install")
class TestSecWebhook(RawHttpMixin, SmsCommon, HttpCase):
    """F6 and F7.3: the webhook over real HTTP."""

    def _url(self):
        return f"/aftersales/sms/inbound/{self.gateway.inbound_token}"

    def _sign(self, timestamp, body, secret=None):
        return hmac.new(
            (secret or self.gateway.sudo().inbound_secret).encode(),
            f"{timestamp}.".encode() + body,
            hashlib.sha256,
        ).hexdigest()

    def _form(self, fields, timestamp=None, signed_body=None, secret=None):
        """(body, headers) of a form-encoded provider request signed as the
        README documents: HMAC-SHA256 over "<ts>.<raw body>"."""
        body = urlencode(fields).encode()
        timestamp = int(time.time()) if timestamp is None else timestamp
        return body, {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Aftersales-Timestamp": str(timestamp),
            "X-Aftersales-Signature": self._sign(
                timestamp, body if signed_body is None else signed_body, secret
            ),
        }

    def _post_raw(self, body, headers):
        return self.url_open(self._url(), data=body, headers=headers)

    def _stored(self):
        return self.env["aftersales.sms.inbound"].search([])

    def test_json_signed_is_accepted(self):
        body, headers = self._signed({"from": self.CUSTOMER_PHONE, "text": "Hello"})
        response = self._post_raw(body, headers)
        self.assertEqual(response.status_code, 202, response.text)

    def test_form_signed_over_the_raw_body_decides_the_order(self):
        order = self._awaiting_order()
        body, headers = self._form(
            {
                "from": self.CUSTOMER_PHONE,
                "text": f"evet {order.approval_code}",
                "id": "f-1",
            }
        )
        response = self._post_raw(body, headers)
        self.assertEqual(response.status_code, 202, response.text)
        inbound = self.env["aftersales.sms.inbound"].browse(response.json()["id"])
        self.assertEqual(
            (inbound.sender, inbound.body, inbound.provider_ref),
            (self.CUSTOMER_PHONE, f"evet {order.approval_code}", "f-1"),
        )
        self.env["aftersales.sms.inbound"]._process_pending()
        self.assertEqual(inbound.outcome, "approved")
        self.assertEqual(order.state, "done")

    def test_form_signed_over_the_empty_body_is_refused(self):
        order = self._awaiting_order()
        body, headers = self._form(
            {"from": self.CUSTOMER_PHONE, "text": "forged text", "id": "f-2"},
            signed_body=b"",
        )
        response = self._post_raw(body, headers)
        self.assertEqual(response.status_code, 403, response.text)
        self.assertEqual(response.json()["error"], "bad_signature")
        self.assertFalse(self._stored())
        self.assertEqual(order.state, "awaiting_approval")

    def test_oversized_body_is_refused_before_it_is_read(self):
        # 2 MB announced, a few bytes sent: a server that reads the body
        # before refusing it waits here (TimeoutError) instead of answering.
        timestamp = int(time.time())
        status, answer = self._raw_request(
            self._url(),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Content-Length": str(2 * 1024 * 1024),
                "X-Aftersales-Timestamp": str(timestamp),
                "X-Aftersales-Signature": self._sign(timestamp, b""),
            },
            b"from=%2B905301112233&text=",
        )
        self.assertEqual(status, 413, answer)
        self.assertEqual(json.loads(answer)["error"], "too_large")
        # The whole 2 MB sent, signed over the empty body as in the report.
        big, headers = self._form(
            {"from": self.CUSTOMER_PHONE, "text": "x" * 2_000_000}, signed_body=b""
        )
        response = self._post_raw(big, headers)
        self.assertEqual(response.status_code, 413, response.text[:200])
        self.assertFalse(self._stored())

    def test_a_body_without_length_is_refused(self):
        body, headers = self._signed({"from": self.CUSTOMER_PHONE, "text": "Hi"})
        # A generator body: requests sends it chunked, without Content-Length.
        response = self.url_open(self._url(), data=iter([body]), headers=headers)
        self.assertEqual(response.status_code, 411, response.text)
        self.assertFalse(self._stored())

    def test_two_messages_in_the_same_second_are_both_accepted(self):
        timestamp = int(time.time())
        for fields in (
            {"from": self.CUSTOMER_PHONE, "text": "first"},
            {"from": self.CUSTOMER_PHONE, "text": "second"},
        ):
            response = self._post_raw(*self._form(fields, timestamp=timestamp))
            self.assertEqual(response.status_code, 202, response.text)
        for text in ("third", "fourth"):
            body, headers = self._signed(
                {"from": self.CUSTOMER_PHONE, "text": text}, timestamp=timestamp
            )
            self.assertEqual(self._post_raw(body, headers).status_code, 202)
        self.assertEqual(
            sorted(self._stored().mapped("body")),
            ["first", "fourth", "second", "third"],
        )

    def test_signature_is_checked_before_the_address_limit(self):
        order = self._awaiting_order()
        payload = {"from": self.CUSTOMER_PHONE, "text": f"YES {order.approval_code}"}
        for _attempt in range(31):
            self._post_raw(*self._signed(payload, secret="guess"))
        # Bad signatures still count: the next one is limited...
        response = self._post_raw(*self._signed(payload, secret="guess"))
        self.assertEqual(response.status_code, 429)
        # ... but the provider, signing correctly, still gets through.
        response = self._post_raw(*self._signed(payload))
        self.assertEqual(response.status_code, 202, response.text)
        response = self._post_raw(
            *self._form({"from": self.CUSTOMER_PHONE, "text": "form too"})
        )
        self.assertEqual(response.status_code, 202, response.text)
        self.env["aftersales.sms.inbound"]._process_pending()
        self.assertEqual(order.state, "done")

    def test_malformed_signed_requests_get_a_4xx(self):
        deep = b'{"from": "+905301112233", "text": "x", "id": ' + b"[" * 7000
        deep += b"]" * 7000 + b"}"
        cases = [
            ("deep nesting", deep, "application/json", 400),
            (
                "NaN",
                b'{"from": "+905301112233", "text": "x", "id": NaN}',
                "application/json",
                400,
            ),
            (
                "NUL in the text",
                json.dumps({"from": self.CUSTOMER_PHONE, "text": "a\x00b"}).encode(),
                "application/json",
                400,
            ),
            (
                "lone surrogate",
                b'{"from": "+905301112233", "text": "\\ud800"}',
                "application/json",
                400,
            ),
            (
                "huge provider id",
                json.dumps(
                    {
                        "from": self.CUSTOMER_PHONE,
                        "text": "x",
                        "id": base64.b64encode(os.urandom(3000)).decode(),
                    }
                ).encode(),
                "application/json",
                400,
            ),
            ("form NUL", b"from=%2B905301112233&text=a%00b", None, 400),
            ("form bad UTF-8", b"from=%2B905301112233&text=%FF%FE", None, 400),
            ("not JSON", b"{not json", "application/json", 400),
            ("a list", b'["from"]', "application/json", 400),
            ("plain text", b"from: +905301112233", "text/plain", 415),
        ]
        for name, body, content_type, status in cases:
            with self.subTest(name):
                timestamp = int(time.time())
                response = self._post_raw(
                    body,
                    {
                        "Content-Type": content_type
                        or "application/x-www-form-urlencoded",
                        "X-Aftersales-Timestamp": str(timestamp),
                        "X-Aftersales-Signature": self._sign(timestamp, body),
                    },
                )
                self.assertEqual(response.status_code, status, response.text[:300])
                self.assertIn("error", response.json())
        self.assertFalse(self._stored())


class SyncSecCommon(RawHttpMixin, HttpCase, AftersalesCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.order = cls._order_in_state("accepted")
        cls.part_product = cls.env["product.product"].create(
            {"name": "Sec Belt", "type": "consu", "list_price": 10.0}
        )

    def setUp(self):
        super().setUp()
        self.authenticate("as_tech_a1", "as_tech_a1")

    def _sync_raw(self, raw):
        return self.url_open(
            SYNC_URL,
            data=raw,
            headers={
                "Content-Type": "application/json",
                "X-CSRF-Token": http.Request.csrf_token(self),
            },
            allow_redirects=False,
        )

    def _sync(self, actions):
        return self._sync_raw(json.dumps({"actions": actions}))

    def _action(self, action_kind, order=None, **data):
        return {
            "id": str(uuid.uuid4()),
            "order_id": (order or self.order).id,
            "kind": action_kind,
            "at": "2026-11-30T09:15:00+03:00",
            "data": data,
        }

    def _log(self):
        return self.env["aftersales.sync.action"].search([])


@tagged("post_install", "-at_install")
class TestSecSync(SyncSecCommon):
    """F15: the technician sync route over real HTTP."""

    def _raw_action_json(self, kind, data_json, order=None):
        """The JSON text of a batch whose one action carries ``data_json``
        verbatim (NaN and Infinity cannot be written by json.dumps)."""
        action = self._action(kind, order)
        action["data"] = "__DATA__"
        return json.dumps({"actions": [action]}).replace('"__DATA__"', data_json)

    def test_non_json_constants_and_deep_nesting_are_a_400(self):
        product = self.part_product.id
        cases = {
            "NaN": self._raw_action_json(
                "part", f'{{"product_id": {product}, "quantity": NaN}}'
            ),
            "Infinity": self._raw_action_json(
                "part", f'{{"product_id": {product}, "quantity": Infinity}}'
            ),
            "-Infinity": self._raw_action_json(
                "part", f'{{"product_id": {product}, "quantity": -Infinity}}'
            ),
            "deep": '{"actions": ' + "[" * 100000 + "]" * 100000 + "}",
            "deep in data": self._raw_action_json(
                "worklog", '{"x": ' + "[" * 900 + "]" * 900 + "}"
            ),
        }
        for name, raw in cases.items():
            with self.subTest(name):
                response = self._sync_raw(raw)
                self.assertEqual(response.status_code, 400, response.text[:300])
                self.assertEqual(response.json()["error"], "bad_json")
        self.assertFalse(self.order.part_ids)
        self.assertFalse(self._log())

    def test_each_malformed_action_is_a_conflict_and_the_rest_apply(self):
        product = self.part_product.id
        bad_actions = {
            "quantity 1e308": self._action("part", product_id=product, quantity=1e308),
            "quantity 1e20": self._action("part", product_id=product, quantity=1e20),
            "quantity 0": self._action("part", product_id=product, quantity=0),
            "quantity true": self._action("part", product_id=product, quantity=True),
            "quantity text": self._action("part", product_id=product, quantity="2"),
            "product 1e20": self._action("part", product_id=10**20),
            "product true": self._action("part", product_id=True),
            "product unknown": self._action("part", product_id=2**31 - 1),
            "photo kind": self._action(
                "photo", name="x.png", content=PIXEL_PNG, kind="evil"
            ),
            "photo kind list": self._action(
                "photo", name="x.png", content=PIXEL_PNG, kind=["after"]
            ),
            "photo content int": self._action("photo", name="x.png", content=5),
            "photo name list": self._action(
                "photo", name=["x"], content=PIXEL_PNG, kind="after"
            ),
            "signature int": self._action(
                "approval", decision="approved", signature=12
            ),
            "unknown kind": self._action("explode"),
            "kind list": self._action(["start"]),
            "order_id text": {**self._action("start"), "order_id": "12"},
            "order_id huge": {**self._action("start"), "order_id": 10**20},
            "at year 1": {**self._action("start"), "at": "0001-01-01T00:00:00+14:00"},
            "at list": {**self._action("start"), "at": ["2026"]},
            "data list": {**self._action("worklog"), "data": ["work_done"]},
            "NUL note": self._action("worklog", work_done="a\x00b"),
            "surrogate note": self._action("worklog", work_done="\ud800"),
            "note number": self._action("worklog", work_done=12),
        }
        for name, bad in bad_actions.items():
            with self.subTest(name):
                good = self._action("worklog", work_done=f"After {name}")
                response = self._sync([bad, good])
                self.assertEqual(response.status_code, 200, response.text[:300])
                results = response.json()["results"]
                self.assertEqual(
                    [(r["id"], r["state"]) for r in results],
                    [(bad["id"], "conflict"), (good["id"], "applied")],
                )
                self.assertTrue(results[0]["message"])
        self.assertFalse(self.order.part_ids)
        self.assertFalse(self.order.media_ids)
        self.assertFalse(self.order.approval_ids)
        self.assertEqual(self.order.state, "accepted")
        self.assertEqual(len(self.order.visit_ids), 1, "one visit, notes appended")

    def test_a_poisoned_queue_drains(self):
        product = self.part_product.id
        queue = [
            self._action("start_travel"),
            self._action("part", product_id=product, quantity=1e308),
            self._action("photo", name="after.png", content=PIXEL_PNG, kind="evil"),
            self._action("start"),
            self._action("part", product_id=product, quantity=2),
            self._action("worklog", work_done="Belt replaced"),
        ]
        response = self._sync(queue)
        self.assertEqual(response.status_code, 200, response.text[:300])
        states = [r["state"] for r in response.json()["results"]]
        self.assertEqual(
            states,
            ["applied", "conflict", "conflict", "applied", "applied", "applied"],
        )
        self.assertEqual(self.order.state, "in_progress")
        self.assertEqual(self.order.part_ids.quantity, 2)
        # The refused photo is kept with what was sent, for the back office.
        photo_log = self._log().filtered(lambda r: r.client_id == queue[2]["id"])
        self.assertEqual(photo_log.state, "conflict")
        self.assertEqual(base64.b64decode(photo_log.file), base64.b64decode(PIXEL_PNG))
        # Replayed (the answer was lost): the same answers, nothing new.
        count = len(self._log())
        replay = self._sync(queue)
        self.assertEqual([r["state"] for r in replay.json()["results"]], states)
        self.assertEqual(len(self._log()), count)
        self.assertEqual(len(self.order.part_ids), 1)

    def test_sane_quantities_still_apply(self):
        response = self._sync(
            [
                self._action("start_travel"),
                self._action("start"),
                self._action("part", product_id=self.part_product.id, quantity=10000),
                self._action("part", product_id=self.part_product.id, quantity=0.5),
            ]
        )
        self.assertEqual(
            [r["state"] for r in response.json()["results"]], ["applied"] * 4
        )
        self.assertEqual(sorted(self.order.part_ids.mapped("quantity")), [0.5, 10000])

    def test_someone_elses_order_still_refuses_the_batch(self):
        other = self._order_in_state(
            "accepted", center=self.center_a2, technician=self.technician_a2
        )
        response = self._sync(
            [
                self._action("part", product_id=self.part_product.id, quantity=1e308),
                self._action("start", other),
            ]
        )
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self._log())
        self.assertEqual(other.state, "accepted")

    def test_an_oversized_sync_body_is_refused_before_it_is_read(self):
        status, answer = self._raw_request(
            SYNC_URL,
            {
                "Content-Type": "application/json",
                "Content-Length": str(64 * 1024 * 1024),
                "X-CSRF-Token": http.Request.csrf_token(self),
            },
            b'{"actions": [',
            cookies={"session_id": self.session.sid},
        )
        self.assertEqual(status, 413, answer)

    def test_technician_texts_are_stored_as_text(self):
        script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
        response = self._sync(
            [
                self._action("start_travel"),
                self._action("start"),
                self._action("worklog", fault_found=script, work_done=script),
                self._action(
                    "photo", name=f"{script}.png", content=PIXEL_PNG, kind="after"
                ),
            ]
        )
        self.assertEqual(
            [r["state"] for r in response.json()["results"]], ["applied"] * 4
        )
        visit = self.order.visit_ids
        self.assertEqual((visit.fault_found, visit.work_done), (script, script))
        self.assertEqual(self.order.media_ids.name, f"{script}.png"[:200])
        html, _type = self.env["ir.actions.report"]._render_qweb_html(
            "aftersales.report_service_order", self.order.ids
        )
        self.assertNotIn("<script>", html.decode())
        self.assertIn("&lt;script&gt;", html.decode())


@tagged("post_install", "-at_install")
class TestSecTechnicianAppQueue(HttpCase, AftersalesCommon):
    """F15, the phone's side: an action the server refuses for what it is
    is parked, and the actions queued after it still sync."""

    browser_size = "390x844"

    def test_a_refused_action_is_parked_and_the_queue_drains(self):
        order = self._order_in_state("accepted")
        other = self._order_in_state(
            "accepted", center=self.center_a2, technician=self.technician_a2
        )
        code = (
            f"const ORDER = {order.id}, OTHER = {other.id}, "
            f"PNG = {json.dumps(PIXEL_PNG)};\n{QUEUE_JS}"
        )
        self.browser_js(
            "/my/technician",
            code,
            ready="window.aftersalesTechnicianApp && document.querySelector("
            "'.o_as_sync_status').textContent.includes('All synced')",
            login="as_tech_a1",
        )
        self.assertEqual(order.state, "on_the_way")
        self.assertEqual(other.state, "accepted")
        log = self.env["aftersales.sync.action"].search([], order="id")
        self.assertEqual(
            [(r.client_id, r.state) for r in log],
            [
                ("malformed-photo-0001", "conflict"),
                ("good-travel-00000001", "applied"),
            ],
        )


@tagged("post_install", "-at_install")
class TestSecSyncFeedback(SyncSecCommon):
    def test_customer_feedback_is_escaped_in_the_chatter(self):
        repair_type = self.env["aftersales.service.type"].create(
            {"name": "Sec Repair", "code": "SCR", "approval_required": True}
        )
        self.center_a1.service_type_ids = [(4, repair_type.id)]
        order = self._order_in_state(
            "awaiting_approval", service_type_id=repair_type.id
        )
        script = "<script>alert(1)</script>"
        response = self._sync(
            [
                self._action(
                    "approval",
                    order,
                    decision="rejected",
                    feedback=script,
                    signed_by=script,
                )
            ]
        )
        self.assertEqual(response.json()["results"][0]["state"], "applied")
        self.assertEqual(order.approval_ids.feedback, script)
        bodies = "".join(order.message_ids.mapped("body"))
        self.assertIn("&lt;script&gt;", bodies)
        self.assertNotIn("<script>", bodies)

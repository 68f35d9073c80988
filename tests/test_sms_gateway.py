import contextlib
import json
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import SmsCommon


class GatewayHandler(BaseHTTPRequestHandler):
    """A local SMS provider: answers from the server's script, records requests."""

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.server.received.append(
            {
                "method": self.command,
                "path": self.path,
                "headers": dict(self.headers),
                "body": self.rfile.read(length).decode() if length else "",
            }
        )
        status, body, delay = (
            self.server.script.pop(0) if self.server.script else (200, '{"id": "x"}', 0)
        )
        if delay:
            time.sleep(delay)
        # In the timeout case the client gave up waiting: nobody reads this.
        with contextlib.suppress(BrokenPipeError):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@tagged("post_install", "-at_install")
class TestSmsGateway(SmsCommon):
    """The generic HTTP gateway against a real server on 127.0.0.1."""

    @contextmanager
    def _provider(self, *script):
        server = ThreadingHTTPServer(("127.0.0.1", 0), GatewayHandler)
        server.script = list(script)
        server.received = []
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.gateway.url = f"http://127.0.0.1:{server.server_port}/send"
        try:
            yield server
        finally:
            server.shutdown()
            server.server_close()

    def setUp(self):
        super().setUp()
        self.company.aftersales_sms_gateway_id = self.gateway
        self.gateway.write(
            {
                "auth_value": "Bearer t0ken",
                "success_pattern": r'"id":\s*"(?P<ref>[^"]+)"',
                "timeout": 0.5,
                "retry_delay": 60,
                "max_attempts": 3,
            }
        )

    def _queue(self):
        order = self._order_in_state("accepted")
        order._send_sms_event("customer_on_the_way")
        sms = self._order_sms(order).filtered(lambda s: "on the way" in s.body)
        self.assertEqual(sms.state, "outgoing")
        return order, sms

    def test_success_sends_the_payload_and_keeps_the_provider_reference(self):
        order, sms = self._queue()
        with self._provider((200, '{"status": "ok", "id": "MSG-42"}', 0)) as server:
            sms.send()
        (request,) = server.received
        self.assertEqual(request["method"], "POST")
        self.assertEqual(request["headers"]["Authorization"], "Bearer t0ken")
        payload = json.loads(request["body"])
        self.assertEqual(payload["to"], self.CUSTOMER_PHONE)
        self.assertEqual(payload["ref"], sms.uuid)
        self.assertIn("is on the way", payload["text"])
        self.assertEqual(sms.state, "pending")
        self.assertEqual(sms.aftersales_gateway_id, self.gateway)
        self.assertEqual(sms.aftersales_provider_ref, "MSG-42")
        self.assertEqual(sms.aftersales_attempt_count, 1)
        notification = self.env["mail.notification"].search(
            [("mail_message_id", "=", sms.mail_message_id.id)]
        )
        self.assertEqual(notification.notification_status, "pending")

    def test_texts_with_quotes_are_escaped_in_json(self):
        order, sms = self._queue()
        sms.body = 'Say "yes" \\ or ğüşiöç'
        with self._provider() as server:
            sms.send()
        self.assertEqual(
            json.loads(server.received[0]["body"])["text"], 'Say "yes" \\ or ğüşiöç'
        )

    def test_form_and_get_gateways(self):
        self.gateway.write(
            {
                "content_type": "form",
                "payload_template": "to={{number}}&msg={{content}}&from={{sender}}",
                "sender": "BRAND",
            }
        )
        order, sms = self._queue()
        with self._provider() as server:
            sms.send()
        form = parse_qs(server.received[0]["body"])
        self.assertEqual(form["to"], [self.CUSTOMER_PHONE])
        self.assertEqual(form["from"], ["BRAND"])
        self.assertIn("is on the way", form["msg"][0])

        self.gateway.method = "GET"
        order._send_sms_event("customer_on_the_way")
        sms = self._order_sms(order)[-1]
        with self._provider() as server:
            sms.send()
        query = parse_qs(urlsplit(server.received[0]["path"]).query)
        self.assertEqual(query["to"], [self.CUSTOMER_PHONE])
        self.assertEqual(sms.state, "pending")

    def test_refusal_and_bad_credentials_fail_without_retry(self):
        order, sms = self._queue()
        with self._provider((400, '{"error": "bad number"}', 0)):
            sms.send()
        self.assertEqual(sms.state, "error")
        self.assertEqual(sms.failure_type, "aftersales_refused")
        self.assertIn("bad number", sms.aftersales_status_detail)
        self.assertFalse(sms.aftersales_next_attempt)
        notification = self.env["mail.notification"].search(
            [("mail_message_id", "=", sms.mail_message_id.id)]
        )
        self.assertEqual(notification.notification_status, "exception")
        self.assertEqual(notification.failure_type, "aftersales_refused")

        order._send_sms_event("customer_on_the_way")
        sms = self._order_sms(order)[-1]
        with self._provider((401, "unauthorized", 0)):
            sms.send()
        self.assertEqual((sms.state, sms.failure_type), ("error", "sms_acc"))

    def test_answer_not_matching_the_success_pattern_is_a_failure(self):
        order, sms = self._queue()
        with self._provider((200, '{"status": "queued-but-no-id"}', 0)):
            sms.send()
        self.assertEqual((sms.state, sms.failure_type), ("error", "aftersales_refused"))

    def test_timeout_and_server_errors_are_retried_with_backoff_then_reported(self):
        order, sms = self._queue()
        cron = self.env.ref("sms.ir_cron_sms_scheduler_action")
        # Odoo's test framework raises request timeouts under 10 s to 10 s: the
        # provider answers after 11 s.
        with self._provider((200, "{}", 11)):
            sms.send()
        after = fields.Datetime.now()
        self.assertEqual(sms.state, "outgoing", "queued again")
        self.assertEqual(sms.aftersales_attempt_count, 1)
        self.assertIn("did not answer in time", sms.aftersales_status_detail)
        first_delay = sms.aftersales_next_attempt - after
        self.assertTrue(timedelta(seconds=58) <= first_delay <= timedelta(seconds=61))
        trigger = self.env["ir.cron.trigger"].search(
            [("cron_id", "=", cron.id)], order="id desc", limit=1
        )
        self.assertEqual(trigger.call_at, sms.aftersales_next_attempt)
        # The queue leaves it alone until then.
        self.assertNotIn(
            sms, self.env["sms.sms"].search(sms._get_queue_domain()), "waiting"
        )

        with self._provider((503, "busy", 0)):
            sms.send()
        after = fields.Datetime.now()
        self.assertEqual((sms.state, sms.aftersales_attempt_count), ("outgoing", 2))
        second_delay = sms.aftersales_next_attempt - after
        self.assertTrue(
            timedelta(seconds=118) <= second_delay <= timedelta(seconds=121)
        )

        with self._provider((502, "down", 0)):
            sms.send()
        self.assertEqual((sms.state, sms.failure_type), ("error", "sms_server"))
        self.assertEqual(sms.aftersales_attempt_count, 3)
        notification = self.env["mail.notification"].search(
            [("mail_message_id", "=", sms.mail_message_id.id)]
        )
        self.assertEqual(notification.notification_status, "exception")
        self.assertEqual(order.state, "accepted", "the work order is not blocked")

    def test_unreachable_gateway_is_retried(self):
        order, sms = self._queue()
        self.gateway.url = "http://127.0.0.1:9/send"  # nothing listens
        sms.send()
        self.assertEqual((sms.state, sms.aftersales_attempt_count), ("outgoing", 1))
        self.assertIn("could not be reached", sms.aftersales_status_detail)

    def test_companies_without_gateway_keep_odoo_provider(self):
        self.assertEqual(
            self.company_b._get_sms_api_class().__name__, "SmsApi", "IAP by default"
        )
        self.assertEqual(
            self.company._get_sms_api_class().__name__, "SmsApiAftersalesHttp"
        )

    def test_invalid_configuration_is_refused(self):
        Gateway = self.env["aftersales.sms.gateway"]
        valid = {"name": "Other", "url": "https://sms.example.com/send"}
        for vals, error in (
            ({"payload_template": '{"to": {{number}}'}, "not valid JSON"),
            ({"success_pattern": "(unclosed"}, "regular expression"),
            ({"url": "ftp://example.com"}, "http"),
        ):
            with (
                self.subTest(vals=vals),
                self.assertRaisesRegex(ValidationError, error),
            ):
                Gateway.create(valid | vals)

import base64
import json
import uuid
from unittest.mock import patch

from odoo import http
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged

from ..controllers.technician import LIMIT_SYNC_PER_USER
from .common import PIXEL_PNG, AftersalesCommon

SYNC_URL = "/aftersales/technician/sync"


@tagged("post_install", "-at_install")
class TestTechnicianSync(HttpCase, AftersalesCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.order = cls._order_in_state("accepted")
        cls.other_order = cls._order_in_state(
            "accepted", center=cls.center_a2, technician=cls.technician_a2
        )

    def setUp(self):
        super().setUp()
        self.authenticate("as_tech_a1", "as_tech_a1")

    def _sync(self, actions, csrf=True, raw=None):
        headers = {"Content-Type": "application/json"}
        if csrf:
            headers["X-CSRF-Token"] = http.Request.csrf_token(self)
        body = raw if raw is not None else json.dumps({"actions": actions})
        return self.url_open(
            SYNC_URL, data=body, headers=headers, allow_redirects=False
        )

    def _action(self, action_kind, order=None, **data):
        return {
            "id": str(uuid.uuid4()),
            "order_id": (order or self.order).id,
            "kind": action_kind,
            "at": "2026-11-30T09:15:00+03:00",
            "data": data,
        }

    def _photo(self, order=None):
        return self._action(
            "photo", order, name="after.png", content=PIXEL_PNG, kind="after"
        )

    def _counts(self):
        return (
            self.order.state,
            len(self.order.media_ids),
            len(self.order.visit_ids),
            self.env["aftersales.sync.action"].search_count([]),
        )

    def test_offline_day_applies_once(self):
        actions = [
            self._action("start_travel"),
            self._action("start"),
            self._photo(),
            self._action("worklog", fault_found="Worn belt", work_done="Belt replaced"),
        ]
        response = self._sync(actions)
        self.assertEqual(response.status_code, 200, response.text)
        results = response.json()["results"]
        self.assertEqual([r["state"] for r in results], ["applied"] * 4)
        self.assertEqual([r["id"] for r in results], [a["id"] for a in actions])
        self.assertEqual(self.order.state, "in_progress")
        self.assertEqual(len(self.order.media_ids), 1)
        self.assertEqual(self.order.visit_ids[:1].work_done, "Belt replaced")
        record = self.env["aftersales.sync.action"].search(
            [("client_id", "=", actions[0]["id"])]
        )
        # Done at 09:15 in Istanbul: 06:15 UTC.
        self.assertEqual(str(record.date_client), "2026-11-30 06:15:00")
        before = self._counts()
        # The signal dropped before the answer: the phone sends it all again.
        replay = self._sync(actions)
        self.assertEqual(replay.status_code, 200)
        # The same answers (the order's current state aside).
        self.assertEqual(
            [(r["id"], r["state"], r["message"]) for r in replay.json()["results"]],
            [(r["id"], r["state"], r["message"]) for r in results],
        )
        self.assertEqual(
            {r["order_state"] for r in replay.json()["results"]}, {"in_progress"}
        )
        self.assertEqual(self._counts(), before)

    def test_conflict_keeps_the_technicians_data(self):
        self.order.action_cancel("Customer moved away")
        photo = self._photo()
        response = self._sync([self._action("start"), photo])
        self.assertEqual(response.status_code, 200)
        results = response.json()["results"]
        self.assertEqual([r["state"] for r in results], ["conflict", "conflict"])
        self.assertEqual(results[0]["order_state"], "cancelled")
        self.assertTrue(results[0]["message"])
        kept = self.env["aftersales.sync.action"].search(
            [("client_id", "=", photo["id"])]
        )
        self.assertEqual(base64.b64decode(kept.file), base64.b64decode(PIXEL_PNG))
        self.assertEqual(kept.payload["name"], "after.png")

    def test_someone_elses_order_is_refused_whole(self):
        before = self._counts()
        response = self._sync(
            [self._action("start"), self._action("start", self.other_order)]
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json()["error"], "not_your_order")
        self.assertEqual(self._counts(), before)
        self.assertEqual(self.other_order.state, "accepted")
        missing = self._sync([self._action("start", self.order.browse(999999))])
        self.assertEqual(missing.status_code, 403)

    def test_a_batch_refused_midway_applies_nothing(self):
        """The model keeps the batch whole: when a later action raises what
        refuses the batch, the earlier ones are undone with it (no route
        rolls back by hand)."""
        SyncAction = self.env["aftersales.sync.action"]
        apply = type(SyncAction)._apply
        calls = []

        def apply_then_refuse(records, user, order, action):
            calls.append(action["client_id"])
            if len(calls) == 2:
                raise ValidationError("refused midway")  # pylint: disable=translation-required
            return apply(records, user, order, action)

        before = self._counts()
        actions = [self._action("start"), self._photo()]
        # Not assertRaises: Odoo's rolls back to a savepoint of its own.
        refused = None
        with patch.object(type(SyncAction), "_apply", apply_then_refuse):
            try:
                SyncAction._sync(self.user_technician, actions)
            except ValidationError as error:
                refused = error
        self.assertTrue(refused)
        self.assertEqual(len(calls), 2, "the first action was applied, then undone")
        self.env.invalidate_all()
        self.assertEqual(self._counts(), before)

    def test_malformed_payloads_apply_nothing(self):
        before = self._counts()
        good = self._action("start")
        cases = [
            ("not json", None),
            ('["a list"]', None),
            (None, []),
            (None, [good, {**self._action("start"), "id": "x"}]),
            (None, [good, good]),
        ]
        for raw, actions in cases:
            with self.subTest(raw=raw, actions=actions):
                response = self._sync(actions, raw=raw)
                self.assertEqual(response.status_code, 400, response.text)
                self.assertIn("error", response.json())
        self.assertEqual(self._counts(), before)

    def test_a_malformed_action_is_a_conflict_and_the_rest_apply(self):
        # Answered one by one: a bad action must not block the phone's queue.
        cases = [
            {**self._action("start"), "kind": "explode"},
            {**self._action("start"), "order_id": "12"},
            {**self._action("start"), "at": "yesterday"},
            self._action("photo", content="%%% not base64"),
            self._action("part", product_id="abc"),
        ]
        for bad in cases:
            with self.subTest(bad=bad):
                good = self._action("worklog", work_done="Checked")
                response = self._sync([bad, good])
                self.assertEqual(response.status_code, 200, response.text)
                self.assertEqual(
                    [(r["id"], r["state"]) for r in response.json()["results"]],
                    [(bad["id"], "conflict"), (good["id"], "applied")],
                )
        self.assertEqual(self.order.state, "accepted")
        self.assertFalse(self.order.media_ids)

    def test_csrf_and_login_are_required(self):
        before = self._counts()
        self.assertEqual(
            self._sync([self._action("start")], csrf=False).status_code, 400
        )
        self.authenticate(None, None)
        anonymous = self.url_open(
            SYNC_URL,
            data=json.dumps({"actions": [self._action("start")]}),
            headers={"Content-Type": "application/json"},
            allow_redirects=False,
        )
        self.assertIn(anonymous.status_code, (303, 401, 403))
        self.assertEqual(self._counts(), before)

    def test_sync_requests_are_limited_per_technician(self):
        """Uploads through the phone are bounded per user and hour: past the
        limit the batch is refused whole (429, nothing applied, the phone keeps
        its queue); another technician is not affected."""
        attempts, window = LIMIT_SYNC_PER_USER
        RateLimit = self.env["aftersales.rate.limit"]
        for _i in range(attempts):
            RateLimit._hit(f"sync:{self.user_technician.id}", window)
        before = self._counts()
        response = self._sync([self._photo()])
        self.assertEqual(response.status_code, 429, response.text)
        self.assertEqual(response.json()["error"], "too_many_requests")
        self.assertEqual(self._counts(), before)
        self.authenticate("as_tech_a2", "as_tech_a2")
        other = self._sync([self._photo(self.other_order)])
        self.assertEqual(other.status_code, 200, other.text)

    def test_another_technician_is_refused(self):
        self.authenticate("as_tech_a2", "as_tech_a2")
        response = self._sync([self._action("start")])
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.order.state, "accepted")

    def test_a_clock_ahead_is_not_trusted(self):
        action = self._action("worklog", work_done="Checked")
        action["at"] = "2099-01-01T00:00:00Z"
        response = self._sync([self._action("start"), action])
        self.assertEqual(
            [r["state"] for r in response.json()["results"]], ["applied", "applied"]
        )
        record = self.env["aftersales.sync.action"].search(
            [("client_id", "=", action["id"])]
        )
        self.assertLess(record.date_client.year, 2099)
        # The visit stops cleanly: nothing happened in the future.
        self.assertEqual(
            self._sync([self._action("done")]).json()["results"][0]["state"], "applied"
        )

    def test_parts_and_customer_decision_on_the_phone(self):
        repair_type = self.env["aftersales.service.type"].create(
            {"name": "Sync Repair", "code": "SYR", "approval_required": True}
        )
        self.center_a1.service_type_ids = [(4, repair_type.id)]
        order = self._order_in_state("in_progress", service_type_id=repair_type.id)
        part = self.env["product.product"].create(
            {"name": "Sync Belt", "type": "consu"}
        )
        response = self._sync(
            [
                self._action("part", order, product_id=part.id, quantity=2),
                self._action("request_approval", order),
            ]
        )
        self.assertEqual(
            [r["state"] for r in response.json()["results"]], ["applied", "applied"]
        )
        self.assertEqual(order.part_ids.product_id, part)
        self.assertEqual(order.part_ids.quantity, 2)
        self.assertEqual(order.state, "awaiting_approval")
        rejected_without_reason = self._sync(
            [self._action("approval", order, decision="rejected")]
        )
        self.assertEqual(
            rejected_without_reason.json()["results"][0]["state"], "conflict"
        )
        self.assertFalse(order.approval_ids)
        response = self._sync(
            [
                self._action(
                    "approval",
                    order,
                    decision="approved",
                    signed_by="Ayse Demir",
                    signature=PIXEL_PNG,
                )
            ]
        )
        self.assertEqual(response.json()["results"][0]["state"], "applied")
        self.assertEqual(order.state, "done")
        approval = order.approval_ids
        self.assertEqual(approval.signed_by, "Ayse Demir")
        self.assertEqual(approval.user_id, self.user_technician)
        self.assertTrue(approval.signature)
        # The service form shows who signed, and the signature.
        html, _type = self.env["ir.actions.report"]._render_qweb_html(
            "aftersales.report_service_order", order.ids
        )
        self.assertIn("Ayse Demir", html.decode())
        self.assertIn('alt="Signature"', html.decode())

import json
import re
import uuid
from unittest.mock import patch

from odoo import Command, http
from odoo.tests import HttpCase, tagged
from odoo.tools.misc import ReadonlyDict
from odoo.tools.translate import code_translations

from ..models.aftersales_order.core import TRANSITIONS
from .common import PIXEL_PNG, FieldCommon

SYNC_URL = "/aftersales/technician/sync"
# What a Persian technician reads on the first step button (a translation
# given to Odoo's translation store, as a fa.po would).
FA_ON_MY_WAY = "در راه هستم"


@tagged("post_install", "-at_install")
class TestTechnicianAppUx(HttpCase, FieldCommon):
    """The technician app without dead ends: parts with their stock, what was
    recorded shown back, steps the order accepts, a link to one job, and the
    technician's language and direction."""

    browser_size = "390x844"
    touch_enabled = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product.name = "Tour Parts Washer"
        cls.product.product_tmpl_id.aftersales_spare_part_ids = [
            Command.set(cls.part_belt.ids)
        ]
        cls.technician_a1.action_create_van_location()
        cls.van = cls.technician_a1.van_location_id
        cls.order = cls._order_in_state(
            "in_progress", service_type_id=cls.type_repair.id
        )
        cls.other = cls._order_in_state(
            "in_progress",
            center=cls.center_a2,
            technician=cls.technician_a2,
            service_type_id=cls.type_repair.id,
        )
        cls.other_part = cls.env["aftersales.order.part"].create(
            {"order_id": cls.other.id, "product_id": cls.part_belt.id}
        )

    # ------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------

    def _sync(self, actions):
        return self.url_open(
            SYNC_URL,
            data=json.dumps({"actions": actions}),
            headers={
                "Content-Type": "application/json",
                "X-CSRF-Token": http.Request.csrf_token(self),
            },
        )

    def _action(self, action_kind, order=None, **data):
        return {
            "id": str(uuid.uuid4()),
            "order_id": (order or self.order).id,
            "kind": action_kind,
            "data": data,
        }

    def _job(self, order=None):
        data = self.url_open("/my/technician/orders.json").json()
        return next(o for o in data["orders"] if o["id"] == (order or self.order).id)

    # ------------------------------------------------------------
    # Parts
    # ------------------------------------------------------------

    def test_parts_offered_with_their_stock(self):
        self.authenticate("as_tech_a1", "as_tech_a1")
        parts = self._job()["parts"]
        # The van first (where a line is taken from by default), then the
        # center's stock; the stock of each place is given.
        self.assertEqual(
            [loc["id"] for loc in parts["locations"]],
            [self.van.id, self.location_a1.id],
        )
        [belt] = parts["catalogue"]
        self.assertEqual(belt["id"], self.part_belt.id)
        self.assertEqual(
            belt["stock"], {str(self.van.id): 0.0, str(self.location_a1.id): 5.0}
        )
        self.assertEqual(parts["lines"], [])

    def test_part_added_changed_removed_once_each(self):
        self.authenticate("as_tech_a1", "as_tech_a1")
        add = self._action(
            "part", product_id=self.part_belt.id, quantity=2, location_id=self.van.id
        )
        self.assertEqual(self._sync([add]).json()["results"][0]["state"], "applied")
        line = self.order.part_ids
        self.assertEqual((line.quantity, line.location_id), (2, self.van))
        [listed] = self._job()["parts"]["lines"]
        self.assertEqual(
            (
                listed["id"],
                listed["quantity"],
                listed["location_id"],
                listed["available"],
            ),
            (line.id, 2, self.van.id, 0.0),
            "listed back with its quantity, source and the stock there",
        )
        update = self._action(
            "part_update", part_id=line.id, quantity=3, location_id=self.location_a1.id
        )
        results = self._sync([update]).json()["results"]
        self.assertEqual(results[0]["state"], "applied", results)
        self.assertEqual((line.quantity, line.location_id), (3, self.location_a1))
        # The answer was lost: the phone sends it again, after the center
        # changed the line. The replay changes nothing.
        line.quantity = 1
        self.assertEqual(self._sync([update]).json()["results"], results)
        self.assertEqual(line.quantity, 1)
        remove = self._action("part_remove", part_id=line.id)
        self.assertEqual(self._sync([remove]).json()["results"][0]["state"], "applied")
        self.assertFalse(self.order.part_ids)
        again = self._sync([remove]).json()["results"]
        self.assertEqual(again[0]["state"], "applied", "the first answer, once")
        self.assertEqual(
            self.env["aftersales.sync.action"].search_count(
                [("client_id", "in", [add["id"], update["id"], remove["id"]])]
            ),
            3,
        )

    def test_part_of_another_order_untouched(self):
        self.authenticate("as_tech_a1", "as_tech_a1")
        # Another technician's order: the whole batch is refused.
        refused = self._sync(
            [self._action("part_remove", self.other, part_id=self.other_part.id)]
        )
        self.assertEqual(refused.status_code, 403)
        # The other order's line named through an order of one's own: a
        # conflict, nothing changed.
        result = self._sync(
            [
                self._action("part_remove", part_id=self.other_part.id),
                self._action("part_update", part_id=self.other_part.id, quantity=4),
            ]
        ).json()["results"]
        self.assertEqual([r["state"] for r in result], ["conflict", "conflict"])
        self.assertTrue(self.other_part.exists())
        self.assertEqual(self.other_part.quantity, 1)

    def test_part_from_another_center_refused(self):
        self.authenticate("as_tech_a1", "as_tech_a1")
        result = self._sync(
            [
                self._action(
                    "part",
                    product_id=self.part_belt.id,
                    location_id=self.center_a2.stock_location_id.id,
                )
            ]
        ).json()["results"]
        self.assertEqual(result[0]["state"], "conflict")
        self.assertFalse(self.order.part_ids)

    def test_conflict_resolved_by_the_technician(self):
        self.env["aftersales.order.part"].create(
            {"order_id": self.order.id, "product_id": self.part_belt.id}
        )
        self.authenticate("as_tech_a1", "as_tech_a1")
        # The van has no belt: asking approval is refused, a conflict.
        first = self._action("request_approval")
        [result] = self._sync([first]).json()["results"]
        self.assertEqual(result["state"], "conflict")
        self.assertIn("not in stock", result["message"])
        SyncAction = self.env["aftersales.sync.action"]
        conflict = SyncAction.search([("client_id", "=", first["id"])])
        flagged = [("state", "=", "conflict"), ("resolved_by_id", "=", False)]
        self.assertIn(conflict, SyncAction.search(flagged))
        # The technician takes the belt from the center's stock, and asks again.
        line = self.order.part_ids
        again = self._action("request_approval")
        self._sync(
            [
                self._action(
                    "part_update", part_id=line.id, location_id=self.location_a1.id
                ),
                again,
            ]
        )
        self.assertEqual(self.order.state, "awaiting_approval")
        self.assertEqual(
            conflict.resolved_by_id,
            SyncAction.search([("client_id", "=", again["id"])]),
        )
        self.assertNotIn(conflict, SyncAction.search(flagged))

    # ------------------------------------------------------------
    # Steps, what was recorded, the decision
    # ------------------------------------------------------------

    def test_steps_are_the_orders_rules(self):
        self.authenticate("as_tech_a1", "as_tech_a1")
        repair = self._job()
        self.assertEqual(repair["steps"], ["request_approval", "done"])
        # type_install needs the customer's approval: never "done" before it,
        # not even from a step queued offline.
        install = self._order_in_state(
            "accepted", service_type_id=self.type_install.id, lot_id=self.covered_lot.id
        )
        job = self._job(install)
        self.assertEqual(job["steps"], ["start_travel", "start"])
        self.assertEqual(job["steps_by_state"]["in_progress"], ["request_approval"])
        self.assertEqual(job["steps_by_state"]["awaiting_approval"], [])
        self.assertFalse(job["waiting_center"])

    def test_step_targets_are_where_the_steps_lead(self):
        """The phone shows a step's state at once, offline too: the server's
        table must say where the order's own workers lead."""
        labels = self.env["aftersales.order"]._technician_app_labels()
        self.assertEqual(set(labels["stock_steps"]) - set(labels["steps"]), set())
        self.authenticate("as_tech_a1", "as_tech_a1")
        for step, target in labels["step_targets"].items():
            with self.subTest(step=step):
                order = self._order_in_state(
                    TRANSITIONS[step]["from"][0], service_type_id=self.type_repair.id
                )
                self.assertIn(step, self._job(order)["steps"])
                result = self._sync([self._action(step, order)]).json()["results"][0]
                self.assertEqual(result["state"], "applied", result)
                self.assertEqual(result["order_state"], target)
                self.assertIn(target, labels["states"])

    def test_job_not_accepted_says_so(self):
        assigned = self._order_in_state("assigned", service_type_id=self.type_repair.id)
        self.authenticate("as_tech_a1", "as_tech_a1")
        job = self._job(assigned)
        self.assertTrue(job["waiting_center"])
        self.assertEqual(job["steps"], [])

    def test_notes_and_photos_shown_back(self):
        self.authenticate("as_tech_a1", "as_tech_a1")
        self._sync(
            [
                self._action("worklog", work_done="Belt replaced"),
                self._action(
                    "photo", name="fault.png", content=PIXEL_PNG, kind="fault"
                ),
            ]
        )
        job = self._job()
        self.assertEqual([n["text"] for n in job["notes"]], ["Belt replaced"])
        [photo] = job["photos"]
        self.assertEqual((photo["kind"], photo["kind_label"]), ("fault", "Fault"))
        thumbnail = self.url_open(photo["url"])
        self.assertEqual(thumbnail.status_code, 200)
        self.assertEqual(thumbnail.headers["Content-Type"], "image/png")

    def test_decision_shows_the_approval_page_lines(self):
        self.env["aftersales.order.part"].create(
            {
                "order_id": self.order.id,
                "product_id": self.part_belt.id,
                "location_id": self.location_a1.id,
            }
        )
        self.order.action_request_approval()
        self.authenticate("as_tech_a1", "as_tech_a1")
        job = self._job()
        expected = [list(line) for line in self.order._get_approval_page_lines()]
        self.assertTrue(expected)
        self.assertEqual(job["approval_lines"], expected)
        self.assertIn("Test Drive Belt", [line[0] for line in expected])

    # ------------------------------------------------------------
    # Deep link, language and time
    # ------------------------------------------------------------

    def test_deep_link_to_one_job(self):
        anonymous = self.url_open(
            f"/my/technician/job/{self.order.id}", allow_redirects=False
        )
        self.assertEqual(anonymous.status_code, 303)
        self.assertIn("/web/login", anonymous.headers["Location"])
        self.authenticate("as_tech_a1", "as_tech_a1")
        page = self.url_open(f"/my/technician/job/{self.order.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(f'data-order-id="{self.order.id}"', page.text)
        self.assertEqual(
            self.url_open(f"/my/technician/job/{self.other.id}").status_code, 404
        )
        self.assertEqual(self.url_open("/my/technician/job/999999999").status_code, 404)
        self.authenticate("as_center_a1", "as_center_a1")
        self.assertEqual(
            self.url_open(f"/my/technician/job/{self.order.id}").status_code,
            404,
            "center staff are not the technician",
        )

    def test_time_in_the_technicians_zone_and_language(self):
        self.order.scheduled_date = "2026-12-02 07:00:00"
        self.user_technician.tz = "Europe/Istanbul"
        self.authenticate("as_tech_a1", "as_tech_a1")
        text = self._job()["schedule_text"]
        self.assertIn("10:00", text, "07:00 UTC is 10:00 in Istanbul")

    def _persian(self):
        self.env["res.lang"]._activate_lang("fa_IR")
        self.user_technician.lang = "fa_IR"
        translations = dict(
            code_translations.get_python_translations("aftersales", "fa_IR")
        )
        translations["On my way"] = FA_ON_MY_WAY
        return patch.dict(
            code_translations.python_translations,
            {("aftersales", "fa_IR"): ReadonlyDict(translations)},
        )

    def test_persian_page_right_to_left_and_translated(self):
        with self._persian():
            self.authenticate("as_tech_a1", "as_tech_a1")
            page = self.url_open("/my/technician").text
        self.assertRegex(page, r'<html[^>]*dir="rtl"')
        self.assertRegex(page, r'<html[^>]*lang="fa-IR"')
        labels = json.loads(
            re.search(
                r'<script type="application/json" id="o_aftersales_tech_labels">'
                r"(.*?)</script>",
                page,
                re.S,
            ).group(1)
        )
        self.assertEqual(labels["steps"]["start_travel"], FA_ON_MY_WAY)

    def test_english_page_left_to_right(self):
        self.authenticate("as_tech_a1", "as_tech_a1")
        page = self.url_open("/my/technician").text
        self.assertRegex(page, r'<html[^>]*dir="ltr"')
        self.assertIn('"start_travel": "On my way"', page)

    # ------------------------------------------------------------
    # Tours
    # ------------------------------------------------------------

    def test_parts_notes_photos_tour(self):
        assigned = self._order_in_state(
            "assigned",
            service_type_id=self.type_repair.id,
            lot_id=False,
            product_id=self.env["product.product"]
            .create({"name": "Tour Waiting Dryer", "type": "consu"})
            .id,
        )
        self.start_tour(
            "/my/technician?debug=tests", "app_parts_tour", login="as_tech_a1"
        )
        self.assertFalse(self.order.part_ids, "added, then removed in the app")
        self.assertEqual(self.order.media_ids.kind, "before")
        self.assertIn("Belt worn", self.order.visit_ids.mapped("work_done"))
        kinds = (
            self.env["aftersales.sync.action"]
            .search([("order_id", "=", self.order.id)])
            .mapped("kind")
        )
        expected = ["part", "part_update", "part_update", "part_remove"]
        self.assertEqual(sorted(kinds), sorted([*expected, "worklog", "photo"]))
        self.assertEqual(assigned.state, "assigned")

    def test_offline_badge_and_steps_tour(self):
        install = self._order_in_state(
            "accepted",
            service_type_id=self.type_install.id,
            lot_id=False,
            product_id=self.env["product.product"]
            .create({"name": "Tour Install Washer", "type": "consu"})
            .id,
        )
        self.start_tour(
            "/my/technician?debug=tests", "app_offline_steps_tour", login="as_tech_a1"
        )
        self.assertEqual(install.state, "in_progress")
        conflicts = self.env["aftersales.sync.action"].search(
            [("order_id", "=", install.id), ("state", "=", "conflict")]
        )
        self.assertFalse(conflicts)

    def test_persian_app_tour(self):
        self._order_in_state(
            "accepted",
            service_type_id=self.type_repair.id,
            lot_id=False,
            product_id=self.env["product.product"]
            .create({"name": "Tour Persian Oven", "type": "consu"})
            .id,
        )
        with self._persian():
            self.start_tour(
                "/my/technician?debug=tests", "app_rtl_tour", login="as_tech_a1"
            )

"""Issue 19, item 6: stages each business names and colours, the kanban by
stage, time in stage, tags and classification codes."""

import importlib.util
from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, tagged

from ..models.aftersales_order.states import WORKSHOP_STATES
from .common import WorkshopCommon

# Where the desk flow (models/aftersales_order/workshop.py) takes each
# workshop status: the fixed states it is reached in.
REACHED = {
    "to_receive": ("new", "assigned", "accepted", "cancelled", "returned"),
    "awaiting_estimate": ("accepted", "in_progress", "cancelled"),
    "estimate_sent": ("awaiting_approval", "cancelled"),
    "no_cost_declared": ("awaiting_approval", "cancelled"),
    "cost_approved": ("in_progress",),
    "cost_rejected": ("in_progress",),
    "waiting_parts": ("in_progress", "cancelled"),
    "repair": ("in_progress", "awaiting_approval"),
    "awaiting_qc": ("in_progress",),
    "qc_returned": ("in_progress",),
    "ready": ("done",),
    "delivered": ("done",),
    "replaced": ("done",),
}

# The Persian module's fourteen statuses, "Estimate Sent" and "Waiting for
# Parts": the shipped workshop stages.
WORKSHOP_STAGES = (
    "workshop_draft",
    "workshop_allocation",
    "workshop_awaiting_estimate",
    "workshop_disassembly",
    "workshop_estimate_sent",
    "workshop_no_cost_declared",
    "workshop_cost_approved",
    "workshop_waiting_parts",
    "workshop_repair",
    "workshop_awaiting_qc",
    "workshop_qc_returned",
    "workshop_cost_rejected",
    "workshop_ready",
    "workshop_delivered",
    "workshop_replaced",
    "workshop_void",
)


def dt(value):
    return fields.Datetime.to_datetime(value)


class StageCommon(WorkshopCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Stage = cls.env["aftersales.order.stage"]
        # A business's own second stage of two statuses.
        cls.stage_assigned_call = Stage.create(
            {
                "name": "Assigned - Call the Customer",
                "state": "assigned",
                "work_place": "field",
                "sequence": 25,
                "color": 3,
            }
        )
        cls.stage_accepted_parts = Stage.create(
            {
                "name": "Accepted - Parts Ordered",
                "state": "accepted",
                "work_place": "both",
                "sequence": 35,
            }
        )

    def _stage(self, suffix):
        return self.env.ref(f"aftersales.aftersales_order_stage_{suffix}")


@tagged("post_install", "-at_install")
class TestStageData(StageCommon):
    def test_every_workshop_status_has_a_workshop_stage(self):
        self.assertEqual(set(REACHED), {value for value, _label in WORKSHOP_STATES})
        Stage = self.env["aftersales.order.stage"]
        for workshop_state, states in REACHED.items():
            for state in states:
                stage = Stage.browse(
                    Stage._get_default_stage_id(state, "workshop", workshop_state)
                )
                where = f"{state} / {workshop_state}"
                self.assertTrue(stage, where)
                self.assertEqual(stage.state, state, where)
                self.assertIn(stage.work_place, ("workshop", "both"), where)
                # A stage that names another workshop status would lie.
                self.assertIn(stage.workshop_state, (workshop_state, False), where)

    def test_shipped_stages_spell_out_the_workshop_statuses(self):
        stages = self.env["aftersales.order.stage"]
        for suffix in WORKSHOP_STAGES:
            stages |= self._stage(suffix)
        self.assertEqual(len(stages), 16)
        self.assertEqual(set(stages.mapped("work_place")), {"workshop"})
        self.assertTrue(all(stages.mapped("portal_label")))
        folded = stages.filtered("fold")
        self.assertEqual(
            set(folded.mapped("state")), {"done", "cancelled"}, "closed ones only"
        )
        self.assertFalse(self._stage("workshop_ready").fold, "the desk acts on it")
        # Field work keeps its stage per status, never a workshop one.
        Stage = self.env["aftersales.order.stage"]
        for state in ("new", "assigned", "in_progress", "done", "cancelled"):
            field_stage = Stage.browse(Stage._get_default_stage_id(state, "field"))
            self.assertEqual(field_stage, self._stage(state))
            self.assertEqual(field_stage.work_place, "field")
        self.assertEqual(self._stage("workshop_void")._get_portal_label(), "Cancelled")

    def test_stage_data_is_kept_from_upgrades(self):
        data = self.env["ir.model.data"].search(
            [("module", "=", "aftersales"), ("model", "=", "aftersales.order.stage")]
        )
        self.assertGreaterEqual(len(data), 25)
        self.assertTrue(all(data.mapped("noupdate")), "a renamed stage stays renamed")

    def test_migration_sets_the_old_stages_work_place_once(self):
        path = next(
            (Path(__file__).resolve().parent.parent / "migrations").glob(
                "*/post-migrate_stages.py"
            )
        )
        spec = importlib.util.spec_from_file_location("post_migrate_stages", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        new = self._stage("new")
        # A database of before: every stage for both, one of them renamed.
        new.write({"work_place": "both", "name": "Just In", "portal_label": False})
        self.env.flush_all()
        migration.migrate(self.env.cr, "19.0.1.2.0")
        migration.migrate(self.env.cr, "19.0.1.2.0")  # twice changes nothing
        self.env.invalidate_all()
        self.assertEqual(new.work_place, "field")
        self.assertEqual(new.name, "Just In", "the business's name stays")
        self.assertEqual(new.portal_label, "Request received")
        self.assertEqual(self._stage("accepted").work_place, "both")


@tagged("post_install", "-at_install")
class TestStagePicking(StageCommon):
    def test_flow_shows_the_workshop_stages(self):
        order = self._workshop_order()
        self.assertEqual(order.stage_id, self._stage("workshop_allocation"))
        order.with_user(self.user_center).action_receive()
        self.assertEqual(order.stage_id, self._stage("workshop_awaiting_estimate"))
        order.with_user(self.user_technician).action_send_estimate()
        self.assertEqual(order.stage_id, self._stage("workshop_estimate_sent"))
        order.with_user(self.user_dispatcher).action_accept_estimate()
        self.assertIn(
            order.stage_id,
            self._stage("workshop_repair") | self._stage("workshop_waiting_parts"),
        )
        if order.workshop_state == "waiting_parts":
            order.with_user(self.user_technician).action_check_parts()
        order.with_user(self.user_technician).action_finish_repair()
        self.assertEqual(order.stage_id, self._stage("workshop_awaiting_qc"))
        self._qc_check(order, "pass")
        self.assertEqual(order.stage_id, self._stage("workshop_ready"))
        self.assertEqual(order.stage_id._get_portal_label(), "Ready for pickup")
        order.with_user(self.user_center).action_hand_back(order.pickup_code)
        self.assertEqual(order.stage_id, self._stage("workshop_delivered"))

    def test_center_picks_another_stage_of_the_status(self):
        order = self._order_in_state("assigned")
        self.assertEqual(order.stage_id, self._stage("assigned"))
        order.with_user(self.user_center).stage_id = self.stage_assigned_call
        self.assertEqual(order.stage_id, self.stage_assigned_call)
        self.assertEqual(order.state, "assigned")
        # The next step gives the next status's first stage.
        order.with_user(self.user_center).action_accept()
        self.assertEqual(order.stage_id, self._stage("accepted"))

    def test_stage_of_another_status_is_refused(self):
        order = self._order_in_state("assigned")
        with (
            self.assertRaisesRegex(ValidationError, "does not belong to the status"),
            self.env.cr.savepoint(),
        ):
            order.with_user(self.user_center).stage_id = self._stage("done")
        self.assertEqual(order.stage_id, self._stage("assigned"))
        self.assertEqual(order.state, "assigned")
        # A workshop stage is not a field order's, even of its status.
        with (
            self.assertRaisesRegex(ValidationError, "does not belong"),
            self.env.cr.savepoint(),
        ):
            order.with_user(self.user_center).stage_id = self._stage(
                "workshop_allocation"
            )
        self.assertEqual(order.stage_id, self._stage("assigned"))

    def test_workshop_stage_of_another_workshop_status_is_refused(self):
        order = self._received_order()
        order.with_user(self.user_technician).action_send_estimate()
        order.with_user(self.user_dispatcher).action_accept_estimate()
        before = order.stage_id
        self.assertIn(before.workshop_state, ("repair", "waiting_parts"))
        # "Cost Rejected" is of the same status but says the customer declined.
        for pick in (
            lambda: order.with_user(self.user_center).write(
                {"stage_id": self._stage("workshop_cost_rejected").id}
            ),
            lambda: order.with_user(self.user_center).action_kanban_move_stage(
                self._stage("workshop_cost_rejected").id
            ),
        ):
            with (
                self.assertRaisesRegex(ValidationError, "means Cost Rejected"),
                self.env.cr.savepoint(),
            ):
                pick()
            self.assertEqual(order.stage_id, before)
            self.assertNotEqual(order.workshop_state, "cost_rejected")
        # A stage naming no workshop status may be picked.
        general = self.env["aftersales.order.stage"].create(
            {"name": "Bench 2", "state": "in_progress", "work_place": "workshop"}
        )
        order.with_user(self.user_center).stage_id = general
        self.assertEqual(order.stage_id, general)

    def test_technician_may_not_pick_a_stage(self):
        order = self._order_in_state("assigned")
        with self.assertRaises(AccessError):
            order.with_user(self.user_technician).write(
                {"stage_id": self.stage_assigned_call.id}
            )
        self.assertEqual(order.stage_id, self._stage("assigned"))

    def test_only_managers_configure_stages(self):
        Stage = self.env["aftersales.order.stage"]
        vals = {"name": "Center's Own", "state": "new"}
        for user in (self.user_center, self.user_dispatcher):
            with self.assertRaises(AccessError):
                Stage.with_user(user).create(vals)
            with self.assertRaises(AccessError):
                self._stage("new").with_user(user).write({"name": "Renamed"})
        self.assertEqual(self._stage("new").name, "New")
        self.assertFalse(Stage.search([("name", "=", "Center's Own")]))
        # The manager renames one; orders entering the status take it.
        self._stage("new").with_user(self.user_manager).write(
            {"name": "Just In", "color": 5}
        )
        order = self._create_order()
        self.assertEqual(order.stage_id.name, "Just In")
        self.assertEqual(order.stage_color, 5)


@tagged("post_install", "-at_install")
class TestKanbanByStage(StageCommon):
    def test_drop_on_a_stage_of_the_same_status_picks_it(self):
        order = self._order_in_state("assigned")
        order.with_user(self.user_center).action_kanban_move_stage(
            self.stage_assigned_call.id
        )
        self.assertEqual(order.stage_id, self.stage_assigned_call)
        self.assertEqual(order.state, "assigned")

    def test_drop_on_a_stage_of_the_next_status_runs_the_step(self):
        order = self._order_in_state("assigned")
        order.with_user(self.user_center).action_kanban_move_stage(
            self.stage_accepted_parts.id
        )
        self.assertEqual(order.state, "accepted")
        self.assertEqual(order.stage_id, self.stage_accepted_parts, "the one chosen")
        # The technician runs a step by a drop and keeps the step's stage.
        order.with_user(self.user_technician).action_kanban_move_stage(
            self._stage("in_progress").id
        )
        self.assertEqual(order.state, "in_progress")
        self.assertEqual(order.stage_id, self._stage("in_progress"))

    def test_drop_refused_with_the_servers_message(self):
        order = self._order_in_state("in_progress")
        with (
            self.assertRaisesRegex(UserError, "cannot go from In Progress to Assigned"),
            self.env.cr.savepoint(),
        ):
            order.with_user(self.user_center).action_kanban_move_stage(
                self.stage_assigned_call.id
            )
        self.assertEqual(order.state, "in_progress")
        self.assertEqual(order.stage_id, self._stage("in_progress"))
        # Technicians do not pick stages, not even by a drop.
        assigned = self._order_in_state("assigned")
        with self.assertRaises(AccessError):
            assigned.with_user(self.user_technician).action_kanban_move_stage(
                self.stage_assigned_call.id
            )
        self.assertEqual(assigned.stage_id, self._stage("assigned"))
        # A workshop stage is not a field order's column.
        with (
            self.assertRaisesRegex(UserError, "is for Workshop work"),
            self.env.cr.savepoint(),
        ):
            assigned.with_user(self.user_center).action_kanban_move_stage(
                self._stage("workshop_draft").id
            )
        self.assertEqual(assigned.state, "assigned")

    def test_drop_to_cancel_asks_the_reason(self):
        order = self._workshop_order()
        action = order.with_user(self.user_dispatcher).action_kanban_move_stage(
            self._stage("workshop_void").id
        )
        self.assertEqual(action["res_model"], "aftersales.order.reason")
        self.assertEqual(order.state, "assigned", "nothing changes before the reason")

    def test_workshop_board_shows_the_workshop_columns(self):
        workshop = self._workshop_order()
        field = self._order_in_state("assigned")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales.aftersales_order_action_workshop"
        )
        Order = (
            self.env["aftersales.order"]
            .with_user(self.user_center)
            .with_context(aftersales_work_place="workshop", read_group_expand=True)
        )
        domain = [*eval(action["domain"]), ("id", "in", (workshop | field).ids)]  # noqa: S307 pylint: disable=eval-used
        groups = Order.formatted_read_group(domain, ["stage_id"], ["__count"])
        columns = self.env["aftersales.order.stage"].browse(
            [group["stage_id"][0] for group in groups]
        )
        self.assertIn(self._stage("workshop_allocation"), columns)
        self.assertIn(self._stage("workshop_ready"), columns, "empty columns too")
        self.assertNotIn(self._stage("assigned"), columns, "a field stage")
        self.assertEqual(set(columns.mapped("work_place")), {"workshop", "both"})
        counts = {g["stage_id"][0]: g["__count"] for g in groups}
        self.assertEqual(counts[self._stage("workshop_allocation").id], 1)
        self.assertEqual(sum(counts.values()), 1, "field orders are not on it")

    def test_kanban_groups_by_stage_with_colour_and_tags(self):
        arch = (
            self.env["aftersales.order"]
            .with_user(self.user_center)
            .get_views([(False, "kanban")])["views"]["kanban"]["arch"]
        )
        self.assertIn('default_group_by="stage_id"', arch)
        self.assertIn('highlight_color="stage_color"', arch)
        self.assertIn('name="tag_ids"', arch)


@tagged("post_install", "-at_install")
class TestTimeInStage(StageCommon):
    @contextmanager
    def _at(self, moment):
        """Freeze the clock, the cursor's one too (creation and tracking dates
        come from it), and write the tracking at the end, as a commit would."""
        with (
            freeze_time(moment),
            patch.object(self.env.cr, "now", return_value=dt(moment)),
        ):
            yield
            self.env.flush_all()
            self.env.cr.precommit.run()

    def test_time_in_each_stage_of_a_status(self):
        with self._at("2026-11-30 06:00:00"):
            order = self._create_order(center_id=self.center_a1.id)
        with self._at("2026-11-30 07:00:00"):
            order.action_assign()
        with self._at("2026-11-30 08:00:00"):
            order.with_user(self.user_center).stage_id = self.stage_assigned_call
        with self._at("2026-11-30 10:00:00"):
            order.with_user(self.user_center).action_accept()
        with self._at("2026-11-30 10:30:00"):
            order.invalidate_recordset(["duration_tracking"])
            durations = {int(k): v for k, v in order.duration_tracking.items()}
            self.assertEqual(durations[self._stage("assigned").id], 3600)
            self.assertEqual(durations[self.stage_assigned_call.id], 7200)
            rows = self.env["aftersales.order.state.time"].search(
                [("order_id", "=", order.id)]
            )
            by_stage = {row.stage_id: row for row in rows}
            self.assertEqual(len(rows), 4, "new, two stages of assigned, accepted")
            self.assertEqual(round(by_stage[self._stage("assigned")].hours, 2), 1.0)
            self.assertEqual(round(by_stage[self.stage_assigned_call].hours, 2), 2.0)
            self.assertEqual(
                by_stage[self.stage_assigned_call].date_from, dt("2026-11-30 08:00:00")
            )
            self.assertFalse(by_stage[self._stage("accepted")].date_to)
            # By status, the stays of its stages add up.
            groups = self.env["aftersales.order.state.time"].formatted_read_group(
                [("order_id", "=", order.id)], ["state"], ["total_hours:sum"]
            )
            total = {g["state"]: g["total_hours:sum"] for g in groups}
            self.assertEqual(round(total["assigned"], 2), 3.0)
            self.assertEqual(round(total["new"], 2), 1.0)


@tagged("post_install", "-at_install")
class TestTagsAndCodes(StageCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Code = cls.env["aftersales.classification"]
        cls.code_noise = Code.create(
            {"code": "F-042", "name": "Compressor Noise", "kind": "fault"}
        )
        cls.code_leak = Code.create(
            {"code": "F-107", "name": "Water Leak", "kind": "fault"}
        )
        cls.tag_vip = cls.env["aftersales.order.tag"].create({"name": "Test VIP"})

    def test_search_orders_by_classification_code_or_name(self):
        noisy = self._order_in_state("assigned")
        leaking = self._order_in_state("assigned")
        # Desk staff classify their center's orders.
        noisy.with_user(self.user_center).classification_ids = self.code_noise
        leaking.with_user(self.user_center).classification_ids = self.code_leak
        Order = self.env["aftersales.order"].with_user(self.user_center)
        ids = (noisy | leaking).ids
        for term in ("F-042", "compressor"):
            found = Order.search(
                [("classification_ids", "ilike", term), ("id", "in", ids)]
            )
            self.assertEqual(found, noisy, term)
        self.assertEqual(
            self.env["aftersales.classification"].name_search("F-107")[0][0],
            self.code_leak.id,
        )

    def test_codes_are_configured_by_managers(self):
        with self.assertRaises(AccessError):
            self.env["aftersales.classification"].with_user(self.user_center).create(
                {"code": "X-1", "name": "Center's Own"}
            )
        with self.assertRaises(AccessError):
            self.code_noise.with_user(self.user_center).write({"code": "F-000"})
        self.assertEqual(self.code_noise.code, "F-042")

    def test_group_orders_by_tag(self):
        tagged_order = self._order_in_state("assigned")
        tagged_order.with_user(self.user_center).tag_ids = self.tag_vip
        other = self._order_in_state("assigned")
        Order = self.env["aftersales.order"].with_user(self.user_center)
        groups = Order.formatted_read_group(
            [("id", "in", (tagged_order | other).ids)], ["tag_ids"], ["__count"]
        )
        counts = {(g["tag_ids"] or [False])[0]: g["__count"] for g in groups}
        self.assertEqual(counts, {self.tag_vip.id: 1, False: 1})
        self.assertEqual(
            Order.search([("tag_ids", "=", self.tag_vip.id), ("id", "in", other.ids)]),
            Order,
        )


@tagged("post_install", "-at_install")
class TestWorkshopBoardUi(HttpCase, StageCommon):
    browser_size = "1440x900"

    def test_drop_on_the_workshop_board(self):
        kettle = self.env["product.product"].create(
            {"name": "Stage Tour Kettle", "type": "consu"}
        )
        order = self._workshop_order(product_id=kettle.id, lot_id=False)
        self.start_tour(
            "/odoo/action-aftersales.aftersales_order_action_workshop",
            "workshop_stage_kanban_tour",
            login=self.user_center.login,
        )
        self.assertEqual(order.state, "accepted")
        self.assertEqual(order.stage_id, self._stage("accepted"))

from datetime import timedelta

from lxml import etree

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import AftersalesCommon


class ViewsCommon(AftersalesCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.landing = cls.env.ref("aftersales.aftersales_action_landing")
        Product = cls.env["product.product"]
        cls.fridge = Product.create({"name": "Landing Fridge", "type": "consu"})

    @classmethod
    def _product(cls, name):
        return cls.env["product.product"].create({"name": name, "type": "consu"})

    @classmethod
    def _job(cls, state, product=None, **vals):
        """An order of ``product`` (the landing fridge), no serial, in ``state``."""
        product = product or cls.fridge
        return cls._order_in_state(state, product_id=product.id, lot_id=False, **vals)

    def _arch(self, user, view_type, action_xmlid=None):
        Order = self.env["aftersales.order"].with_user(user)
        view_id = False
        if action_xmlid:
            action = self.env.ref(action_xmlid)
            view_id = next(
                (v.view_id.id for v in action.view_ids if v.view_mode == view_type),
                False,
            )
        arch = Order.get_views([(view_id, view_type)])["views"][view_type]["arch"]
        return etree.fromstring(arch)


@tagged("post_install", "-at_install")
class TestLanding(ViewsCommon):
    def test_role_users_get_after_sales_as_home(self):
        for user in (
            self.user_technician,
            self.user_center,
            self.user_dispatcher,
            self.user_manager,
        ):
            self.assertEqual(user.action_id.id, self.landing.id, user.login)
        plain = new_test_user(self.env, "as_views_plain", groups="base.group_user")
        self.assertFalse(plain.action_id, "users without a role keep Odoo's home")
        plain.group_ids += self.env.ref("aftersales.group_center_user")
        self.assertEqual(plain.action_id.id, self.landing.id, "a role given later")

    def test_home_chosen_by_hand_is_kept(self):
        discuss = self.env.ref("mail.action_discuss")
        user = new_test_user(
            self.env,
            "as_views_own_home",
            groups="base.group_user",
            action_id=discuss.id,
        )
        user.group_ids += self.env.ref("aftersales.group_technician")
        self.assertEqual(user.action_id.id, discuss.id)

    def test_landing_per_role(self):
        expected = {
            self.user_manager: "aftersales.aftersales_dashboard_action",
            self.user_dispatcher: "aftersales.aftersales_order_action_dispatch",
            self.user_center: "aftersales.aftersales_order_action_center",
            self.user_technician: "aftersales.aftersales_order_action_my",
        }
        for user, xmlid in expected.items():
            # The menu's and the home's path: the server action, as the user.
            action = self.landing.with_user(user).run()
            self.assertEqual(action["id"], self.env.ref(xmlid).id, user.login)
        root = self.env.ref("aftersales.aftersales_menu_root")
        self.assertEqual(root.action.id, self.landing.id)

    def test_accountant_lands_on_settlements(self):
        """An accountant has no after-sales role: the app opens on the
        settlements, and My Jobs is not offered."""
        accountant = new_test_user(
            self.env, "as_ux_accountant", groups="account.group_account_invoice"
        )
        action = self.landing.with_user(accountant).run()
        self.assertEqual(
            action["id"], self.env.ref("aftersales.aftersales_settlement_action").id
        )
        menus = self.env["ir.ui.menu"].with_user(accountant)._visible_menu_ids()
        self.assertIn(self.env.ref("aftersales.aftersales_menu_root").id, menus)
        self.assertNotIn(self.env.ref("aftersales.aftersales_order_menu_my").id, menus)

    def test_my_jobs_open_first_nearest_first(self):
        now = fields.Datetime.now()
        later = self._job("accepted", scheduled_date=now + timedelta(days=3))
        done = self._job("done", scheduled_date=now + timedelta(days=1))
        soon = self._job("accepted", scheduled_date=now + timedelta(days=2))
        for view_type in ("kanban", "list"):
            arch = self._arch(
                self.user_technician, view_type, "aftersales.aftersales_order_action_my"
            )
            order = arch.get("default_order")
            self.assertTrue(order, view_type)
            jobs = (
                self.env["aftersales.order"]
                .with_user(self.user_technician)
                .search([("id", "in", (later | done | soon).ids)], order=order)
            )
            self.assertEqual(jobs.ids, [soon.id, later.id, done.id], view_type)

    def test_technician_app_button_on_my_jobs(self):
        arch = self._arch(
            self.user_technician, "kanban", "aftersales.aftersales_order_action_my"
        )
        [button] = arch.xpath("//header/button[@name='action_open_technician_app']")
        self.assertIn("d-md-none", button.get("class"), "shown on small screens")
        action = (
            self.env["aftersales.order"]
            .with_user(self.user_technician)
            .action_open_technician_app()
        )
        self.assertEqual(action["url"], "/my/technician")


@tagged("post_install", "-at_install")
class TestPlanningViews(ViewsCommon):
    def test_kanban_move_runs_the_step(self):
        order = self._order_in_state("assigned")
        order.with_user(self.user_center).action_kanban_move("accepted")
        self.assertEqual(order.state, "accepted")
        order.with_user(self.user_technician).action_kanban_move("in_progress")
        self.assertEqual(order.state, "in_progress")

    def test_kanban_move_refused_with_a_message(self):
        order = self._order_in_state("in_progress")
        with self.assertRaisesRegex(
            UserError, "cannot go from In Progress to Assigned"
        ):
            order.with_user(self.user_center).action_kanban_move("assigned")
        self.assertEqual(order.state, "in_progress")
        assigned = self._order_in_state("assigned")
        with self.assertRaises(AccessError):
            # Accepting is the center's decision, not the technician's.
            assigned.with_user(self.user_technician).action_kanban_move("accepted")
        self.assertEqual(assigned.state, "assigned")

    def test_kanban_move_to_cancel_asks_the_reason(self):
        order = self._order_in_state("accepted")
        action = order.with_user(self.user_dispatcher).action_kanban_move("cancelled")
        self.assertEqual(action["res_model"], "aftersales.order.reason")
        self.assertEqual(action["context"]["default_transition"], "cancel")
        self.assertEqual(order.state, "accepted", "nothing changes before the reason")

    def test_center_search_has_no_dispatcher_filters(self):
        dispatcher_only = {"to_assign", "needs_dispatch", "my_dispatch"}
        for user, visible in (
            (self.user_center, False),
            (self.user_technician, False),
            (self.user_dispatcher, True),
        ):
            names = set(self._arch(user, "search").xpath("//filter/@name"))
            self.assertEqual(dispatcher_only <= names, visible, user.login)
            self.assertIn("to_accept", names)

    def test_no_technical_fields_to_group_or_measure(self):
        Order = self.env["aftersales.order"].with_user(self.user_center)
        described = Order.fields_get(attributes=["aggregator", "groupable"])
        self.assertNotIn("access_token", described, "dispatchers only")
        self.assertTrue(described["center_id"]["groupable"])
        for fname in ("sla_pause_start", "sla_warned_target"):
            self.assertFalse(described[fname]["groupable"], fname)
        for fname in ("latitude", "longitude", "rating_last_value"):
            self.assertFalse(described[fname].get("aggregator"), fname)
        pivot = self._arch(self.user_dispatcher, "pivot")
        self.assertEqual(pivot.xpath("//field[@type='col']/@name"), ["stage_id"])

    def test_form_readonly_where_the_user_may_not_write(self):
        def readonly(user):
            arch = self._arch(user, "form")
            top = arch.xpath("//sheet//field[not(ancestor::field)]")
            return {node.get("name"): node.get("readonly") for node in top}

        tech = readonly(self.user_technician)
        self.assertIn("id or", tech["partner_id"])
        self.assertIn("id or", tech["technician_id"])
        self.assertEqual(tech["handed_in_by"], "id")
        self.assertEqual(tech["phone"], "1", "only dispatchers set the phone")
        self.assertFalse(tech.get("description"))
        center = readonly(self.user_center)
        self.assertEqual(center["district"], "id")
        self.assertNotIn("id or", center["technician_id"], "centers choose it")
        self.assertFalse(center.get("handed_in_by"))
        dispatcher = readonly(self.user_dispatcher)
        self.assertNotIn("id or", dispatcher["partner_id"])
        self.assertFalse(dispatcher.get("district"))

    def test_form_fits_beside_the_chatter(self):
        arch = self._arch(self.user_dispatcher, "form")
        self.assertLessEqual(len(arch.xpath("//sheet/notebook/page")), 6)
        for label in ("Assign", "Assign by Hand", "Cancel"):
            [button] = arch.xpath(f"//header/button[@string='{label}']")
            self.assertIn("not id", button.get("invisible"), label)

    def test_list_keeps_reference_and_status(self):
        arch = self._arch(self.user_dispatcher, "list")
        columns = {n.get("name"): n for n in arch.xpath("/list/field")}
        for fname in ("name", "state"):
            self.assertFalse(columns[fname].get("optional"), fname)
        shown = [
            n
            for n in columns.values()
            if n.get("optional") != "hide"
            and n.get("column_invisible") not in ("1", "True")
        ]
        self.assertLessEqual(len(shown), 9, [n.get("name") for n in shown])

    def test_calendar_says_who_what_and_for_whom(self):
        order = self._job("accepted")
        label = order.calendar_display_name
        for part in (order.name, "Test Customer", "Landing Fridge", "Tech A1"):
            self.assertIn(part, label)
        arch = self._arch(self.user_dispatcher, "calendar")
        self.assertEqual(arch.get("create_name_field"), "calendar_display_name")
        self.assertEqual(arch.get("color"), "technician_id")
        [tech] = arch.xpath("//field[@name='technician_id']")
        self.assertEqual(tech.get("filters"), "1")

    def test_time_in_status_has_no_center_while_new(self):
        order = self._job("new")
        self.env.flush_all()
        self.env.cr.flush()  # tracking starts after the creating transaction
        order.center_id = self.center_a1
        order.action_assign()
        self.env.flush_all()
        self.env.cr.flush()  # writes the tracking values
        stays = self.env["aftersales.order.state.time"].search(
            [("order_id", "=", order.id)]
        )
        by_state = {stay.stage_id.state: stay for stay in stays}
        self.assertEqual(set(by_state), {"new", "assigned"})
        self.assertFalse(by_state["new"].center_id, "no center while new")
        self.assertEqual(by_state["assigned"].center_id, self.center_a1)


@tagged("post_install", "-at_install")
class TestLandingUi(HttpCase, ViewsCommon):
    """Each role logs in and lands where it works (desktop, the review's
    1440 px)."""

    browser_size = "1440x900"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_order(product_id=cls.fridge.id, lot_id=False)
        cls._job("assigned")

    def test_dispatcher_lands_on_orders_to_assign(self):
        self.start_tour("/odoo", "views_landing_dispatcher_tour", login="as_dispatcher")

    def test_center_lands_on_what_awaits_it(self):
        self.start_tour("/odoo", "views_landing_center_tour", login="as_center_a1")

    def test_manager_lands_on_the_dashboard(self):
        self._job("done")
        self.start_tour("/odoo", "views_landing_manager_tour", login="as_manager")

    def test_rates_in_percent(self):
        self._job("done")
        self.start_tour("/odoo", "views_rates_in_percent_tour", login="as_dispatcher")

    def test_kanban_drop_runs_the_step_or_says_why_not(self):
        self.start_tour(
            "/odoo/action-aftersales.aftersales_order_action_center",
            "views_kanban_move_tour",
            login="as_center_a1",
        )
        order = self.env["aftersales.order"].search(
            [("product_id", "=", self.fridge.id), ("center_id", "=", self.center_a1.id)]
        )
        self.assertEqual(order.state, "accepted")


@tagged("post_install", "-at_install")
class TestLandingPhoneUi(HttpCase, ViewsCommon):
    """The technician on a phone: My Jobs, open jobs first, a way to the app."""

    browser_size = "390x844"
    touch_enabled = True

    def test_technician_lands_on_my_jobs(self):
        now = fields.Datetime.now()
        for name, state, days in (
            ("Landing Later", "accepted", 3),
            ("Landing Done", "done", 1),
            ("Landing Soon", "accepted", 2),
        ):
            self._job(
                state, self._product(name), scheduled_date=now + timedelta(days=days)
            )
        self._job("assigned")
        self.start_tour("/odoo", "views_landing_technician_tour", login="as_tech_a1")

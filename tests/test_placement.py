from odoo.tests import freeze_time, tagged
from odoo.tests.common import warmup

from .common import SMS_EVENTS_OFF, SlaCommon

# Monday 10:00 in Istanbul: the centers are open, the SLA clocks run.
MONDAY_10H_LOCAL = "2026-12-07 07:00:00"


@tagged("post_install", "-at_install")
class TestPlacementQueries(SlaCommon):
    """Query budgets of placing work orders (issue 17: a placement costs no
    more than Odoo's repair order, see bench/placement.py): a dispatcher
    creates orders under working-hours SLA policies, with SMS events,
    followers, chatter and tracking on, then assigns them in another
    transaction (another request). The budgets are upper bounds: going over
    fails, and a batch costs about what one order costs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(dict.fromkeys(SMS_EVENTS_OFF, True))

    def _orders_env(self):
        # The dispatcher's own context: followers and chatter as in use.
        return self.env(user=self.user_dispatcher, context={})["aftersales.order"]

    def _vals(self, count):
        return [
            {
                "partner_id": self.customer.id,
                "product_id": self.product.id,
                "service_type_id": self.type_maintenance.id,
                "priority": "0",
            }
            for _i in range(count)
        ]

    def _create(self, count):
        orders = self._orders_env().with_context(aftersales_no_auto_assign=True)
        return orders.create(self._vals(count))

    def _create_then_assign(self, count, create_budget, assign_budget):
        with self.assertQueryCount(create_budget):
            orders = self._create(count)
        self.env.invalidate_all()  # the next request
        with self.assertQueryCount(assign_budget):
            orders.action_assign()
        self.assertEqual(set(orders.mapped("state")), {"assigned"})
        self.assertEqual(orders.sla_policy_id, self.policy_standard)
        self.assertTrue(all(orders.mapped("sla_accept_deadline")))
        return orders

    @warmup
    @freeze_time(MONDAY_10H_LOCAL)
    def test_create_one(self):
        # 38 before issue 17: a stage search, two calendar reads per
        # deadline, env.ref's existence query for the cron. 34 since issue 18:
        # the search of the contracts that may cover the order (one for a
        # batch). 35 since issue 19: the service type's work place (field or
        # workshop), which the stage and the workshop flow read (one for a
        # batch).
        with self.assertQueryCount(35):
            order = self._create(1)
        self.assertEqual(order.sla_policy_id, self.policy_standard)
        self.assertEqual(order.stage_id.state, "new")

    @warmup
    @freeze_time(MONDAY_10H_LOCAL)
    def test_create_batch(self):
        # Twenty orders at once (a sale of many units, a bulk intake) cost
        # what one does, plus one query per number (ir.sequence's API draws
        # them one by one, honouring date ranges): one SLA plan, one cron
        # trigger.
        with self.assertQueryCount(35 + 19):
            orders = self._create(20)
        self.assertEqual(orders.sla_policy_id, self.policy_standard)
        self.assertEqual(len(set(orders.mapped("sla_resolve_deadline"))), 1)

    @warmup
    @freeze_time(MONDAY_10H_LOCAL)
    def test_create_then_assign_one(self):
        # The assignment cost 40 before issue 17.
        self._create_then_assign(1, create_budget=35, assign_budget=33)

    @warmup
    @freeze_time(MONDAY_10H_LOCAL)
    def test_create_then_assign_batch(self):
        # 328 before issue 17 (16 per order: the SLA planned, the stage looked
        # up and the cron woken for each order as the engine placed it); the
        # engine's own queries per order and the tracking remain.
        self._create_then_assign(20, create_budget=35 + 19, assign_budget=115)

"""Benchmark: placing a work order against Odoo's own repair order (issue 17).

Runs on ONE database with aftersales' demo data and Odoo's ``repair`` installed
beside it (``BENCH=placement scripts/bench.sh`` builds one; ``repair`` is never a
dependency of the addon), in one process, the two sides interleaved round by
round (their order alternating), and prints the median time and SQL queries of:

1. ours: one work order created and assigned (``create()`` then
   ``action_assign()``) by a dispatcher user, with the demo's SLA policies, SMS
   events and tracking; the peer: one ``repair.order`` with one part line
   created and validated (``action_validate()``) by a user with repair
   rights;
2. ours: the creation alone (no assignment) against the peer's whole create
   and validate;
3. the same for a batch of 100 (sale confirmation of many units, bulk intake):
   ``create([... 100 vals])`` then ``action_assign()`` on the 100; the peer
   creates 100 repair orders in one ``create`` and validates each (its
   ``action_validate`` takes one order), and, for reference, confirms the 100
   at once (``_action_repair_confirm``, the batch behind it);

and the ratios ours / peer (target: at most 1.0 in time and in queries,
creation alone well under it). Creating and then assigning (validating) are
two transactions, as two requests of a user are, so the second step's changes
are tracked on both sides (Odoo does not track changes of a record created in
the same transaction); each step is measured with its flush and pre-commit
hooks (tracking values, followers), not its commit, the caches invalidated
before it as a new request finds them. Ours also reports the creation with
automatic assignment on (the company's default, what a sale or a portal
request does: one transaction).

Set-up (committed to the benchmark database, never to the addon): two users
(a dispatcher, a repair user), the demo centers' capacity raised so that every
order finds one, the peer's repaired unit (a product that is not storable, the
customer's: a storable one out of stock makes ``action_validate`` open its
"insufficient quantity" wizard), and the orders of each round.
"""

# pylint: disable=invalid-commit,print-used
# A benchmark commits its data and prints its figures.
import argparse
import statistics
import time

import odoo
from odoo import SUPERUSER_ID, Command, api
from odoo.modules.registry import Registry


def measure(env, *steps):
    """(ms, queries) of the ``steps``, each a transaction of its own (as two
    requests of a user would be: the second one's changes are tracked), with
    its flush and pre-commit hooks, not its commit."""
    elapsed = queries = 0
    result = None
    for step in steps:
        env.invalidate_all()
        start_queries = env.cr.sql_log_count
        start = time.perf_counter()
        result = step(result)
        env.cr.flush()
        elapsed += (time.perf_counter() - start) * 1000
        queries += env.cr.sql_log_count - start_queries
        env.cr.commit()
    return elapsed, queries


class Placement:
    def __init__(self, env, args):
        self.env = env
        self.args = args
        self.customers = [
            env.ref(f"aftersales.demo_customer_{name}")
            for name in ("ayse", "mustafa", "fatma", "hasan", "emine", "omer")
        ]
        self.appliance = env.ref("aftersales.demo_product_washing_machine")
        self.service_type = env.ref("aftersales.service_type_repair")
        self.part = env.ref("aftersales.demo_part_drain_pump")
        self.counter = 0
        self.dispatcher = self._user(
            "bench_place_dispatcher", "aftersales.group_dispatcher"
        )
        self.repairer = self._user("bench_place_repair", "stock.group_stock_user")
        # Every order must find a center: the demo's have room for a few.
        env["aftersales.center"].search([]).write({"capacity": 10**6})
        env.company.aftersales_auto_assign = True
        # The peer's unit is the customer's, not in stock: a product that is
        # not storable, so that action_validate confirms at once (a storable
        # one out of stock opens the "insufficient quantity" wizard). This is
        # the peer's cheapest validation: two stock searches fewer.
        self.unit = env["product.product"].search(
            [("default_code", "=", "BENCH-PLACE-UNIT")]
        ) or env["product.product"].create(
            {
                "name": "Customer's washing machine (bench)",
                "default_code": "BENCH-PLACE-UNIT",
                "type": "consu",
                "is_storable": False,
            }
        )
        env.cr.commit()

    def _user(self, login, group):
        users = self.env["res.users"].with_context(active_test=False)
        user = users.search([("login", "=", login)])
        if not user:
            user = users.create(
                {
                    "name": login.replace("_", " ").title(),
                    "login": login,
                    "group_ids": [Command.set([self.env.ref(group).id])],
                    "tz": "Europe/Istanbul",
                }
            )
        return user

    def _order_vals(self, count):
        vals = []
        for _i in range(count):
            self.counter += 1
            customer = self.customers[self.counter % len(self.customers)]
            vals.append(
                {
                    "partner_id": customer.id,
                    "product_id": self.appliance.id,
                    "service_type_id": self.service_type.id,
                    "channel": "phone",
                }
            )
        return vals

    def _repair_vals(self, count):
        vals = []
        for _i in range(count):
            self.counter += 1
            customer = self.customers[self.counter % len(self.customers)]
            vals.append(
                {
                    "partner_id": customer.id,
                    "product_id": self.unit.id,
                    "move_ids": [
                        Command.create(
                            {
                                "repair_line_type": "add",
                                "product_id": self.part.id,
                                "product_uom_qty": 1,
                            }
                        )
                    ],
                }
            )
        return vals

    # The measured placements ------------------------------------------

    def ours_create_assign(self, count):
        env = self.env(user=self.dispatcher, context={})
        vals = self._order_vals(count)

        def create(_result):
            orders = env["aftersales.order"].with_context(
                aftersales_no_auto_assign=True
            )
            return orders.create(vals).with_env(env)

        def assign(orders):
            orders.action_assign()
            assert all(o.state == "assigned" for o in orders), orders.mapped("state")

        return measure(self.env, create, assign)

    def ours_create(self, count):
        env = self.env(
            user=self.dispatcher, context={"aftersales_no_auto_assign": True}
        )
        vals = self._order_vals(count)
        return measure(self.env, lambda _r: env["aftersales.order"].create(vals))

    def ours_create_auto(self, count):
        env = self.env(user=self.dispatcher, context={})
        vals = self._order_vals(count)

        def run(_result):
            orders = env["aftersales.order"].create(vals)
            assert all(o.state == "assigned" for o in orders), orders.mapped("state")

        return measure(self.env, run)

    def peer_validate(self, count):
        env = self.env(user=self.repairer, context={})
        vals = self._repair_vals(count)

        def validate(repairs):
            for repair in repairs:
                repair.action_validate()
            assert all(r.state == "confirmed" for r in repairs)

        return measure(self.env, lambda _r: env["repair.order"].create(vals), validate)

    def peer_confirm_batch(self, count):
        env = self.env(user=self.repairer, context={})
        vals = self._repair_vals(count)

        def confirm(repairs):
            repairs._action_repair_confirm()
            assert all(r.state == "confirmed" for r in repairs)

        return measure(self.env, lambda _r: env["repair.order"].create(vals), confirm)


def median_of(samples):
    return (
        statistics.median(s[0] for s in samples),
        statistics.median(s[1] for s in samples),
    )


def run_rounds(bench, measures, count, rounds):
    """Interleave ``measures`` round by round, in alternating order; the
    first round warms up and is left out."""
    samples = {name: [] for name in measures}
    for index in range(rounds + 1):
        names = list(measures) if index % 2 else list(reversed(measures))
        for name in names:
            result = measures[name](count)
            if index:
                samples[name].append(result)
    return {name: median_of(s) for name, s in samples.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--rounds", type=int, default=40, help="single placements")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--batch-rounds", type=int, default=5)
    args, odoo_args = parser.parse_known_args()
    odoo.tools.config.parse_config(odoo_args + ["-d", args.database])
    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        if "repair.order" not in env:
            raise SystemExit(
                f"{args.database} has no repair.order: build it with "
                "BENCH=placement scripts/bench.sh"
            )
        bench = Placement(env, args)
        measures = {
            "ours create+assign": bench.ours_create_assign,
            "ours create": bench.ours_create,
            "ours create (auto-assign)": bench.ours_create_auto,
            "peer create+validate": bench.peer_validate,
        }
        single = run_rounds(bench, measures, 1, args.rounds)
        measures["peer create+confirm (batch)"] = bench.peer_confirm_batch
        batch = run_rounds(bench, measures, args.batch, args.batch_rounds)

    lines = []
    for label, results, count, rounds, peer_names in (
        ("single placement", single, 1, args.rounds, ["peer create+validate"]),
        (
            f"batch of {args.batch}",
            batch,
            args.batch,
            args.batch_rounds,
            ["peer create+validate", "peer create+confirm (batch)"],
        ),
    ):
        lines.append(f"== {label} (median of {rounds} rounds)")
        for name, (ms, queries) in results.items():
            per = f" ({ms / count:.2f} ms, {queries / count:.1f} queries each)"
            lines.append(
                f"{name:30} {ms:9.1f} ms {queries:7.0f} queries"
                + (per if count > 1 else "")
            )
        for peer in peer_names:
            peer_ms, peer_q = results[peer]
            for ours in (
                "ours create+assign",
                "ours create",
                "ours create (auto-assign)",
            ):
                ms, queries = results[ours]
                lines.append(
                    f"ratio {ours} / {peer}: time {ms / peer_ms:.2f}, "
                    f"queries {queries / peer_q:.2f}"
                )
    print("\n".join(lines))


if __name__ == "__main__":
    main()

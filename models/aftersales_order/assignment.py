import math
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools.translate import LazyTranslate

from ...tools.distance import great_circle_km

_lt = LazyTranslate(__name__)


# Why the engine left a center out, in the order its filters run.
EXCLUSION_REASONS = {
    "rejected": _lt("already rejected this order"),
    "service_type": _lt("does not do this service type"),
    "product_category": _lt("is not competent for this product category"),
    "holiday": _lt("is on a public holiday at the requested time"),
    "closed": _lt("is closed at the requested time (or has no opening in the window)"),
    "capacity": _lt("is at its capacity"),
    "area": _lt("does not cover the address"),
    "rule": _lt("is not among the centers the routing rule allows"),
    "inactive": _lt("is archived"),
    "company": _lt("belongs to another company"),
}

# Exclusions about this order's address, competence or time come first in the
# log; centers that never compete for it (other areas, archived) last.
EXCLUSION_ORDER = {
    reason: index
    for index, reason in enumerate(
        (
            "rejected",
            "capacity",
            "closed",
            "holiday",
            "service_type",
            "product_category",
            "rule",
            "area",
            "inactive",
            "company",
        )
    )
}

# What an order needs before the engine can route it.
AUTO_ASSIGN_BLOCKERS = {
    "country": _lt("the address has no country"),
}

SCORE_TERM_LABELS = {
    "distance": _lt("near"),
    "load": _lt("free capacity"),
    "authorized": _lt("authorized"),
    "rating": _lt("rating"),
    "on_time": _lt("on time"),
}

# How many candidates and exclusions an order keeps in its assignment log.
LOG_LIMIT = 50


class AftersalesOrder(models.Model):
    """The assignment engine: which service center gets a work order
    (coverage, competence and capacity in SQL, opening hours from the
    centers' working calendars, a weighted score), the log that explains
    the choice, and what happens when centers reject or let orders wait.
    The core assigns an order to the center chosen by hand; this seam
    fills its hooks to choose one when none is."""

    _inherit = "aftersales.order"

    assignment_explanation = fields.Html(
        string="Why This Center?",
        compute="_compute_assignment_explanation",
        sanitize=False,
        groups="base.group_user",
    )

    # ------------------------------------------------------------
    # Compute methods
    # ------------------------------------------------------------

    @api.depends("assignment_log")
    def _compute_assignment_explanation(self):
        for order in self:
            order.assignment_explanation = order._render_assignment_log()

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_assign_selected(self):
        """Assign each selected new order that can be (bulk action of the
        list) and tell how many were assigned and why the others were not."""
        new = self.filtered(lambda o: o.state == "new")
        new._ensure_can_be_assigned()
        left = new._assign_gracefully()
        assigned = new - left
        lines = [
            self.env._(
                "%(order)s: %(why)s",
                order=order.name,
                why=order._get_left_reason(),
            )
            for order in left[:10]
        ]
        message = self.env._(
            "%(assigned)s assigned, %(left)s left to a dispatcher, %(skipped)s "
            "not new.",
            assigned=len(assigned),
            left=len(left),
            skipped=len(self - new),
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if left else "success",
                "title": self.env._("Assign"),
                "message": "\n".join([message, *lines]),
                "sticky": bool(left),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _get_left_reason(self):
        """Why the order is still new, in one sentence."""
        self.ensure_one()
        log = self.assignment_log or {}
        if log.get("mode") == "waiting":
            return ", ".join(
                self._label(AUTO_ASSIGN_BLOCKERS, key) for key in log.get("missing", [])
            )
        if self.center_id:
            return self.env._(
                "%(center)s cannot take it (see its activity).",
                center=self.center_id.name,
            )
        return self._get_unassigned_note()

    # ------------------------------------------------------------
    # Hooks of the core
    # ------------------------------------------------------------

    def _assign_new_orders(self):
        """Assign the orders of companies that assign automatically, as soon
        as they are created (back office, Register Requests, portal, dealers,
        sales); the others wait for a dispatcher. Orders that cannot be routed
        yet (no country) stay new and say why; a center chosen at creation
        that cannot take the order sends it to a dispatcher. Never fails the
        creation. Return the orders left new."""
        auto = self.filtered(
            lambda o: o.state == "new" and o.company_id.aftersales_auto_assign
        )
        others_left = super(AftersalesOrder, self - auto)._assign_new_orders()
        if not auto:
            return others_left
        # The company's setting decides, not the creator's rights: the engine
        # reads the routing rules and every center of the company, which
        # center staff, a salesperson or a portal customer may not.
        auto_sudo = auto.sudo()
        return others_left | self.browse(auto_sudo._assign_gracefully().ids)

    def _get_manual_assignment_log(self):
        # The ranking at the time, so "Why this center?" shows how the
        # dispatcher's choice compared (the same figures as the wizard).
        candidates, excluded = self._rank_centers()
        return dict(
            super()._get_manual_assignment_log(),
            **self._prepare_assignment_log(None, candidates, excluded),
        )

    def _assign_automatically(self):
        return self._assign_by_engine()

    def _reassign_after_rejection(self):
        """Send rejected orders to the next center, or to a dispatcher once
        too many centers rejected them."""
        for order in self:
            company = order.company_id
            rejections = len(order.rejected_center_ids)
            if rejections >= company.aftersales_max_rejections:
                order._escalate(
                    self.env._("Rejected by %(count)s centers.", count=rejections)
                )
            elif company.aftersales_auto_assign:
                order._action_assign()
            else:
                super(AftersalesOrder, order)._reassign_after_rejection()
        return None

    # ------------------------------------------------------------
    # Assignment engine
    # ------------------------------------------------------------

    def _assign_gracefully(self):
        """Assign the orders that can be, one failure never stopping the
        others; return those left new, each saying why in its log."""
        left = self.browse()
        for order in self:
            blockers = order._get_assignment_blockers()
            if blockers:
                order._workflow_write(
                    {"assignment_log": {"mode": "waiting", "missing": blockers}}
                )
                left |= order
        for order in (self - left).filtered("center_id"):
            try:
                with self.env.cr.savepoint():
                    order._action_assign()
            except UserError as error:
                order._escalate(error.args[0])
                left |= order
        engine = self - left - self.filtered("center_id")
        return left | engine._action_assign()

    def _get_assignment_blockers(self):
        """Keys of AUTO_ASSIGN_BLOCKERS that keep the order from being routed."""
        self.ensure_one()
        return [] if self.country_id else ["country"]

    def _get_assignment_group_key(self):
        """Orders with the same key get the same candidates (e.g. the units of
        one sale): the engine reads them once for the whole group."""
        self.ensure_one()
        return (
            self.company_id.id,
            self.country_id.id,
            self.state_id.id,
            (self.city or "").strip().lower(),
            (self.district or "").strip().lower(),
            (self.zip or "").strip(),
            self.service_type_id.id,
            self.product_categ_id.id,
            tuple(sorted(self.rejected_center_ids.ids)),
            self.scheduled_date,
            self.date_requested,
            self.latitude,
            self.longitude,
        )

    def _assign_by_engine(self):
        """Choose the best center for each new order and assign it; return the
        orders for which none was found, flagged for a dispatcher.

        Hard filters run in SQL, once per group of alike orders; the score runs
        in Python on the few centers that pass them, again after each order of
        the group took its place.
        """
        Center = self.env["aftersales.center"]
        rules_by_company = {
            company: self.env["aftersales.assignment.rule"].search(
                [("company_id", "=", company.id)]
            )
            for company in self.company_id
        }
        groups = defaultdict(lambda: self.browse())
        for order in self:
            rules = rules_by_company[order.company_id]
            rule = next(
                (rule for rule in rules if rule._matches(order)), rules.browse()
            )
            # A single order is a group of its own: no need to read what
            # makes orders alike (its rejections cost a query).
            key = order._get_assignment_group_key() if len(self) > 1 else None
            groups[rule, key] |= order
        left = self.browse()
        for (rule, _key), orders in groups.items():
            allowed = rule._get_allowed_centers() if rule else None
            rows = Center._get_assignment_candidates(
                orders[0], allowed.ids if allowed is not None else None
            )
            passing, excluded = self._split_candidates(rows)
            for order in orders:
                candidates = order._score_candidates(passing)
                chosen = None
                for candidate in candidates:
                    if Center.browse(candidate["id"])._reserve_capacity():
                        chosen = candidate
                        break
                    # Filled up by another transaction since the candidates were read.
                    candidate["reason"] = "capacity"
                log = order._prepare_assignment_log(rule, candidates, excluded)
                if chosen:
                    order._write_assignment(
                        Center.browse(chosen["id"]),
                        log,
                        rule=rule,
                        scheduled_date=chosen["next_slot"],
                    )
                    chosen["open_count"] += 1
                    if chosen["open_count"] >= chosen["capacity"]:
                        chosen["reason"] = "capacity"
                else:
                    order._workflow_write(
                        {"assignment_log": log, "assignment_rule_id": rule.id}
                    )
                    left |= order
                passing, newly_excluded = self._split_candidates(passing)
                excluded = self._split_candidates(excluded + newly_excluded)[1]
        for order in left:
            order._escalate(order._get_unassigned_note())
        return left

    def _label(self, labels, key):
        """``labels[key]``, a lazy translation, in the user's language (a
        generator's frame has no environment to translate it by itself)."""
        return self.env._(labels[key])

    def _get_unassigned_note(self):
        """Why no center took the order, for the dispatcher's activity."""
        self.ensure_one()
        excluded = (self.assignment_log or {}).get("excluded") or []
        if not excluded:
            return self.env._("No service center can take this work order.")
        return self.env._(
            "No service center can take this work order: %(reasons)s.",
            reasons="; ".join(
                f"{row['name']} {self._label(EXCLUSION_REASONS, row['reason'])}"
                for row in excluded[:5]
            ),
        )

    @api.model
    def _split_candidates(self, rows):
        """(passing, excluded) rows of _get_assignment_candidates; the
        exclusions that matter most for the order first."""
        passing = [row for row in rows if not row["reason"]]
        excluded = sorted(
            (row for row in rows if row["reason"]),
            key=lambda row: (EXCLUSION_ORDER.get(row["reason"], 99), row["name"]),
        )
        return passing, excluded

    def _rank_centers(self, allowed_center_ids=None):
        """(candidates best first, excluded) for this order, as the engine
        ranks them: one computation for the engine, the wizard and the log.
        The order's own slot at its current center is not counted."""
        self.ensure_one()
        rows = self.env["aftersales.center"]._get_assignment_candidates(
            self, allowed_center_ids
        )
        passing, excluded = self._split_candidates(rows)
        return self._score_candidates(passing), excluded

    @api.model
    def _format_distance(self, distance_km):
        """A distance as the log and the wizard show it: "-" when unknown."""
        if distance_km is None or distance_km is False:
            return "-"
        return self.env._("%(distance)s km", distance=f"{distance_km:.1f}")

    def _score_candidates(self, rows):
        """Score the centers that passed the hard filters, best first.

        Each term is between 0 and 1; the score is their average weighted by
        the company's weights, over the terms known for that center, times 100.
        Ties go to the lower load, then the nearer center, then the center that
        has waited longest for a job.
        """
        self.ensure_one()
        company = self.company_id
        weights = {
            "distance": company.aftersales_weight_distance,
            "load": company.aftersales_weight_load,
            "authorized": company.aftersales_weight_authorized,
            "rating": company.aftersales_weight_rating,
            "on_time": company.aftersales_weight_on_time,
        }
        scale = company.aftersales_distance_scale or 100.0
        has_position = bool(self.latitude or self.longitude)
        for row in rows:
            distance = None
            if has_position and (row["latitude"] or row["longitude"]):
                distance = great_circle_km(
                    self.latitude, self.longitude, row["latitude"], row["longitude"]
                )
            load = row["open_count"] / row["capacity"]
            terms = {
                "distance": None
                if distance is None
                else max(0.0, 1.0 - distance / scale),
                "load": max(0.0, 1.0 - load),
                "authorized": 1.0 if row["kind"] == "authorized" else 0.0,
                # Read with the candidates (ON_TIME_COUNTS).
                **row["quality"],
            }
            known = {
                term: value
                for term, value in terms.items()
                if value is not None and weights.get(term, 0) > 0
            }
            total_weight = sum(weights[term] for term in known)
            row["score"] = round(
                100.0 * sum(weights[t] * v for t, v in known.items()) / total_weight
                if total_weight
                else 0.0,
                2,
            )
            row["terms"] = {term: round(value, 3) for term, value in known.items()}
            row["distance_km"] = None if distance is None else round(distance, 1)
            row["load"] = load
        return sorted(
            rows,
            key=lambda row: (
                -row["score"],
                row["load"],
                row["distance_km"] if row["distance_km"] is not None else math.inf,
                row["date_last_assigned"] or fields.Datetime.from_string("1970-01-01"),
                row["id"],
            ),
        )

    def _prepare_assignment_log(self, rule, candidates, excluded):
        def summary(row):
            return {
                "id": row["id"],
                "name": row["name"],
                "score": row.get("score"),
                "distance_km": row.get("distance_km"),
                "open": row["open_count"],
                "capacity": row["capacity"],
                "terms": row.get("terms", {}),
                "reason": row["reason"],
            }

        # The query names only some of the centers that do not compete.
        left_out = [row for row in excluded if row.get("left_out_count")]
        hidden = left_out[0]["left_out_count"] - len(left_out) if left_out else 0
        return {
            "mode": "engine",
            "rule": rule.name if rule else None,
            "candidates": [summary(row) for row in candidates[:LOG_LIMIT]],
            "candidate_count": len(candidates),
            "excluded": [summary(row) for row in excluded[:LOG_LIMIT]],
            "excluded_count": len(excluded) + hidden,
        }

    def _render_assignment_log(self):
        log = self.assignment_log
        if not log:
            return False
        if log.get("mode") == "waiting":
            return Markup("<p>%s</p>") % self.env._(
                "Not assigned automatically yet: %(missing)s.",
                missing=", ".join(
                    self._label(AUTO_ASSIGN_BLOCKERS, key)
                    for key in log.get("missing", [])
                    if key in AUTO_ASSIGN_BLOCKERS
                ),
            )
        if log.get("mode") == "manual":
            head = self.env._("Assigned by hand by a dispatcher.")
        elif log.get("rule"):
            head = self.env._("Rule: %(rule)s.", rule=log["rule"])
        else:
            head = self.env._("No rule matched: best score among all centers.")
        parts = [Markup("<p>%s</p>") % head]
        if log.get("mode") == "manual" and not log.get("candidates"):
            # Logs of manual assignments made before they kept the ranking.
            return Markup("").join(parts)
        if log.get("candidates"):
            rows = Markup("").join(
                Markup(
                    "<tr><td>%s%s</td><td>%s</td><td>%s</td><td>%s/%s</td><td>%s</td></tr>"
                )
                % (
                    Markup("<b>✔ </b>") if cand["id"] == log.get("chosen") else "",
                    cand["name"],
                    cand["score"],
                    self._format_distance(cand["distance_km"]),
                    cand["open"],
                    cand["capacity"],
                    ", ".join(
                        f"{self._label(SCORE_TERM_LABELS, term)} {value:.0%}"
                        for term, value in cand["terms"].items()
                    )
                    + (
                        f" ({self._label(EXCLUSION_REASONS, cand['reason'])})"
                        if cand.get("reason")
                        else ""
                    ),
                )
                for cand in log["candidates"]
            )
            parts.append(
                Markup(
                    "<table class='table table-sm'><thead><tr><th>%s</th><th>%s</th>"
                    "<th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>%s</tbody></table>"
                )
                % (
                    self.env._("Candidate"),
                    self.env._("Score"),
                    self.env._("Distance"),
                    self.env._("Open/Capacity"),
                    self.env._("Terms"),
                    rows,
                )
            )
        elif log.get("excluded"):
            parts.append(
                Markup("<p>%s</p>") % self.env._("No candidate passed the filters.")
            )
        else:
            parts.append(
                Markup("<p>%s</p>")
                % self.env._("The company has no service center to compare.")
            )
        if log.get("excluded"):
            items = Markup("").join(
                Markup("<li>%s %s</li>")
                % (row["name"], self._label(EXCLUSION_REASONS, row["reason"]))
                for row in log["excluded"]
            )
            parts.append(
                Markup("<p>%s</p><ul>%s</ul>")
                % (
                    self.env._("Left out (%(count)s):", count=log["excluded_count"]),
                    items,
                )
            )
        return Markup("").join(parts)

    @api.model
    def _get_unaccepted_orders(self):
        """Assigned orders whose center let the acceptance timeout pass."""
        now = fields.Datetime.now()
        domain = Domain.OR(
            [
                ("company_id", "=", company.id),
                ("state", "=", "assigned"),
                (
                    "date_assigned",
                    "<",
                    now - timedelta(hours=company.aftersales_accept_timeout),
                ),
            ]
            for company in self.env["res.company"].search(
                [("aftersales_accept_timeout", ">", 0)]
            )
        )
        return self.search(domain, order="date_assigned")

    def _reassign_unaccepted(self):
        for order in self:
            order._action_reject(
                self.env._(
                    "Not accepted within %(hours)s hours.",
                    hours=order.company_id.aftersales_accept_timeout,
                )
            )

    @api.model
    def _cron_reassign_unaccepted(self, batch_size=50):
        orders = self._get_unaccepted_orders()
        while orders:
            batch, orders = orders[:batch_size], orders[batch_size:]
            batch = batch.try_lock_for_update().filtered(
                lambda o: o.state == "assigned"
            )
            batch._reassign_unaccepted()
            if not self.env["ir.cron"]._commit_progress(
                len(batch), remaining=len(orders)
            ):
                break

from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_compare, formatLang

from ...tools.domains import created_between
from ..aftersales_contract.states import COVERING_STATES
from .core import AUDIENCE_KEY, RECIPIENT_KEY
from .states import UNFINISHED_STATES

# Contracts whose term still decides the coverage of the orders requested in it.
COVERAGE_STATES = ("running", "expired")
# Items of an order a warranty or a contract covers: (item, order field).
COVERAGE_ITEMS = (
    ("parts", "parts_covered"),
    ("labour", "labour_covered"),
    ("travel", "travel_covered"),
)


def _pays_visit(offered, warranty):
    """Whether the contract pays the labour or travel (what a visit is): it
    offers one the warranty does not cover. Both are (parts, labour, travel)."""
    return any(offered[i] and not warranty[i] for i in (1, 2))


class AftersalesOrder(models.Model):
    """The work order under a service contract (depends on the contract): the
    contract that covers or planned it, its coverage and caps."""

    _inherit = "aftersales.order"

    contract_id = fields.Many2one(
        "aftersales.contract",
        compute="_compute_contract_id",
        store=True,
        readonly=False,
        precompute=True,
        index="btree_not_null",
        check_company=True,
        tracking=True,
        help="The service contract that covers this unit or planned this visit: "
        "the running contract of the customer covering the serial, the product "
        "at the service address or every unit, when the order is requested.",
    )
    # ============================================================
    # Coverage and caps (the coverage work writes below this line)
    # ============================================================
    # Each item (parts, labour, travel) is covered when the warranty or the
    # contract covers it. The warranty has no caps: it pays what both cover,
    # the contract pays what only it covers, and that is what its caps count
    # (a visit when it pays labour or travel, the value of the parts it pays).

    coverage_source = fields.Selection(
        [("none", "None"), ("warranty", "Warranty"), ("contract", "Contract")],
        compute="_compute_coverage",
        store=True,
        index=True,
        help="Who covers the most items of the work: the warranty or the "
        "contract (the warranty on a tie). Each item is covered when either "
        "covers it.",
    )
    contract_parts_covered = fields.Boolean(
        string="Parts on Contract",
        compute="_compute_coverage",
        store=True,
        help="The contract pays the parts (the warranty does not), up to its "
        "parts cap.",
    )
    contract_visit_covered = fields.Boolean(
        string="Visit on Contract",
        compute="_compute_coverage",
        store=True,
        help="The contract pays the labour or travel of this order: it counts "
        "against the contract's visit cap.",
    )
    coverage_summary = fields.Text(
        compute="_compute_coverage",
        store=True,
        help="Who pays each item and, beyond the visit cap, why labour and "
        "travel are charged.",
    )
    coverage_note = fields.Text(
        compute="_compute_coverage_note",
        store=True,
        help="Who covers what, and why an item the contract could cover is "
        "charged (its visit or parts cap reached, with the figures).",
    )
    charged_outside_contract = fields.Boolean(
        compute="_compute_charged_outside_contract",
        store=True,
        index=True,
        help="The order is under a contract and the customer pays part of the "
        "work: an item the contract does not cover, or one beyond its caps.",
    )

    def _get_coverage_date(self):
        """The day the order's coverage is decided: when it was requested."""
        self.ensure_one()
        return fields.Date.to_date(self.create_date) or fields.Date.today()

    def _get_contract_unit(self):
        """The order's unit as ``aftersales.contract._find_covering`` reads it."""
        self.ensure_one()
        return {
            "key": self,
            "company_id": self.company_id.id,
            "partner_id": self.partner_id.commercial_partner_id.id,
            "product_id": self.product_id.id,
            "lot_id": self.lot_id.id,
            "address_id": self.address_id.id,
            "date": self._get_coverage_date(),
        }

    def _get_coverage_contract(self):
        """The order's contract when its term covers the request date (a
        contract that expired since still covers what it covered)."""
        self.ensure_one()
        contract = self.contract_id
        if (
            contract
            and contract.state in COVERAGE_STATES
            and contract.date_start <= self._get_coverage_date() <= contract.date_end
        ):
            return contract
        return contract.browse()

    @api.depends("company_id", "partner_id", "product_id", "lot_id", "address_id")
    def _compute_contract_id(self):
        orders = self.filtered(
            lambda o: (
                o.company_id
                and o.partner_id
                and o.product_id
                and not o.contract_plan_id
            )
        )
        covering = self.env["aftersales.contract"]._find_covering(
            order._get_contract_unit() for order in orders
        )
        for order in self:
            if order.contract_plan_id:  # a planned visit stays its contract's
                order.contract_id = order.contract_id
                continue
            order.contract_id = covering[order].id if order in covering else False

    @api.depends(
        "contract_id.covers_parts",
        "contract_id.covers_labour",
        "contract_id.covers_travel",
        "contract_id.visit_cap",
        "contract_id.cap_period",
        "contract_id.date_start",
        "contract_id.date_end",
    )
    def _compute_coverage(self):
        result = super()._compute_coverage()  # the warranty's items
        visits = self._get_contract_visits_before()
        # Ascending ids: the orders of a batch count each other's visits.
        for order in self.sorted(lambda o: o._origin.id or float("inf")):
            warranty = [order[fname] for _item, fname in COVERAGE_ITEMS]
            contract = order._get_coverage_contract()
            if not contract:
                order.coverage_source = "warranty" if any(warranty) else "none"
                order.contract_parts_covered = False
                order.contract_visit_covered = False
                order.coverage_summary = False
                continue
            offered = [
                contract.covers_parts,
                contract.covers_labour,
                contract.covers_travel,
            ]
            notes = []
            date = order._get_coverage_date()
            date_from, date_to = contract._get_cap_window(date)
            if _pays_visit(offered, warranty) and contract.visit_cap:
                own_id = order._origin.id or float("inf")
                used = sum(
                    1
                    for visit_date, visit_id in visits[contract.id]
                    if date_from <= visit_date <= date_to and visit_id < own_id
                )
                if used >= contract.visit_cap:
                    offered[1] = offered[2] = False
                    notes.append(
                        self.env._(
                            "Visit cap of contract %(contract)s reached: %(used)s "
                            "of %(cap)s covered visits used from %(start)s to "
                            "%(end)s; its labour and travel are charged.",
                            contract=contract.name,
                            used=used,
                            cap=contract.visit_cap,
                            start=date_from,
                            end=date_to,
                        )
                    )
            for (_item, fname), covers in zip(COVERAGE_ITEMS, offered, strict=True):
                order[fname] = order[fname] or covers
            order.contract_parts_covered = offered[0] and not warranty[0]
            order.contract_visit_covered = _pays_visit(offered, warranty)
            if (
                order.contract_visit_covered
                and order._origin.id
                and order.state != "cancelled"
            ):
                visits[contract.id].append((date, order._origin.id))
            by_warranty, by_contract = sum(warranty), sum(offered)
            order.coverage_source = (
                "contract"
                if by_contract > by_warranty
                else "warranty"
                if by_warranty
                else "none"
            )
            order.coverage_summary = "\n".join(
                [order._get_coverage_payers(contract, warranty, offered), *notes]
            )
        return result

    def _get_coverage_payers(self, contract, warranty, offered):
        """One line saying who pays each item: the warranty, the contract or
        the customer."""
        labels = {
            "parts": self.env._("parts"),
            "labour": self.env._("labour"),
            "travel": self.env._("travel"),
        }
        payers = defaultdict(list)
        for (item, _fname), by_warranty, by_contract in zip(
            COVERAGE_ITEMS, warranty, offered, strict=True
        ):
            payer = (
                "warranty" if by_warranty else "contract" if by_contract else "customer"
            )
            payers[payer].append(labels[item])
        lines = []
        if payers["warranty"]:
            lines.append(
                self.env._(
                    "The warranty covers %(items)s.",
                    items=", ".join(payers["warranty"]),
                )
            )
        if payers["contract"]:
            lines.append(
                self.env._(
                    "Contract %(contract)s covers %(items)s.",
                    contract=contract.name,
                    items=", ".join(payers["contract"]),
                )
            )
        if payers["customer"]:
            lines.append(
                self.env._("Charged: %(items)s.", items=", ".join(payers["customer"]))
            )
        return " ".join(lines)

    def _get_contract_visits_before(self):
        """{contract id: [(request date, order id)]}: the visits the contracts
        of these orders paid over their cap periods, on other orders (not
        cancelled). One search for the batch."""
        visits = defaultdict(list)
        windows = [
            contract._get_cap_window(order._get_coverage_date())
            for order in self
            if (contract := order._get_coverage_contract()) and contract.visit_cap
        ]
        if not windows:
            return visits
        # Every center's orders use the contract's visits.
        orders_sudo = self.sudo().search_fetch(
            [
                ("contract_id", "in", self.contract_id.ids),
                ("contract_visit_covered", "=", True),
                ("state", "!=", "cancelled"),
                ("id", "not in", self._origin.ids),
                *created_between(
                    min(w[0] for w in windows), max(w[1] for w in windows)
                ),
            ],
            ["contract_id", "create_date"],
        )
        for order in orders_sudo:
            visits[order.contract_id.id].append((order.create_date.date(), order.id))
        return visits

    @api.depends("coverage_summary", "part_ids.coverage_note", "part_ids.state")
    def _compute_coverage_note(self):
        for order in self:
            if not order.contract_id:  # the caps' notes are the contract's
                order.coverage_note = order.coverage_summary
                continue
            part_notes = order.part_ids.filtered(lambda p: p.state != "cancel").mapped(
                "coverage_note"
            )
            lines = [order.coverage_summary, *dict.fromkeys(part_notes)]
            order.coverage_note = "\n".join(line for line in lines if line) or False

    @api.depends(
        "contract_id",
        "labour_covered",
        "travel_covered",
        "part_ids.coverage",
        "part_ids.state",
        "service_type_id.labour_product_id",
        "service_type_id.on_site",
        "company_id.aftersales_travel_product_id",
    )
    def _compute_charged_outside_contract(self):
        for order in self:
            if not order.contract_id:
                order.charged_outside_contract = False
                continue
            service_type = order.service_type_id
            order.charged_outside_contract = bool(
                order.part_ids.filtered(
                    lambda p: p.state != "cancel" and p.coverage == "charged"
                )
                or (service_type.labour_product_id and not order.labour_covered)
                or (
                    service_type.on_site
                    and order.company_id.aftersales_travel_product_id
                    and not order.travel_covered
                )
            )

    @api.constrains("contract_id", "partner_id")
    def _check_contract(self):
        for order in self.filtered("contract_id"):
            # Whoever saves the order may not read the contract: its terms decide.
            contract_sudo = order.contract_id.sudo()
            customer = order.partner_id.commercial_partner_id
            if contract_sudo.commercial_partner_id != customer:
                raise ValidationError(
                    self.env._(
                        "Contract %(contract)s belongs to %(owner)s, not to "
                        "%(customer)s, the customer of work order %(order)s.",
                        contract=contract_sudo.name,
                        owner=contract_sudo.partner_id.display_name,
                        customer=customer.display_name,
                        order=order.name,
                    )
                )
            if order.state not in UNFINISHED_STATES:
                continue  # history: the contract covered it when it was done
            if contract_sudo.state not in COVERING_STATES:
                raise ValidationError(
                    self.env._(
                        "Contract %(contract)s is not running: it cannot cover "
                        "work order %(order)s.",
                        contract=contract_sudo.name,
                        order=order.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        if not (self._is_workflow_write() or self._is_dispatcher()):
            for vals in vals_list:
                # Below dispatcher the covering contract is found, not chosen.
                vals.pop("contract_id", None)
        self._prepare_contract_vals(vals_list)
        return super().create(vals_list)

    @api.model
    def _prepare_contract_vals(self, vals_list):
        """Give new orders their covering contract and the SLA priority it
        bought (never lower than the one asked), before the assignment and
        the SLA policy read them."""
        todo = [
            vals
            for vals in vals_list
            if "contract_id" not in vals
            and vals.get("partner_id")
            and vals.get("product_id")
        ]
        unit_fields = ("company_id", "partner_id", "product_id", "lot_id", "address_id")
        news = self.browse().concat(
            *(
                self.new(
                    {
                        "company_id": self.env.company.id,
                        **{f: vals[f] for f in unit_fields if f in vals},
                    }
                )
                for vals in todo
            )
        )
        for vals, order in zip(todo, news, strict=True):
            vals["contract_id"] = order.contract_id.id
        # The priority a contract bought is applied whoever creates the order.
        contracts_sudo = (
            self.env["aftersales.contract"]
            .sudo()
            .browse(
                {vals["contract_id"] for vals in vals_list if vals.get("contract_id")}
            )
        )
        priorities = {contract.id: contract.priority for contract in contracts_sudo}
        for vals in vals_list:
            bought = priorities.get(vals.get("contract_id"), "0")
            if int(bought) > int(vals.get("priority") or "0"):
                vals["priority"] = bought

    def _get_workflow_fields(self):
        # Derived from the warranty and the contract, never typed in.
        return super()._get_workflow_fields() | {
            "coverage_source",
            "contract_parts_covered",
            "contract_visit_covered",
            "coverage_summary",
            "coverage_note",
            "charged_outside_contract",
            # The plan's bookkeeping: set by the generator and the reminders.
            "contract_unit_id",
            "contract_plan_id",
            "planned_date",
            "contract_reminder_sent",
        }

    @api.model
    def _get_technical_fields(self):
        # The caps' bookkeeping: coverage_source and the filters say it.
        return super()._get_technical_fields() | {
            "contract_parts_covered",
            "contract_visit_covered",
            "coverage_summary",
        }

    def _get_parts_coverage(self, parts):
        """{part: (coverage, note)} for ``parts``, lines of these orders:
        covered when the warranty or the contract covers the order's parts.
        The contract pays parts up to its parts cap: after what it paid in the
        cap period on orders requested before, then the order's lines in
        their order, the line that would cross the cap is charged and its
        note says why (the part file asks here rather than read contracts)."""
        result = {}
        capped = self.filtered(
            lambda o: o.contract_parts_covered and o._get_coverage_contract().parts_cap
        )
        for part in parts:
            if part.order_id not in capped:
                covered = part.order_id.parts_covered
                result[part] = ("covered" if covered else "charged", False)
        if not capped:
            return result
        spent = capped._get_contract_parts_spent(parts)
        digits = self.env["decimal.precision"].precision_get("Product Price")
        batch_spent = defaultdict(float)  # what earlier orders of the batch take
        for order in capped.sorted(lambda o: o._origin.id or float("inf")):
            contract = order.contract_id
            window = contract._get_cap_window(order._get_coverage_date())
            key = (contract.id, window)
            # The order's other lines keep what they took (in a form too).
            kept = order.part_ids.filtered(
                lambda p: (
                    p not in parts and p.state != "cancel" and p.coverage == "covered"
                )
            )
            used = spent[order] + batch_spent[key] + sum(kept.mapped("part_value"))
            lines = parts.filtered(lambda p, o=order: p.order_id == o).sorted(
                lambda p: (p.sequence, p._origin.id or float("inf"))
            )
            for part in lines:
                value = part.quantity * part.price_unit
                cap = contract.parts_cap
                if float_compare(used + value, cap, precision_digits=digits) <= 0:
                    result[part] = ("covered", False)
                    used += value
                    batch_spent[key] += value
                    continue
                result[part] = (
                    "charged",
                    self.env._(
                        "Parts cap of contract %(contract)s reached: %(used)s of "
                        "%(cap)s used from %(start)s to %(end)s; %(part)s "
                        "(%(value)s) is charged.",
                        contract=contract.name,
                        used=formatLang(self.env, used, digits=digits),
                        cap=formatLang(self.env, cap, digits=digits),
                        start=window[0],
                        end=window[1],
                        part=part.product_id.display_name,
                        value=formatLang(self.env, value, digits=digits),
                    ),
                )
        return result

    def _get_contract_parts_spent(self, parts):
        """{order: value of the parts its contract paid in the order's cap
        period on other orders requested before it}, leaving out ``parts``
        (being decided). One grouped sum for the batch."""
        windows = {
            order: order.contract_id._get_cap_window(order._get_coverage_date())
            for order in self
        }
        # Every center's orders use the contract's parts cap.
        parts_sudo = self.env["aftersales.order.part"].sudo()
        groups = parts_sudo._read_group(
            [
                ("id", "not in", parts._origin.ids),
                ("state", "!=", "cancel"),
                ("coverage", "=", "covered"),
                (
                    "order_id",
                    "any",
                    [
                        ("contract_id", "in", self.contract_id.ids),
                        ("contract_parts_covered", "=", True),
                        ("state", "!=", "cancelled"),
                        *created_between(
                            min(w[0] for w in windows.values()),
                            max(w[1] for w in windows.values()),
                        ),
                    ],
                ),
            ],
            ["order_id"],
            ["part_value:sum"],
        )
        spent = {}
        for order, (date_from, date_to) in windows.items():
            own_id = order._origin.id or float("inf")
            spent[order] = sum(
                value
                for other, value in groups
                if other.contract_id == order.contract_id
                and other.id < own_id
                and date_from <= other.create_date.date() <= date_to
            )
        return spent

    # ============================================================
    # Planned visits (the planning work writes below this line)
    # ============================================================

    contract_unit_id = fields.Many2one(
        "aftersales.contract.unit", index="btree_not_null", readonly=True, copy=False
    )
    contract_plan_id = fields.Many2one(
        "aftersales.contract.plan",
        string="Contract Plan Line",
        index="btree_not_null",
        readonly=True,
        copy=False,
    )
    planned_date = fields.Date(
        readonly=True,
        copy=False,
        help="The day the contract's plan set this visit for.",
    )

    # A plan line's visit of a unit on a day exists once, whoever planned it.
    _contract_visit_uniq = models.UniqueIndex(
        "(contract_plan_id, contract_unit_id, planned_date) "
        "WHERE contract_plan_id IS NOT NULL",
        "This planned visit already has a work order.",
    )

    contract_reminder_sent = fields.Boolean(
        string="Visit Reminder Sent",
        readonly=True,
        copy=False,
        help="The customer was reminded of this planned visit.",
    )

    def _get_sms_events(self):
        return super()._get_sms_events() | {
            "customer_contract_reminder": (
                "aftersales_contract_reminder_sms",
                "aftersales.sms_template_contract_visit_reminder",
                "customer",
            )
        }

    def _send_contract_reminder(self):
        """Remind the customers of these planned visits by SMS and/or e-mail,
        as their companies enable, and mark them reminded."""
        self._send_sms_event("customer_contract_reminder")
        template = self.env.ref(
            "aftersales.mail_template_contract_visit_reminder",
            raise_if_not_found=False,
        )
        by_email = self.filtered(
            lambda o: (
                o.company_id.aftersales_contract_reminder_email and o.partner_id.email
            )
        )
        if template and by_email:
            # The cron may run as any user; the template reads the contract
            # and creates its portal token.
            # The visit's time is written as the customer reads it.
            template_sudo = template.sudo()
            for order in by_email:
                template_sudo.with_context(
                    **{
                        RECIPIENT_KEY: ("res.partner", order.partner_id.id),
                        AUDIENCE_KEY: "customer",
                    }
                ).send_mail(order.id)
        self._workflow_write({"contract_reminder_sent": True})

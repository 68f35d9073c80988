#!/usr/bin/env python3
"""Write data/files/aftersales_dashboard.json, the managers' spreadsheet
dashboard (format of Odoo's own spreadsheet_dashboard_* files, version 18.5).

Run it again after changing the layout: python3 scripts/build_dashboard.py
"""

import json
import pathlib
import sys

OPEN_STATES = ["assigned", "accepted", "on_the_way", "in_progress", "awaiting_approval"]
OPEN_WORK = [["state", "in", OPEN_STATES]]

F_PERIOD = "7a2b5c1e-0d3f-4e61-9a57-1f2c3d4e5f01"
F_CENTER = "7a2b5c1e-0d3f-4e61-9a57-1f2c3d4e5f02"

GLOBAL_FILTERS = [
    {
        "id": F_PERIOD,
        "type": "date",
        "label": "Period",
        # Odoo's "last 12 months" ends with the previous month: the
        # current one (the busiest to a manager) would be left out.
        "defaultValue": "last_90_days",
    },
    {
        "id": F_CENTER,
        "type": "relation",
        "label": "Service Center",
        "modelName": "aftersales.center",
        "defaultValueDisplayNames": [],
    },
]


def matching(date_field, center_field="center_id", date_type="datetime"):
    """How the global filters apply to one pivot or chart."""
    match = {F_CENTER: {"chain": center_field, "type": "many2one"}}
    match[F_PERIOD] = (
        {"chain": date_field, "type": date_type, "offset": 0} if date_field else {}
    )
    return match


def pivot(pid, model, name, rows, measures, domain, date_field, date_type="datetime"):
    return {
        "type": "ODOO",
        "id": str(pid),
        "formulaId": str(pid),
        "model": model,
        "name": name,
        "domain": domain,
        "context": {},
        "rows": [{"fieldName": r} for r in rows],
        "columns": [],
        "measures": [
            {"id": m, "fieldName": m, "userDefinedName": label} for m, label in measures
        ],
        "sortedColumn": None,
        "fieldMatching": matching(date_field, date_type=date_type),
    }


def chart(
    cid,
    ctype,
    model,
    group_by,
    measure,
    domain,
    date_field,
    col,
    row,
    width,
    height,
    **extra,
):
    mode = ctype.removeprefix("odoo_")
    data = {
        "title": {"text": ""},
        "background": "#FFFFFF",
        "legendPosition": "top" if ctype == "odoo_pie" else "none",
        "metaData": {
            "groupBy": group_by,
            "measure": measure,
            "order": None,
            "resModel": model,
            "mode": mode,
            "cumulatedStart": False,
        },
        "searchParams": {
            "comparison": None,
            "context": {},
            "domain": domain,
            "groupBy": group_by,
            "orderBy": [],
        },
        "type": ctype,
        "dataSets": [],
        "chartId": cid,
        "fieldMatching": matching(date_field),
        **extra,
    }
    if ctype != "odoo_pie":
        data.update(verticalAxisPosition="left", stacked=False)
    return {
        "id": cid,
        "width": width,
        "height": height,
        "tag": "chart",
        "data": data,
        "offset": {"x": 0, "y": 0},
        "col": col,
        "row": row,
    }


def scorecard(cid, title, key, x, background="#EFF6FF"):
    return {
        "id": cid,
        "width": 200,
        "height": 106,
        "tag": "chart",
        "data": {
            "baselineColorDown": "#DC6965",
            "baselineColorUp": "#00A04A",
            "baselineMode": "difference",
            "title": {"text": title, "bold": True, "color": "#434343"},
            "type": "scorecard",
            "background": background,
            "keyValue": key,
            "humanize": False,
            "chartId": cid,
        },
        "offset": {"x": x, "y": 12},
        "col": 0,
        "row": 0,
    }


def link(title, model, view_type, domain, context=None):
    action = {
        "domain": domain,
        "context": context or {},
        "modelName": model,
        "views": [[False, "list"], [False, "pivot"], [False, "graph"], [False, "form"]],
    }
    target = {"viewType": view_type, "action": action, "threshold": 0, "name": title}
    return f"[{title}](odoo://view/{json.dumps(target, separators=(',', ':'))})"


PIVOTS = {
    "1": pivot(
        1,
        "aftersales.order.analysis",
        "Service Centers",
        ["center_id"],
        [
            ("order_count", "Orders"),
            ("breach_rate", "Breach Rate (%)"),
            ("on_time_rate", "On Time (%)"),
            ("rating", "Rating"),
        ],
        [["center_id", "!=", False]],
        "date",
    ),
    "2": pivot(
        2,
        "aftersales.settlement",
        "Settlements Due",
        ["center_id"],
        [("amount_total", "Due")],
        [["state", "in", ["pending", "approved"]]],
        "date_to",
        date_type="date",
    ),
    "3": pivot(
        3,
        "aftersales.order.analysis",
        "Ratings by Technician",
        ["technician_id"],
        [("rating", "Rating"), ("first_time_fix_rate", "First-Time Fix (%)")],
        [["rating", "!=", False]],
        "date",
    ),
    # Key figures (Data sheet)
    "4": pivot(
        4, "aftersales.order", "Open Work", [], [("__count", "Open")], OPEN_WORK, None
    ),
    "5": pivot(
        5,
        "aftersales.order",
        "Late",
        [],
        [("__count", "Late")],
        [*OPEN_WORK, ["sla_status", "=", "breached"]],
        None,
    ),
    "6": pivot(
        6,
        "aftersales.order",
        "At Risk",
        [],
        [("__count", "At Risk")],
        [*OPEN_WORK, ["sla_status", "=", "at_risk"]],
        None,
    ),
    "7": pivot(
        7,
        "aftersales.settlement",
        "Due to Centers",
        [],
        [("amount_total", "Due")],
        [["state", "in", ["pending", "approved"]]],
        None,
    ),
}
# The key figures are the state of today: no period filter on them.
for pid in ("4", "5", "6", "7"):
    PIVOTS[pid]["fieldMatching"].pop(F_PERIOD)

FIGURES = [
    scorecard("as-kpi-open", "Open Work Orders", "Data!C1", 0),
    scorecard("as-kpi-late", "Late (SLA)", "Data!C2", 210, "#FEF2F2"),
    scorecard("as-kpi-risk", "At Risk (SLA)", "Data!C3", 420, "#FFF7ED"),
    scorecard("as-kpi-due", "Due to Centers", "Data!C4", 630),
    chart(
        "as-open-state",
        "odoo_bar",
        "aftersales.order",
        ["state"],
        "__count",
        OPEN_WORK,
        None,
        0,
        7,
        480,
        300,
    ),
    chart(
        "as-open-sla",
        "odoo_pie",
        "aftersales.order",
        ["sla_status"],
        "__count",
        OPEN_WORK,
        None,
        4,
        7,
        480,
        300,
    ),
    chart(
        "as-trend-orders",
        # Bars, not a line: a month alone (a new database) still shows.
        "odoo_bar",
        "aftersales.order.analysis",
        ["date:month"],
        "order_count",
        [],
        "date",
        0,
        23,
        480,
        300,
    ),
    chart(
        "as-trend-breach",
        "odoo_bar",
        "aftersales.order.analysis",
        ["date:month"],
        "breach_rate",
        [["sla_policy_id", "!=", False]],
        "date",
        4,
        23,
        480,
        300,
    ),
]
# The open work is today's: not filtered by the period either.
for fig in FIGURES[4:6]:
    fig["data"]["fieldMatching"].pop(F_PERIOD)

CELLS = {
    "A7": link("Open Work by Status", "aftersales.order", "list", OPEN_WORK),
    "E7": link("Open Work by SLA Status", "aftersales.order", "list", OPEN_WORK),
    "A23": link("Work Orders by Month", "aftersales.order.analysis", "graph", []),
    "E23": link(
        "Breach Rate by Month (%)",
        "aftersales.order.analysis",
        "graph",
        [["sla_policy_id", "!=", False]],
    ),
    "A39": link(
        "Service Centers: Breaches, On Time and Ratings",
        "aftersales.order.analysis",
        "pivot",
        [],
    ),
    "A40": "=PIVOT(1)",
    "A56": link(
        "Settlements Due",
        "aftersales.settlement",
        "list",
        [["state", "in", ["pending", "approved"]]],
    ),
    "A57": "=PIVOT(2)",
    "E56": link(
        "Ratings by Technician",
        "aftersales.order.analysis",
        "pivot",
        [["rating", "!=", False]],
    ),
    "E57": "=PIVOT(3)",
}

DATA_CELLS = {
    "A1": '=_t("KPI - Open work orders")',
    "A2": '=_t("KPI - Late")',
    "A3": '=_t("KPI - At risk")',
    "A4": '=_t("KPI - Due to centers")',
    "B1": '=PIVOT.VALUE(4,"__count")',
    "B2": '=PIVOT.VALUE(5,"__count")',
    "B3": '=PIVOT.VALUE(6,"__count")',
    "B4": '=PIVOT.VALUE(7,"amount_total")',
    "C1": "=FORMAT.LARGE.NUMBER(B1)",
    "C2": "=FORMAT.LARGE.NUMBER(B2)",
    "C3": "=FORMAT.LARGE.NUMBER(B3)",
    "C4": "=FORMAT.LARGE.NUMBER(B4)",
}


def sheet(sid, name, cells, figures, cols, styles=None, borders=None):
    return {
        "id": sid,
        "name": name,
        "colNumber": 8,
        "rowNumber": 80,
        "rows": {},
        "cols": cols,
        "merges": [],
        "cells": cells,
        "styles": styles or {},
        "formats": {},
        "borders": borders or {},
        "conditionalFormats": [],
        "dataValidationRules": [],
        "figures": figures,
        "tables": [],
        "areGridLinesVisible": False,
        "isVisible": True,
        "headerGroups": {"ROW": [], "COL": []},
        "comments": {},
    }


TITLE_CELLS = ["A7", "E7", "A23", "E23", "A39", "A56", "E56"]
DASHBOARD = {
    "version": "18.5.10",
    "sheets": [
        sheet(
            "as-dashboard",
            "Dashboard",
            CELLS,
            FIGURES,
            {
                "0": {"size": 230},
                "1": {"size": 80},
                "2": {"size": 100},
                "3": {"size": 100},
                "4": {"size": 230},
                "5": {"size": 100},
                "6": {"size": 100},
            },
            styles={cell: 1 for cell in TITLE_CELLS},
            borders={cell: 1 for cell in TITLE_CELLS},
        ),
        sheet("as-data", "Data", DATA_CELLS, [], {"0": {"size": 160}}),
    ],
    "styles": {"1": {"textColor": "#01666b", "bold": True, "fontSize": 16}},
    "formats": {},
    "borders": {"1": {"bottom": {"style": "thin", "color": "#B7B7B7"}}},
    "revisionId": "START_REVISION",
    "uniqueFigureIds": True,
    "settings": {},
    "pivots": PIVOTS,
    "pivotNextId": 8,
    "customTableStyles": {},
    "globalFilters": GLOBAL_FILTERS,
    "lists": {},
    "listNextId": 1,
    "chartOdooMenusReferences": {
        "as-open-state": "aftersales.aftersales_order_menu",
        "as-open-sla": "aftersales.aftersales_order_menu_late",
        "as-trend-orders": "aftersales.aftersales_order_menu_analysis",
        "as-trend-breach": "aftersales.aftersales_order_analysis_menu_delays",
        "as-kpi-open": "aftersales.aftersales_order_menu",
        "as-kpi-late": "aftersales.aftersales_order_menu_late",
        "as-kpi-risk": "aftersales.aftersales_order_menu_late",
        "as-kpi-due": "aftersales.aftersales_settlement_menu",
    },
}

if __name__ == "__main__":
    out = (
        pathlib.Path(__file__).resolve().parent.parent
        / "data/files/aftersales_dashboard.json"
    )
    out.write_text(json.dumps(DASHBOARD, indent=4, ensure_ascii=False) + "\n")
    sys.stdout.write(f"{out}\n")

"""Numbers drawn from an ir.sequence for many records at once."""

from collections import defaultdict

from odoo.tools import SQL


def draw_sequence_numbers(env, code, company, count):
    """``count`` numbers of the sequence ``code`` of ``company`` (or shared).

    A standard sequence is a PostgreSQL sequence: all its numbers come in one
    statement, instead of one search and one nextval per record as with
    ``next_by_code`` (a sale of five units, an import of thousands).
    """
    if not count:
        return []
    sequence = env["ir.sequence"].search(
        [("code", "=", code), ("company_id", "in", [company.id, False])],
        order="company_id",
        limit=1,
    )
    if not sequence:
        return [env._("New")] * count
    if sequence.implementation != "standard":
        return [sequence._next() for _number in range(count)]
    # Raw SQL: one nextval() per number, in one statement.
    env.cr.execute(
        SQL(
            "SELECT nextval(%s) FROM generate_series(1, %s)",
            f"ir_sequence_{sequence.id:03d}",
            count,
        )
    )
    drawn = [number for (number,) in env.cr.fetchall()]
    # Fetched first: the prefix may need queries of its own.
    prefix, suffix = sequence._get_prefix_suffix()
    return [f"{prefix}{number:0{sequence.padding}d}{suffix}" for number in drawn]


def number_new_records(model, vals_list, fname, code):
    """Give ``fname`` a number of sequence ``code`` in the values that have
    none yet (or the "New" placeholder), drawn per company in one go."""
    new = model.env._("New")
    by_company = defaultdict(list)
    for vals in vals_list:
        if vals.get(fname, new) == new:
            by_company[vals.get("company_id") or model.env.company.id].append(vals)
    for company_id, company_vals in by_company.items():
        company = model.env["res.company"].browse(company_id)
        numbers = draw_sequence_numbers(model.env, code, company, len(company_vals))
        for vals, number in zip(company_vals, numbers, strict=True):
            vals[fname] = number

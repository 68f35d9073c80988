"""Numbers drawn from an ir.sequence for many records at once."""

from collections import defaultdict


def draw_sequence_numbers(env, code, company, count, placeholder=None):
    """``count`` numbers of the sequence ``code`` of ``company`` (or shared),
    or ``placeholder`` ("New") each when there is no such sequence.

    Each number is drawn by ``ir.sequence._next()``, so the sequence's prefix,
    suffix, implementation and date ranges apply as to any ``next_by_code``.
    The sequence is looked up once for all of them; ``ir.sequence`` has no
    call that draws several numbers at once, so each costs the query of its
    own (two with date ranges).
    """
    if not count:
        return []
    sequence = (
        env["ir.sequence"]
        .with_company(company)
        .search(
            [("code", "=", code), ("company_id", "in", [company.id, False])],
            order="company_id",
            limit=1,
        )
    )
    if not sequence:
        return [placeholder or env._("New")] * count
    return [sequence._next() for _number in range(count)]


def number_new_records(model, vals_list, fname, code, placeholder=None):
    """Give ``fname`` a number of sequence ``code`` in the values that have
    none yet (or the placeholder, "New" unless given), drawn per company."""
    placeholder = placeholder or model.env._("New")
    by_company = defaultdict(list)
    for vals in vals_list:
        if vals.get(fname, placeholder) == placeholder:
            by_company[vals.get("company_id") or model.env.company.id].append(vals)
    for company_id, company_vals in by_company.items():
        company = model.env["res.company"].browse(company_id)
        numbers = draw_sequence_numbers(
            model.env, code, company, len(company_vals), placeholder
        )
        for vals, number in zip(company_vals, numbers, strict=True):
            vals[fname] = number

"""Domains shared by models that cannot import each other."""

from datetime import datetime, time, timedelta


def created_between(date_from, date_to):
    """Domain of the records created from day ``date_from`` to day ``date_to``
    (both included; ``create_date`` is naive UTC, as the days are read)."""
    return [
        ("create_date", ">=", datetime.combine(date_from, time.min)),
        ("create_date", "<", datetime.combine(date_to + timedelta(days=1), time.min)),
    ]

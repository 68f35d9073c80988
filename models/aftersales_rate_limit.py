import math
import time
from datetime import UTC, datetime, timedelta

from odoo import api, fields, models
from odoo.tools import SQL


class AftersalesRateLimit(models.Model):
    """Attempt counters of the public routes, per key and time window.

    Counted in the request's own transaction, in one atomic statement: the
    routes answer a refused attempt with a 4xx response (which commits) rather
    than raising, so the count stands without a second database connection per
    attempt (a flood of them emptied the connection pool, F9). When two
    requests count on one key at once, the later one is retried by Odoo
    (a serialization failure), so a counter can never overshoot. Callers
    must therefore return a response, not raise, once they have counted.

    The count slides: the previous window weighs in for the part of it that
    still falls in the last ``window_seconds``, so that a burst across a
    window's boundary cannot double a limit.
    """

    _name = "aftersales.rate.limit"
    _description = "Public Route Attempt Counter"
    _log_access = False

    key = fields.Char(required=True, readonly=True)
    window_start = fields.Datetime(required=True, readonly=True)
    hits = fields.Integer(readonly=True)

    _key_window_unique = models.Constraint(
        "unique(key, window_start)", "One counter per key and window."
    )

    @api.model
    def _window_start(self, window_seconds):
        now = int(time.time())
        return datetime.fromtimestamp(now - now % window_seconds, UTC).replace(
            tzinfo=None
        )

    @api.model
    def _windows(self, window_seconds):
        """(current window's start, previous window's start, the share of
        the previous window still inside the last ``window_seconds``)."""
        now = time.time()
        current = self._window_start(window_seconds)
        elapsed = now - current.replace(tzinfo=UTC).timestamp()
        weight = max(0.0, 1 - elapsed / window_seconds)
        return current, current - timedelta(seconds=window_seconds), weight

    @api.model
    def _count(self, key, window_seconds):
        """Attempts of ``key`` in the last ``window_seconds`` (estimated)."""
        current, previous, weight = self._windows(window_seconds)
        self.env.cr.execute(
            SQL(
                "SELECT window_start, hits FROM aftersales_rate_limit "
                "WHERE key = %s AND window_start IN %s",
                key,
                (current, previous),
            )
        )
        hits = dict(self.env.cr.fetchall())
        return hits.get(current, 0) + math.ceil(hits.get(previous, 0) * weight)

    @api.model
    def _hit(self, key, window_seconds):
        """Count one attempt of ``key``; return the attempts in the last
        ``window_seconds``, this one included."""
        current, previous, weight = self._windows(window_seconds)
        # Our own table, an atomic counter: one upsert, no read-then-write.
        self.env.cr.execute(
            SQL(
                "WITH hit AS ("
                " INSERT INTO aftersales_rate_limit (key, window_start, hits)"
                " VALUES (%(key)s, %(current)s, 1) ON CONFLICT (key, window_start)"
                " DO UPDATE SET hits = aftersales_rate_limit.hits + 1"
                " RETURNING hits) "
                "SELECT (SELECT hits FROM hit), COALESCE(("
                " SELECT hits FROM aftersales_rate_limit"
                " WHERE key = %(key)s AND window_start = %(previous)s), 0)",
                key=key,
                current=current,
                previous=previous,
            )
        )
        hits, previous_hits = self.env.cr.fetchone()
        return hits + math.ceil(previous_hits * weight)

    @api.autovacuum
    def _gc_windows(self):
        # Daily counters look one window back: keep two days.
        self.env.cr.execute(
            SQL(
                "DELETE FROM aftersales_rate_limit WHERE window_start < %s",
                fields.Datetime.now() - timedelta(days=2),
            )
        )

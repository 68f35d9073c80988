import logging
import time
from datetime import UTC, datetime, timedelta

from odoo import api, fields, models
from odoo.sql_db import Cursor
from odoo.tools import SQL

_logger = logging.getLogger(__name__)


class AftersalesRateLimit(models.Model):
    """Attempt counters of the public routes, per key and time window.

    Counted in their own short transaction: an attempt counts even when the
    request then fails, and the busy counter row is never held locked for a
    whole request.
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
    def _count(self, key, window_seconds):
        """Attempts of ``key`` in the current window."""
        self.env.cr.execute(
            SQL(
                "SELECT hits FROM aftersales_rate_limit "
                "WHERE key = %s AND window_start = %s",
                key,
                self._window_start(window_seconds),
            )
        )
        row = self.env.cr.fetchone()
        return row[0] if row else 0

    @api.model
    def _hit(self, key, window_seconds):
        """Count one attempt of ``key``; return the attempts in the window."""
        with self.env.registry.cursor() as cr:
            # READ COMMITTED: concurrent hits on one key add up instead of
            # failing to serialize.
            if isinstance(cr, Cursor):  # not the shared cursor of a test
                cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            cr.execute(
                SQL(
                    "INSERT INTO aftersales_rate_limit (key, window_start, hits) "
                    "VALUES (%s, %s, 1) ON CONFLICT (key, window_start) "
                    "DO UPDATE SET hits = aftersales_rate_limit.hits + 1 "
                    "RETURNING hits",
                    key,
                    self._window_start(window_seconds),
                )
            )
            return cr.fetchone()[0]

    @api.autovacuum
    def _gc_windows(self):
        self.env.cr.execute(
            SQL(
                "DELETE FROM aftersales_rate_limit WHERE window_start < %s",
                fields.Datetime.now() - timedelta(days=1),
            )
        )

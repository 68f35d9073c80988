import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

from ..tools.sms_http_api import RESULT_RETRY

_logger = logging.getLogger(__name__)


class SmsSms(models.Model):
    _inherit = "sms.sms"

    failure_type = fields.Selection(
        selection_add=[("aftersales_refused", "Refused by the Gateway")]
    )
    aftersales_gateway_id = fields.Many2one(
        "aftersales.sms.gateway",
        string="Gateway",
        readonly=True,
        index="btree_not_null",
    )
    aftersales_attempt_count = fields.Integer(string="Attempts", readonly=True)
    aftersales_next_attempt = fields.Datetime(
        string="Next Attempt",
        readonly=True,
        index="btree_not_null",
        help="A transient failure is tried again from this time on.",
    )
    aftersales_provider_ref = fields.Char(
        string="Provider Reference",
        readonly=True,
        help="The id the gateway gave this message.",
    )
    aftersales_status_detail = fields.Char(
        string="Gateway Answer",
        readonly=True,
        help="What the gateway said on the last attempt.",
    )

    # ------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------

    def _split_by_api(self):
        # The gateway is chosen per company, like sms_twilio does; SMS of
        # companies without one go on to the other providers.
        by_gateway = self.grouped(
            lambda sms: sms._get_sms_company().aftersales_sms_gateway_id
        )
        others = by_gateway.pop(self.env["aftersales.sms.gateway"], self.browse())
        for gateway, sms in by_gateway.items():
            sms_api = gateway.company_id._get_sms_api_class()(self.env)
            sms_api._set_company(gateway.company_id)
            # The queue may run as a user without write access to SMS.
            sms_sudo = sms.sudo()
            sms_sudo.write({"aftersales_gateway_id": gateway.id})
            yield sms_api, sms
        if others:
            yield from super(SmsSms, others)._split_by_api()

    def _get_send_batch_size(self):
        # One HTTP request per SMS: keep a batch short enough that the queue
        # commits its progress often.
        # On the whole queue (no records yet), any gateway counts, whatever
        # the company of the user running the cron (hence sudo: all companies).
        uses_gateway = (
            any(
                company.aftersales_sms_gateway_id for company in self._get_sms_company()
            )
            if self
            else bool(
                self.env["aftersales.sms.gateway"].sudo().search_count([], limit=1)
            )
        )
        if uses_gateway:
            return int(
                self.env["ir.config_parameter"]
                .sudo()
                .get_param("aftersales.sms.gateway.batch.size", 100)
            )
        return super()._get_send_batch_size()

    @api.model
    def _get_queue_domain(self):
        """The SMS the queue sends now: not those waiting for a retry."""
        return Domain([("state", "=", "outgoing"), ("to_delete", "!=", True)]) & (
            Domain("aftersales_next_attempt", "=", False)
            | Domain("aftersales_next_attempt", "<=", fields.Datetime.now())
        )

    @api.model
    def _process_queue(self):
        """Same as the standard queue, minus the SMS waiting for a retry."""
        domain = self._get_queue_domain()
        batch_size = self._get_send_batch_size()
        # Lock while selecting: a worker running at the same time takes the
        # next batch instead of finding this one locked and stopping.
        query = self._search(domain, order="id", limit=batch_size)
        self.env.cr.execute(SQL("%s FOR NO KEY UPDATE SKIP LOCKED", query.select()))
        records = self.browse(row[0] for row in self.env.cr.fetchall())
        if not records:
            return
        # send() splits by company API; _send() would use the current
        # company's provider for every SMS of the batch.
        records.send(unlink_failed=False, unlink_sent=True, raise_exception=False)
        self.env["ir.cron"]._commit_progress(
            len(records),
            remaining=self.search_count(domain) if len(records) == batch_size else 0,
        )

    def _handle_call_result_hook(self, results):
        super()._handle_call_result_hook(results)
        by_uuid = {result["uuid"]: result for result in results}
        ours = self.filtered("aftersales_gateway_id")
        if not ours:
            return
        now = fields.Datetime.now()
        retry_at = []
        for sms in ours:
            result = by_uuid.get(sms.uuid)
            if not result:
                continue
            attempts = sms.aftersales_attempt_count + 1
            vals = {
                "aftersales_attempt_count": attempts,
                "aftersales_status_detail": (result.get("failure_reason") or "")[:250]
                or False,
                "aftersales_next_attempt": False,
            }
            if result.get("provider_ref"):
                vals["aftersales_provider_ref"] = result["provider_ref"]
            gateway = sms.aftersales_gateway_id
            if result["state"] == RESULT_RETRY and attempts < gateway.max_attempts:
                next_attempt = now + timedelta(
                    seconds=gateway._get_retry_delay(attempts)
                )
                vals |= {
                    "state": "outgoing",
                    "failure_type": False,
                    "aftersales_next_attempt": next_attempt,
                }
                retry_at.append(next_attempt)
                sms.sms_tracker_id._action_update_from_sms_state("outgoing")
            elif result["state"] == RESULT_RETRY:
                _logger.warning(
                    "SMS %s to %s failed after %s attempts through gateway %s: %s",
                    sms.id,
                    sms.number,
                    attempts,
                    gateway.name,
                    result.get("failure_reason"),
                )
            sms.write(vals)
        if retry_at:
            self.env.ref("sms.ir_cron_sms_scheduler_action")._trigger(at=min(retry_at))

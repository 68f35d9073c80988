"""Adapter between Odoo's SMS queue and a generic HTTP gateway.

Odoo's queue (``sms.sms._send_with_api``) hands batches to an "SMS API" object
chosen per company (``res.company._get_sms_api_class``), the way ``sms_twilio``
plugs in. This one sends each number with one HTTP request described by an
``aftersales.sms.gateway`` record and translates the outcome into the states
the queue understands.
"""

import logging

import requests

from odoo.addons.sms.tools.sms_api import SmsApiBase

_logger = logging.getLogger(__name__)

# Outcomes of one HTTP call, as returned to the SMS queue.
RESULT_SUCCESS = "success"
RESULT_RETRY = "aftersales_retry"
RESULT_REFUSED = "aftersales_refused"
RESULT_AUTH = "aftersales_auth"


class SmsApiAftersalesHttp(SmsApiBase):
    PROVIDER_TO_SMS_FAILURE_TYPE = SmsApiBase.PROVIDER_TO_SMS_FAILURE_TYPE | {
        RESULT_RETRY: "sms_server",
        RESULT_REFUSED: "aftersales_refused",
        RESULT_AUTH: "sms_acc",
    }

    def __init__(self, env, account=None):
        super().__init__(env, account=account)
        self.gateway = env.company.aftersales_sms_gateway_id

    def _set_company(self, company):
        result = super()._set_company(company)
        self.gateway = company.aftersales_sms_gateway_id
        return result

    def _send_sms_batch(self, messages, delivery_reports_url=False):
        """Send every number of every message; one result per number.

        Errors are results, never exceptions: the queue must go on with the
        rest of the batch and record what happened to each SMS.
        """
        # The gateway's credentials are restricted to administrators; the
        # queue runs as whoever triggered it.
        gateway_sudo = self.gateway.sudo()
        results = []
        with requests.Session() as session:
            for message in messages:
                for number in message["numbers"]:
                    results.append(
                        gateway_sudo._send_one(
                            session,
                            number=number["number"],
                            content=message["content"],
                            uuid=number["uuid"],
                        )
                    )
        return results

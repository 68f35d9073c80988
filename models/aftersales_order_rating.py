from markupsafe import escape

from odoo import models
from odoo.exceptions import AccessError


class AftersalesOrder(models.Model):
    """Customer ratings of the work: the request after completion and the
    alert on a low rating."""

    _inherit = "aftersales.order"

    # ------------------------------------------------------------
    # Rating mixin hooks
    # ------------------------------------------------------------

    def _rating_get_parent_field_name(self):
        # The center collects its orders' ratings (rating.parent.mixin).
        return "center_id"

    def rating_apply(
        self,
        rate,
        token=None,
        rating=None,
        feedback=None,
        subtype_xmlid=None,
        notify_delay_send=False,
    ):
        if not self.env.su:
            # Public method: a user calling it with a rating token would rate
            # in the customer's place. Our code calls it as superuser once it
            # checked the customer (_apply_customer_rating, /rate/<token>).
            raise AccessError(self.env._("Only the customer rates the work."))
        result = super().rating_apply(
            rate,
            token=token,
            rating=rating,
            feedback=feedback,
            subtype_xmlid=subtype_xmlid,
            notify_delay_send=notify_delay_send,
        )
        threshold = self.company_id.aftersales_low_rating_threshold
        if threshold and 0 < rate <= threshold:
            self._alert_low_rating(rate, feedback)
        return result

    # ------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------

    def message_post(self, **kwargs):
        if kwargs.get("rating_value") and not self.env.su:
            # The rating mixin turns a message's rating_value into a rating
            # of the order; only the customer's own channels rate.
            raise AccessError(self.env._("Only the customer rates the work."))
        return super().message_post(**kwargs)

    def _get_allowed_message_params(self):
        # No rating through the portal chatter: ratings come from the
        # customer's rating form, link or SMS.
        return super()._get_allowed_message_params() - {"rating_value"}

    def _action_done(self):
        result = super()._action_done()
        self.filtered(
            lambda o: (
                o.company_id.aftersales_rating_email
                and o.partner_id.email
                and not o.rating_ids.filtered("consumed")
            )
        )._send_rating_request_email()
        return result

    def _send_rating_request_email(self):
        template = self.env.ref(
            "aftersales.mail_template_rating_request", raise_if_not_found=False
        )
        if not template:
            return
        for order in self:
            # The technician who completes the job may not read the template
            # nor create the rating token; both are ours.
            order_sudo = order.sudo()
            order_sudo.rating_send_request(template, lang=order.partner_id.lang)

    def _alert_low_rating(self, rate, feedback):
        """The manager hears of a low rating at once: an activity, and an
        e-mail where the company wants one."""
        self.ensure_one()
        # The customer rates through a public page: no user to act as.
        order_sudo = self.sudo()
        manager = order_sudo._get_sla_manager()
        order_sudo.activity_schedule(
            "aftersales.mail_activity_type_low_rating",
            note=escape(
                self.env._(
                    "Rated %(rate)s/5 by %(customer)s: %(feedback)s",
                    rate=int(rate),
                    customer=order_sudo.partner_id.name,
                    feedback=feedback or self.env._("no comment"),
                )
            ),
            user_id=manager.id,
        )
        if order_sudo.company_id.aftersales_low_rating_email and manager.email:
            template = self.env.ref(
                "aftersales.mail_template_low_rating", raise_if_not_found=False
            )
            if template:
                # The customer's rating runs through a public page.
                template_sudo = template.sudo()
                template_sudo.send_mail(order_sudo.id)

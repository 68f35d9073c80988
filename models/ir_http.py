import werkzeug.exceptions

from odoo import models
from odoo.http import request


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _pre_dispatch(cls, rule, args):
        # First, before anything may parse the form out of the body.
        max_body = rule.endpoint.routing.get("aftersales_max_body")
        if max_body:
            cls._aftersales_keep_body(max_body)
        return super()._pre_dispatch(rule, args)

    @classmethod
    def _aftersales_keep_body(cls, max_body):
        """Refuse a body without a length or longer than ``max_body`` before
        anything reads it, else keep its exact bytes for the route.

        Odoo's dispatcher parses form bodies before the route runs, which
        consumes the stream: a route signing or hashing the body would then
        see nothing. Read first and cached, the bytes stay available through
        ``request.httprequest.get_data()`` and werkzeug parses the form from
        that cache. The length must be announced: werkzeug would read a chunked
        body of any size.
        """
        httprequest = request.httprequest
        length = httprequest.content_length
        if length is None:
            status, error = 411, "length_required"
        elif length > max_body:
            status, error = 413, "too_large"
        else:
            httprequest.get_data(cache=True)
            return
        werkzeug.exceptions.abort(
            request.make_json_response({"error": error}, status=status)
        )

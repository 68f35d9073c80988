import werkzeug.exceptions
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

from odoo import models
from odoo.http import request

# The language a logged-in reader chose through a URL prefix (the footer's
# language switcher links so), kept in the session over their preference.
SESSION_CHOSEN_LANG = "aftersales_chosen_lang"


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _match(cls, path):
        # Once per request (a URL rewritten by the language prefix matches
        # again), before http_routing reads the language.
        if not hasattr(request, "is_frontend"):
            cls._aftersales_follow_user_lang(path)
        return super()._match(path)

    @classmethod
    def _aftersales_follow_user_lang(cls, path):
        """Portal pages speak a logged-in user's language.

        http_routing takes the language from the URL, else the
        ``frontend_lang`` cookie, else the session's. The cookie is set by
        every portal page seen, before login too (then in the browser's
        language): a Persian customer stayed in English. Here a logged-in
        reader's cookie is taken as their preference, unless they chose
        another language through the URL in this session."""
        Lang = request.env["res.lang"]
        prefix = path.split("/", 2)[1] if path.startswith("/") else ""
        url_lang = prefix and (
            Lang._get_data(url_code=prefix).code or Lang._get_data(code=prefix).code
        )
        # Read by pages outside http_routing's languages (the approval link).
        request.aftersales_url_lang = url_lang or False
        uid = request.session.uid
        if not uid:
            return
        # The user's own preference, cached per user (no query per request);
        # the session's user is checked later, by the route's authentication.
        user_lang = request.env(user=uid)["res.users"].context_get().get("lang")
        if url_lang:
            if url_lang == user_lang:
                request.session.pop(SESSION_CHOSEN_LANG, None)
            elif request.session.get(SESSION_CHOSEN_LANG) != url_lang:
                request.session[SESSION_CHOSEN_LANG] = url_lang
            return
        wanted = request.session.get(SESSION_CHOSEN_LANG) or user_lang
        if (
            wanted
            and Lang._get_data(code=wanted).code
            and (request.cookies.get("frontend_lang") != wanted)
        ):
            cookies = MultiDict(request.cookies)
            cookies["frontend_lang"] = wanted
            request.cookies = ImmutableMultiDict(cookies)

    @classmethod
    def _aftersales_reader_lang(cls, customer_lang=None):
        """The language of a page outside http_routing's (the approval link,
        the QR pages): the URL's prefix, else the logged-in user's choice or
        preference, else the language the visitor chose on the portal (the
        ``frontend_lang`` cookie; http_routing turns a prefix of the default
        language into it), else ``customer_lang`` (whom the page is for),
        else False (the browser's, as the session has it)."""
        Lang = request.env["res.lang"]
        url_lang = getattr(request, "aftersales_url_lang", False)
        if url_lang:
            return url_lang
        user = request.env.user
        if user and not user._is_public():
            return request.session.get(SESSION_CHOSEN_LANG) or user.lang
        for code in (request.cookies.get("frontend_lang"), customer_lang):
            if code and Lang._get_data(code=code).code:
                return code
        return False

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

import re
from urllib.parse import urljoin, urlsplit

import lxml.html

from odoo import api, models

# Elements that embed another document: a printed form needs none, and what
# they would load (srcdoc, data: documents, plugins) cannot be vetted here.
EMBEDDING_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet"}
# Attributes wkhtmltopdf fetches. Links (<a href>, <area href>) are followed
# only when someone clicks them in the PDF, never while it is rendered.
URL_ATTRIBUTES = {
    "src",
    "href",
    "srcset",
    "data",
    "poster",
    "background",
    "codebase",
    "archive",
    "lowsrc",
    "dynsrc",
    "manifest",
    "icon",
    "profile",
}
LINK_TAGS = {"a", "area"}
# data: URLs are fine for pictures (logos, signatures), never as a script,
# a stylesheet or an SVG document, which could load more.
NO_DATA_TAGS = {"script", "link", "use", "base"}
DATA_IMAGE = re.compile(r"data:image/[a-z0-9.+-]+[;,]", re.IGNORECASE)
SRCSET_DESCRIPTOR = re.compile(r"\d+(\.\d+)?[wx]", re.IGNORECASE)
CSS_COMMENT = re.compile(r"/\*.*?(\*/|$)", re.DOTALL)
CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})[ \t\r\n\f]?|\\(.)", re.DOTALL)
CSS_URL = re.compile(
    r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)"'\s]*))\s*\)""", re.IGNORECASE
)
# What loads a resource from CSS other than url(): refused outright, Odoo's
# layouts use none of them in inline styles.
CSS_OTHER_LOADS = re.compile(
    r"@import|image-set\(|image\(|cross-fade\(|element\(|expression\(|behavior",
    re.IGNORECASE,
)


def _css_unescape(match):
    if match.group(1):
        code = int(match.group(1), 16)
        return chr(code) if 0 < code <= 0x10FFFF else "\ufffd"
    return "" if match.group(2) == "\n" else match.group(2)


class ReportUrlPolicy:
    """Which URLs a report may load while wkhtmltopdf renders it: the data:
    scheme for pictures, and Odoo's own report URL (its CSS, fonts, images).
    Anything else would be fetched by the server: SSRF (review F5)."""

    def __init__(self, base_url):
        self.base_url = base_url
        parts = urlsplit(base_url)
        self.origin = (parts.scheme.lower(), parts.netloc.lower())

    def allows(self, url, tag):
        # What browsers ignore in a URL; backslashes count as slashes.
        url = re.sub(r"[\t\n\r]", "", url).strip(" \x00\x0c").replace("\\", "/")
        if not url or url.startswith("#"):
            return True
        if url[:5].lower() == "data:":
            return tag not in NO_DATA_TAGS and bool(DATA_IMAGE.match(url))
        try:
            parts = urlsplit(urljoin(self.base_url, url))
        except ValueError:
            return False
        return (parts.scheme.lower(), parts.netloc.lower()) == self.origin

    def allows_srcset(self, value, tag):
        # Every word that is not a size descriptor is taken for a URL.
        words = [w for w in re.split(r"[\s,]+", value) if w]
        return all(SRCSET_DESCRIPTOR.fullmatch(w) or self.allows(w, tag) for w in words)

    def allows_css(self, css):
        text = CSS_ESCAPE.sub(_css_unescape, CSS_COMMENT.sub("", css))
        if CSS_OTHER_LOADS.search(text):
            return False
        urls = CSS_URL.findall(text)
        if len(urls) != len(re.findall(r"url\(", text, re.IGNORECASE)):
            return False  # a url( this check cannot read
        return all(self.allows("".join(url), "style") for url in urls)

    def neutralise(self, root):
        """Strip from the tree what would load a remote resource; return
        whether anything was stripped."""
        changed = False
        for element in list(root.iter()):
            if not isinstance(element.tag, str):
                continue  # comments and processing instructions
            tag = element.tag.lower()
            if tag in EMBEDDING_TAGS or self._drops_element(element, tag):
                element.drop_tree()
                changed = True
                continue
            for name, value in list(element.attrib.items()):
                if not self._allows_attribute(tag, name.lower(), value):
                    del element.attrib[name]
                    changed = True
        return changed

    def _drops_element(self, element, tag):
        if tag == "meta":
            return element.get("http-equiv", "").lower() not in ("", "content-type")
        if tag == "style":
            return not self.allows_css(element.text or "")
        if tag == "script":
            # Odoo's own scripts are in the head (page numbers); a script in
            # the body came with the content.
            in_head = any(a.tag == "head" for a in element.iterancestors())
            return not in_head or not self.allows(element.get("src", ""), tag)
        if tag == "base":
            return not self.allows(element.get("href", ""), tag)
        return False

    def _allows_attribute(self, tag, name, value):
        if name.startswith("on"):
            # Event handlers run scripts that fetch; Odoo's layout numbers
            # the pages from <body onload>.
            return tag == "body" and name == "onload"
        if name == "style":
            return self.allows_css(value)
        local = name.rsplit(":", 1)[-1]  # xlink:href
        if local not in URL_ATTRIBUTES or (local == "href" and tag in LINK_TAGS):
            return True
        if local == "srcset":
            return self.allows_srcset(value, tag)
        return self.allows(value, tag)


def neutralise_fragment(html, base_url):
    """An HTML fragment (a field's value) without what would load a resource
    from anywhere but ``base_url`` or a data: picture: stored so, a remote
    image is neither a tracking pixel nor a request from every browser that
    opens the record. Unchanged when nothing had to go."""
    if not html or not isinstance(html, str):
        return html
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    if not ReportUrlPolicy(base_url).neutralise(root):
        return html
    return (root.text or "") + "".join(
        lxml.html.tostring(child, encoding="unicode") for child in root
    )


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    @api.model
    def _aftersales_neutralise_html(self, html, base_url):
        """``html`` without what would load a resource from anywhere but
        ``base_url`` or a data: picture; unchanged when nothing had to go."""
        if not html:
            return html
        tree = lxml.html.document_fromstring(html).getroottree()
        if not ReportUrlPolicy(base_url).neutralise(tree.getroot()):
            return html
        return lxml.html.tostring(
            tree, encoding="unicode", doctype=tree.docinfo.doctype or None
        )

    @api.model
    def _aftersales_isolates(self, report_ref):
        """Whether the report prints aftersales data, which holds customers'
        markup (problem descriptions): then it may load nothing remote."""
        if not report_ref:
            return False
        report = self._get_report(report_ref)
        return (report.model or "").startswith("aftersales.") or (
            report.report_name or ""
        ).startswith("aftersales.")

    def _run_wkhtmltopdf(
        self, bodies, report_ref=False, header=None, footer=None, **kwargs
    ):
        # The last step before wkhtmltopdf: every body, header and footer of
        # the report, whatever template or field produced them.
        if self._aftersales_isolates(report_ref):
            base_url = self._get_report_url()
            bodies = [self._aftersales_neutralise_html(b, base_url) for b in bodies]
            header = self._aftersales_neutralise_html(header, base_url)
            footer = self._aftersales_neutralise_html(footer, base_url)
        return super()._run_wkhtmltopdf(
            bodies, report_ref=report_ref, header=header, footer=footer, **kwargs
        )

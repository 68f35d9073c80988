"""Security review 2026-12-01, findings F14, F5 (rendering) and F21: uploads
are what their bytes say, reports fetch nothing remote, the portal PDF works."""

import base64
import io
import json
import re
import struct
import threading
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image

from odoo import http
from odoo.exceptions import UserError, ValidationError
from odoo.tests import HttpCase, tagged

from .common import FieldCommon

# ------------------------------------------------------------
# Files built in the test: real ones, and the attacks of the report
# ------------------------------------------------------------


def pillow_file(fmt, size=(40, 30), mode="RGB"):
    """A real image of ``fmt``, encoded by Pillow."""
    image = Image.new(mode, size, (200, 40, 40) if mode == "RGB" else 128)
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def noisy_file(fmt, size=(64, 48)):
    """An image with detail, so that its data does not fit in a few bytes."""
    buffer = io.BytesIO()
    Image.effect_noise(size, 60).convert("RGB").save(buffer, fmt)
    return buffer.getvalue()


def box(kind, payload=b""):
    """An ISO base media box: 32-bit size, four-letter type, payload."""
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4_file(brand=b"isom", boxes=None):
    """A minimal MP4 (or MOV with brand ``qt  ``): ftyp, moov with its
    movie header, mdat."""
    ftyp = box(b"ftyp", brand + b"\x00\x00\x02\x00" + brand + b"mp41")
    if boxes is None:
        boxes = [box(b"moov", box(b"mvhd", b"\x00" * 100)), box(b"mdat", b"\x00" * 64)]
    return ftyp + b"".join(boxes)


def ebml(element_id, payload):
    """An EBML element, its size as an 8-byte variable-size integer."""
    return element_id + b"\x01" + len(payload).to_bytes(7, "big") + payload


def webm_file(doctype=b"webm"):
    header = (
        ebml(b"\x42\x86", b"\x01")  # EBMLVersion
        + ebml(b"\x42\xf7", b"\x01")  # EBMLReadVersion
        + ebml(b"\x42\x82", doctype)  # DocType
        + ebml(b"\x42\x87", b"\x04")  # DocTypeVersion
    )
    # A segment of unknown size, as browsers record them, with its info.
    segment = b"\x18\x53\x80\x67\x01\xff\xff\xff\xff\xff\xff\xff"
    info = ebml(b"\x15\x49\xa9\x66", ebml(b"\x2a\xd7\xb1", b"\x0f\x42\x40"))
    return ebml(b"\x1a\x45\xdf\xa3", header) + segment + info


def png_chunk(kind, data):
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data))
    )


def png_claiming(width, height):
    """A tiny PNG whose header claims ``width`` x ``height`` pixels: what a
    decompression bomb looks like before it is decoded."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 4096))
        + png_chunk(b"IEND", b"")
    )


HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
# The three bypasses of the report, byte for byte.
FAKE_JPEG = HTML
FAKE_MP4 = b"AAAAftypisom<html><script>alert(1)</script></html>"
FAKE_WEBM = b"\x1a\x45\xdf\xa3<html><script>alert(1)</script></html>"


def b64(raw):
    return base64.b64encode(raw).decode()


class ContentCommon(FieldCommon):
    """A repair in progress at Center A1, and helpers to upload to it."""

    def _upload(self, order, raw, name, kind="fault", user=None):
        Media = self.env["aftersales.order.media"]
        if user:
            Media = Media.with_user(user)
        return Media.create(
            {"order_id": order.id, "kind": kind, "name": name, "file": b64(raw)}
        )


# ------------------------------------------------------------
# F14 through the model
# ------------------------------------------------------------


@tagged("post_install", "-at_install")
class TestSecUploads(ContentCommon):
    def test_f5_description_stores_no_remote_resource(self):
        """Markup typed or pasted into the description by staff keeps its
        formatting and data: pictures, loses what would load from elsewhere
        (a tracking pixel in every browser that opens the order)."""
        order = self._repair_in_progress().with_user(self.user_technician)
        order.description = (
            '<p>Drum <b>noisy</b> <img src="http://127.0.0.1:8999/pixel.png">'
            ' <img src="data:image/png;base64,iVBORw0KGgo="></p>'
            '<p style="background:url(https://tracker.example/x)">Seen</p>'
        )
        stored = order.sudo().description
        self.assertNotIn("127.0.0.1:8999", stored)
        self.assertNotIn("tracker.example", stored)
        self.assertIn("<b>noisy</b>", stored)
        self.assertIn("data:image/png", stored)
        self.assertIn("Seen", stored)

    def test_f14_content_named_as_media_is_refused(self):
        order = self._repair_in_progress()
        truncated_png = noisy_file("PNG")
        truncated_jpeg = noisy_file("JPEG")
        cases = [
            (FAKE_JPEG, "x.jpg", "fault"),  # HTML named as a photo
            (b"just some text", "notes.png", "before"),
            (FAKE_MP4, "x.mp4", "fault"),  # ftyp at offset 4, nothing else
            (FAKE_WEBM, "x.webm", "fault"),  # the EBML magic, then HTML
            (truncated_png[: len(truncated_png) // 2], "half.png", "after"),
            (truncated_jpeg[: len(truncated_jpeg) // 2], "half.jpg", "after"),
            (b"\xff\xd8\xff\xe0" + HTML, "polyglot.jpg", "fault"),
            (b"GIF89a" + HTML, "polyglot.gif", "fault"),
            # A brand that is not a video (a HEIF still), and a video
            # whose boxes do not hold a movie.
            (mp4_file(b"heic"), "still.mp4", "fault"),
            (mp4_file(boxes=[box(b"free", b"\x00" * 8)]), "empty.mp4", "fault"),
            (
                mp4_file(boxes=[box(b"moov") + b"\x00\x00\x01\x00mdat"]),
                "cut.mp4",
                "fault",
            ),
            (webm_file(b"matroska"), "clip.webm", "fault"),
            (webm_file()[:20], "cut.webm", "fault"),
            # A video is not a document; a picture named as a PDF is not one.
            (mp4_file(), "clip.pdf", "document"),
        ]
        for raw, name, kind in cases:
            with self.subTest(name=name), self.assertRaises(ValidationError) as caught:
                with self.env.cr.savepoint():
                    self._upload(order, raw, name, kind, user=self.user_technician)
            self.assertIn(name, str(caught.exception))
        self.assertFalse(order.media_ids)

    def test_f14_real_files_are_accepted_by_their_content(self):
        order = self._repair_in_progress()
        cases = [
            (pillow_file("JPEG"), "a.jpg", "image/jpeg", "image"),
            (pillow_file("PNG"), "b.png", "image/png", "image"),
            (pillow_file("WEBP"), "c.webp", "image/webp", "image"),
            (pillow_file("GIF", mode="P"), "d.gif", "image/gif", "image"),
            (mp4_file(), "e.mp4", "video/mp4", "video"),
            (mp4_file(b"qt  "), "f.mov", "video/quicktime", "video"),
            (webm_file(), "g.webm", "video/webm", "video"),
            # The name does not decide: a PNG named .jpg is a PNG.
            (pillow_file("PNG"), "named-wrong.jpg", "image/png", "image"),
        ]
        for raw, name, mimetype, media_type in cases:
            with self.subTest(name=name):
                media = self._upload(order, raw, name, user=self.user_technician)
                self.assertEqual(
                    (media.mimetype, media.media_type), (mimetype, media_type)
                )
                if media_type == "image":
                    # The previews are images Pillow wrote, not the upload.
                    for preview in (media.thumbnail, media.image_1024):
                        with Image.open(io.BytesIO(base64.b64decode(preview))) as im:
                            im.verify()
                else:
                    self.assertFalse(media.thumbnail)
        self.assertEqual(len(order._get_approval_page_media()), 5)

    def test_f14_decompression_bombs_are_refused_cleanly(self):
        order = self._repair_in_progress()
        # Above Odoo's 50 Mpx limit, and above Pillow's own bomb threshold.
        for width, height in ((8000, 8000), (20000, 20000)):
            with (
                self.subTest(size=(width, height)),
                self.assertRaises(UserError) as caught,
                self.env.cr.savepoint(),
            ):
                self._upload(order, png_claiming(width, height), "bomb.png")
            self.assertIn("50", str(caught.exception))
        # Just under the limit is a photo like another.
        self.assertEqual(
            self._upload(
                order, pillow_file("PNG", (5000, 2000), "1"), "wide.png"
            ).media_type,
            "image",
        )

    def test_f14_a_pdf_is_a_document_not_a_photo(self):
        order = self._repair_in_progress()
        pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
        manual = self._upload(order, pdf, "manual.pdf", kind="document")
        self.assertEqual(
            (manual.mimetype, manual.media_type), ("application/pdf", "document")
        )
        with self.assertRaises(ValidationError):
            self._upload(order, pdf, "manual.jpg", kind="fault")


# ------------------------------------------------------------
# F14 through the routes
# ------------------------------------------------------------


@tagged("post_install", "-at_install")
class TestSecUploadRoutes(HttpCase, ContentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_portal = cls._create_portal_user("sec_content_customer", cls.customer)

    def _sync(self, *actions):
        self.authenticate("as_tech_a1", "as_tech_a1")
        response = self.url_open(
            "/aftersales/technician/sync",
            data=json.dumps({"actions": list(actions)}),
            headers={
                "Content-Type": "application/json",
                "X-CSRF-Token": http.Request.csrf_token(self),
            },
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 200, response.text)
        return [result["state"] for result in response.json()["results"]]

    def _photo(self, order, raw, name):
        return {
            "id": str(uuid.uuid4()),
            "order_id": order.id,
            "kind": "photo",
            "at": "2026-11-30T09:15:00+03:00",
            "data": {"name": name, "content": b64(raw), "kind": "fault"},
        }

    def test_f14_sync_route_refuses_fake_media(self):
        order = self._repair_in_progress()
        states = self._sync(
            self._photo(order, FAKE_JPEG, "x.jpg"),
            self._photo(order, FAKE_MP4, "x.mp4"),
            self._photo(order, FAKE_WEBM, "x.webm"),
            self._photo(order, pillow_file("JPEG"), "real.jpg"),
            self._photo(order, mp4_file(), "real.mp4"),
        )
        self.assertEqual(states, ["conflict"] * 3 + ["applied"] * 2)
        self.assertEqual(
            sorted(order.media_ids.mapped("mimetype")), ["image/jpeg", "video/mp4"]
        )

    def test_f14_portal_request_refuses_fake_photos(self):
        self.authenticate("sec_content_customer", "sec_content_customer")
        Order = self.env["aftersales.order"]
        before = Order.search([("partner_id", "=", self.customer.id)])

        def request(name, raw, mimetype):
            return self.url_open(
                "/my/service-orders/new",
                data={
                    "csrf_token": http.Request.csrf_token(self),
                    "lot_id": str(self.covered_lot.id),
                    "service_type_id": str(self.type_repair.id),
                    "description": "It leaks.",
                },
                files={"photos": (name, raw, mimetype)},
                allow_redirects=False,
            )

        for name, raw in (("x.jpg", FAKE_JPEG), ("x.webp", b"RIFF" + HTML)):
            with self.subTest(name=name):
                self.assertEqual(request(name, raw, "image/jpeg").status_code, 400)
        self.assertEqual(Order.search([("partner_id", "=", self.customer.id)]), before)
        self.assertEqual(
            request("leak.webp", pillow_file("WEBP"), "image/webp").status_code, 303
        )
        new = Order.search([("partner_id", "=", self.customer.id)]) - before
        self.assertEqual(new.media_ids.mapped("mimetype"), ["image/webp"])

    def test_f14_customer_photos_are_served_as_images_or_downloads(self):
        order = self._order_in_state(
            "awaiting_approval", service_type_id=self.type_install.id
        )
        photo = self._upload(
            order, pillow_file("JPEG", (1600, 1200)), "after.jpg", "after"
        )
        # A preview stored before the content check (the report's media 12):
        # HTML where the photo should be.
        legacy = self._upload(order, pillow_file("PNG"), "legacy.jpg", "after")
        self.env["ir.attachment"].sudo().search(
            [
                ("res_model", "=", legacy._name),
                ("res_id", "=", legacy.id),
                ("res_field", "in", ("thumbnail", "image_1024")),
            ]
        ).write({"raw": HTML})
        base = f"/aftersales/approval/{order.id}/photo"
        token = f"access_token={order.access_token}"
        for size in ("large", "thumb"):
            with self.subTest(size=size):
                served = self.url_open(f"{base}/{photo.id}?{token}&size={size}")
                self.assertEqual(served.status_code, 200)
                self.assertEqual(served.headers["Content-Type"], "image/jpeg")
                self.assertEqual(served.headers["X-Content-Type-Options"], "nosniff")
                self.assertEqual(
                    served.headers["Content-Security-Policy"], "default-src 'none'"
                )
                self.assertNotIn(
                    "attachment", served.headers.get("Content-Disposition", "")
                )
                with Image.open(io.BytesIO(served.content)) as image:
                    self.assertLessEqual(
                        max(image.size), 1024 if size == "large" else 256
                    )
                refused = self.url_open(f"{base}/{legacy.id}?{token}&size={size}")
                self.assertEqual(refused.status_code, 200)
                self.assertTrue(
                    refused.headers["Content-Disposition"].startswith("attachment"),
                    refused.headers,
                )
                self.assertEqual(
                    refused.headers["Content-Type"], "application/octet-stream"
                )
                self.assertEqual(refused.headers["X-Content-Type-Options"], "nosniff")


# ------------------------------------------------------------
# F5 (rendering) and F21
# ------------------------------------------------------------


class Listener:
    """An HTTP server on 127.0.0.1 that records what it is asked for: what
    wkhtmltopdf would fetch from a host inside the network."""

    def __init__(self):
        self.paths = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                listener.paths.append(self.path)
                body = pillow_file("PNG", (2, 2))
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@tagged("post_install", "-at_install")
class TestSecReports(HttpCase, ContentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_portal = cls._create_portal_user("sec_content_customer", cls.customer)

    def setUp(self):
        super().setUp()
        # wkhtmltopdf loads Odoo's own CSS from the report URL: this server.
        self.env["ir.config_parameter"].sudo().set_param("report.url", self.base_url())
        self.listener = Listener()
        self.addCleanup(self.listener.close)

    def _hostile_description(self):
        """What a customer can store in the problem description today,
        through the HTML sanitizer."""
        url = self.listener.url
        return (
            f'<p>Washer broken <img src="{url}/ssrf.png"></p>'
            f'<div style="background-image: url({url}/bg.png); height: 20px">x</div>'
            f'<p><img srcset="{url}/srcset.png 1x"></p>'
            f'<table background="{url}/table.png"><tr><td>y</td></tr></table>'
        )

    def _render(self, report, records):
        return (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(report, records.ids)
        )

    def test_f5_service_form_fetches_nothing_remote(self):
        # Stored as older versions stored it: written today, the description
        # loses its remote resources (test_f5_description_stores_no_remote_
        # resource); the report must not fetch what is still in the database.
        order = self._repair_in_progress()
        self.env.cr.execute(
            "UPDATE aftersales_order SET description = %s WHERE id = %s",
            (self._hostile_description(), order.id),
        )
        order.invalidate_recordset(["description"])
        self.assertIn("/ssrf.png", order.description)
        pdf, kind = self._render("aftersales.action_report_service_order", order)
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        self.assertEqual(self.listener.paths, [], "wkhtmltopdf fetched a remote URL")

    def test_f5_odoo_layout_passes_untouched(self):
        """Odoo's own CSS, fonts, logo and page numbers still load: the
        service form of a plain order reaches wkhtmltopdf as Odoo built it."""
        order = self._repair_in_progress(description="<p>Drum noise</p>")
        Report = self.env["ir.actions.report"]
        report = Report._get_report("aftersales.action_report_service_order")
        html = Report._render_qweb_html(report, order.ids)[0]
        bodies, _ids, header, footer, _args = report._prepare_html(
            html, report_model=report.model
        )
        self.assertIn("/web/assets/", header)
        base = Report._get_report_url()
        for part in (*bodies, header, footer):
            self.assertEqual(Report._aftersales_neutralise_html(part, base), part)

    def test_f5_every_report_of_our_models_fetches_nothing_remote(self):
        url = self.listener.url
        order = self._order_in_state("done", description=self._hostile_description())
        # Markup stored before any sanitizing (or by a field without it):
        # the report still fetches nothing.
        self.env.cr.execute(
            "UPDATE aftersales_order SET description = %s WHERE id = %s",
            (
                f'<link rel="stylesheet" href="{url}/style.css">'
                f'<iframe src="{url}/frame.html"></iframe>'
                f'<object data="{url}/object.swf"></object>'
                f'<style>p {{ background: url("{url}/style-block.png") }}</style>'
                f'<svg><image href="{url}/svg.png" width="9" height="9"/></svg>'
                f'<img src="//127.0.0.1:{url.rsplit(":", 1)[1]}/scheme-relative.png">',
                order.id,
            ),
        )
        order.invalidate_recordset(["description"])
        pdf, _kind = self._render("aftersales.action_report_service_order", order)
        self.assertTrue(pdf.startswith(b"%PDF"))
        sticker, _kind = self._render("aftersales.report_unit_sticker", self.lot)
        self.assertTrue(sticker.startswith(b"%PDF"))
        self.assertEqual(self.listener.paths, [])

    def test_f5_neutralised_html_keeps_local_resources(self):
        Report = self.env["ir.actions.report"]
        base = "http://odoo.example:8069"
        html = (
            "<!DOCTYPE html><html><head>"
            f'<base href="{base}"/>'
            '<link rel="stylesheet" href="/web/assets/1/web.assets.min.css"/>'
            f'<link rel="stylesheet" href="{base}/web/assets/2/x.css"/>'
            '<link rel="stylesheet" href="http://evil.example/x.css"/>'
            '<script src="https://evil.example/x.js"></script>'
            '</head><body onload="subst()">'
            '<img src="data:image/png;base64,iVBORw0KGgo=" alt="logo"/>'
            '<img src="/web/image/res.company/1/logo"/>'
            '<img src="http://evil.example/a.png"/>'
            '<img srcset="/ok.png 1x, /ok2.png 2x"/>'
            '<img srcset="/ok.png 1x, http://evil.example/b.png 2x"/>'
            "<div style=\"background: url('/base/static/img/bg.jpg')\">a</div>"
            '<div style="color: red; background: u\\72l(//evil.example/c.png)">b</div>'
            '<style>@import "http://evil.example/d.css"; p { color: red }</style>'
            "<style>p { color: blue }</style>"
            '<iframe src="/web"></iframe><embed src="x"/>'
            '<a href="https://odoo.com">a link is not a fetch</a>'
            '<meta http-equiv="refresh" content="0;url=http://evil.example/"/>'
            '<svg><image xlink:href="http://evil.example/e.png"/></svg>'
            '<object data="data:text/html,x"></object>'
            "</body></html>"
        )
        clean = Report._aftersales_neutralise_html(html, base)
        self.assertNotIn("evil.example", clean)
        for kept in (
            "/web/assets/1/web.assets.min.css",
            f"{base}/web/assets/2/x.css",
            "data:image/png;base64,iVBORw0KGgo=",
            "/web/image/res.company/1/logo",
            "/ok.png 1x, /ok2.png 2x",
            "/base/static/img/bg.jpg",
            "color: blue",
            'href="https://odoo.com"',
            'onload="subst()"',
            "<!DOCTYPE html>",
        ):
            self.assertIn(kept, clean)
        for removed in ("<iframe", "<embed", "<object", "http-equiv"):
            self.assertNotIn(removed, clean)
        # Nothing to change: the HTML is given back as it was.
        plain = f'<html><head><base href="{base}"/></head><body><p>ok</p></body></html>'
        self.assertEqual(Report._aftersales_neutralise_html(plain, base), plain)

    def _as(self, login):
        session = self.authenticate(login, login)
        # Real PDFs over HTTP: tests otherwise get the HTML fallback.
        session.context["force_report_rendering"] = True
        http.root.session_store.save(session)

    def test_f21_portal_service_form_pdf(self):
        order = self._order_in_state("done", description=self._hostile_description())
        self._as("sec_content_customer")
        url = f"/my/service-orders/{order.id}"
        pdf = self.url_open(f"{url}?report_type=pdf")
        self.assertEqual(pdf.status_code, 200, pdf.text[:500])
        self.assertTrue(pdf.content.startswith(b"%PDF"))
        self.assertEqual(pdf.headers["Content-Type"], "application/pdf")
        filename = re.sub(r"\W+", "_", f"Service Form {order.name}") + ".pdf"
        self.assertIn(filename, pdf.headers["Content-Disposition"])
        download = self.url_open(f"{url}?report_type=pdf&download=true")
        self.assertTrue(
            download.headers["Content-Disposition"].startswith("attachment")
        )
        html = self.url_open(f"{url}?report_type=html")
        self.assertEqual(html.status_code, 200)
        self.assertIn(order.name, html.text)
        self.assertEqual(self.listener.paths, [])
        # Another customer's order stays out of reach.
        other = self._order_in_state(
            "done", partner_id=self.env["res.partner"].create({"name": "Other"}).id
        )
        self.assertEqual(
            self.url_open(f"/my/service-orders/{other.id}?report_type=pdf").status_code,
            404,
        )

    def test_f21_backend_print_of_the_service_form(self):
        order = self._repair_in_progress(description=self._hostile_description())
        # The technician of the order: the least privileged user who prints it.
        self._as("as_tech_a1")
        pdf = self.url_open(f"/report/pdf/aftersales.report_service_order/{order.id}")
        self.assertEqual(pdf.status_code, 200, pdf.text[:500])
        self.assertTrue(pdf.content.startswith(b"%PDF"))
        self.assertEqual(self.listener.paths, [])

import base64

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import PIXEL_PNG, FieldCommon

# A minimal MP4: its file type, the movie (with its header) and its data.
MP4 = base64.b64encode(
    b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    + b"\x00\x00\x00\x10moov\x00\x00\x00\x08mvhd"
    + b"\x00\x00\x00\x10mdat"
    + b"\x00" * 8
)
PDF = base64.b64encode(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF")
EXE = base64.b64encode(b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64)
SVG = base64.b64encode(
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)


@tagged("post_install", "-at_install")
class TestMedia(FieldCommon):
    """Photos, videos and documents of the work, with their kind."""

    def _upload(self, order, file=PIXEL_PNG, user=None, **vals):
        Media = self.env["aftersales.order.media"]
        if user:
            Media = Media.with_user(user)
        return Media.create({"order_id": order.id, "file": file, **vals})

    def test_photos_videos_and_documents_with_their_kind(self):
        order = self._repair_in_progress()
        before = self._upload(
            order, user=self.user_technician, kind="before", name="b.png"
        )
        video = self._upload(
            order, MP4, user=self.user_technician, kind="fault", name="noise.mp4"
        )
        manual = self._upload(order, PDF, kind="document", name="report.pdf")
        self.assertEqual(
            [(m.kind, m.media_type, m.mimetype) for m in (before, video, manual)],
            [
                ("before", "image", "image/png"),
                ("fault", "video", "video/mp4"),
                ("document", "document", "application/pdf"),
            ],
        )
        self.assertEqual(before.technician_id, self.technician_a1)
        self.assertEqual(order.media_count, 3)

    def test_gallery_data(self):
        order = self._repair_in_progress()
        photo = self._upload(order, kind="after")
        video = self._upload(order, MP4, kind="work", name="v.mp4")
        self.assertTrue(photo.thumbnail, "images get a thumbnail")
        self.assertTrue(photo.image_1024)
        self.assertFalse(video.thumbnail, "videos show an icon")
        gallery = order.with_user(self.user_technician).media_ids.read(
            ["kind", "media_type", "thumbnail", "description"]
        )
        self.assertEqual([row["kind"] for row in gallery], ["after", "work"])
        self.assertEqual(order._get_approval_page_media(), photo, "photos only")

    def test_wrong_types_are_refused_and_nothing_is_stored(self):
        order = self._repair_in_progress()
        for file, kind, name in (
            (EXE, "fault", "photo.jpg"),  # a renamed program
            (SVG, "after", "drawing.svg"),  # may carry scripts
            (base64.b64encode(b"just text"), "document", "notes.txt"),
            (MP4, "document", "clip.mp4"),  # a document is a PDF or a picture
        ):
            with self.subTest(name=name), self.assertRaises(ValidationError) as caught:
                self._upload(order, file, kind=kind, name=name)
            self.assertIn(name, str(caught.exception))
        with self.assertRaises(ValidationError):
            self._upload(order, "not base64 at all!", kind="fault")
        # A batch with one bad file stores none of them.
        with self.assertRaises(ValidationError):
            self.env["aftersales.order.media"].create(
                [
                    {"order_id": order.id, "file": PIXEL_PNG, "kind": "before"},
                    {
                        "order_id": order.id,
                        "file": EXE,
                        "kind": "fault",
                        "name": "x.exe",
                    },
                ]
            )
        self.assertFalse(order.media_ids)

    def test_size_limit(self):
        self.company.aftersales_media_max_mb = 1
        order = self._repair_in_progress()
        big = base64.b64encode(
            b"\x00\x00\x00\x18ftypmp42" + b"\x00" * (1024 * 1024 + 1)
        )
        with self.assertRaises(ValidationError) as caught:
            self._upload(order, big, kind="fault", name="long.mp4")
        self.assertIn("1 MB at most", str(caught.exception))
        self.assertFalse(order.media_ids)
        self._upload(order, MP4, kind="fault", name="short.mp4")

    def test_count_limit_counts_active_files(self):
        self.company.aftersales_media_max_count = 2
        order = self._repair_in_progress()
        first = self._upload(order)
        self._upload(order)
        with self.assertRaises(ValidationError) as caught:
            self._upload(order)
        self.assertIn("already has 2", str(caught.exception))
        first.active = False
        self._upload(order)
        self.assertEqual(len(order.media_ids), 2)

    def test_photos_are_kept_with_the_completed_order(self):
        order = self._repair_in_progress()
        photo = self._upload(order, kind="after")
        order.action_done()
        with self.assertRaisesRegex(UserError, "archive them instead"):
            photo.with_user(self.user_center).unlink()
        with self.assertRaisesRegex(UserError, "closed"):
            self._upload(order, user=self.user_technician)
        photo.with_user(self.user_center).active = False
        self.assertFalse(photo.active)
        # The center may still file a document on the closed order.
        self._upload(order, PDF, user=self.user_center, kind="document", name="r.pdf")

    def test_photos_stay_on_their_order(self):
        mine = self._repair_in_progress()
        other = self._repair_in_progress(
            partner_id=self.env["res.partner"].create({"name": "Other"}).id
        )
        photo = self._upload(mine, user=self.user_technician)
        with self.assertRaisesRegex(UserError, "stays on its work order"):
            photo.with_user(self.user_technician).write({"order_id": other.id})
        mine.action_done()
        with self.assertRaisesRegex(UserError, "closed"):
            photo.with_user(self.user_technician).active = False
        mine.action_return("Fault came back")
        with self.assertRaisesRegex(UserError, "kept"):
            photo.with_user(self.user_center).unlink()

    def test_technician_adds_photos_only_to_their_own_orders(self):
        other = self._repair_in_progress()
        other.technician_id = self.technician_a1_bis
        with self.assertRaises(AccessError):
            self._upload(other, user=self.user_technician)
        with self.assertRaises(AccessError):
            self._upload(other, user=self.user_technician_a2)
        photo = self._upload(other)
        self.assertFalse(
            self.env["aftersales.order.media"]
            .with_user(self.user_technician)
            .search([("id", "=", photo.id)])
        )
        with self.assertRaises(AccessError):
            photo.with_user(self.user_technician).read(["file"])

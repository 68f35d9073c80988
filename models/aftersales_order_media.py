import base64
import binascii

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.image import IMAGE_MAX_RESOLUTION

from ..tools.mimetype import (
    DOCUMENT_TYPES,
    IMAGE_TYPES,
    UNKNOWN_TYPE,
    VIDEO_TYPES,
    image_exceeds_resolution,
    inspect_file,
    make_preview,
    verify_image,
)
from .aftersales_order.states import CLOSED_STATES

MEDIA_KINDS = [
    ("before", "Before"),
    ("fault", "Fault"),
    ("after", "After"),
    ("work", "Work Done"),
    ("document", "Document"),
]
PHOTO_KINDS = ("before", "fault", "after", "work")
# What each kind may hold, by detected content type.
ALLOWED_TYPES = {
    **dict.fromkeys(PHOTO_KINDS, IMAGE_TYPES | VIDEO_TYPES),
    "document": DOCUMENT_TYPES,
}
PREVIEW_SIZES = {"image_1024": 1024, "thumbnail": 256}


class AftersalesOrderMedia(models.Model):
    _name = "aftersales.order.media"
    _description = "Work Order Photo or Document"
    _order = "order_id, sequence, id"
    _check_company_auto = True

    order_id = fields.Many2one(
        "aftersales.order",
        string="Work Order",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(related="order_id.company_id", store=True, index=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(
        default=True,
        help="Archive a photo to hide it; photos of completed orders are kept.",
    )
    kind = fields.Selection(MEDIA_KINDS, required=True, default="fault", index=True)
    name = fields.Char(string="File Name", required=True, default="photo.jpg")
    description = fields.Char()
    file = fields.Binary(required=True, attachment=True)
    mimetype = fields.Char(
        string="Type", compute="_compute_file_info", store=True, readonly=True
    )
    file_size = fields.Integer(
        string="Size (bytes)", compute="_compute_file_info", store=True, readonly=True
    )
    media_type = fields.Selection(
        [("image", "Photo"), ("video", "Video"), ("document", "Document")],
        compute="_compute_file_info",
        store=True,
        readonly=True,
    )
    thumbnail = fields.Image(
        compute="_compute_file_info", store=True, max_width=256, max_height=256
    )
    image_1024 = fields.Image(
        string="Large Image",
        compute="_compute_file_info",
        store=True,
        max_width=1024,
        max_height=1024,
    )
    visible_to_customer = fields.Boolean(
        default=True,
        help="Shown to the customer on the approval page when the company "
        "shows photos there.",
    )
    technician_id = fields.Many2one(
        "aftersales.technician",
        string="Taken By",
        compute="_compute_technician_id",
        store=True,
        readonly=False,
        precompute=True,
    )

    # ------------------------------------------------------------
    # Compute methods
    # ------------------------------------------------------------

    @api.depends("file")
    def _compute_file_info(self):
        """Type, size and previews from the file's bytes, decoded once."""
        for media in self:
            raw = media._get_raw_file()
            mimetype, image = inspect_file(raw) if raw else (False, None)
            media.mimetype = mimetype
            media.file_size = len(raw)
            media.media_type = (
                "image"
                if mimetype in IMAGE_TYPES
                else "video"
                if mimetype in VIDEO_TYPES
                else "document"
                if mimetype
                else False
            )
            for field, size in PREVIEW_SIZES.items():
                media[field] = media._make_preview(raw, image, size)

    def _make_preview(self, raw, image, size):
        """The base64 preview of a verified image (WebP as it was verified:
        Odoo keeps WebP images as they are); False for anything else."""
        if self.media_type != "image":
            return False
        if image is None:
            return base64.b64encode(raw)
        try:
            return base64.b64encode(make_preview(image, size))
        except (OSError, ValueError):  # a pixel mode Pillow cannot convert
            return False

    @api.depends("order_id")
    def _compute_technician_id(self):
        for media in self:
            media.technician_id = media.technician_id or media.order_id.technician_id

    def _get_raw_file(self):
        self.ensure_one()
        if not self.file:
            return b""
        # bin_size context would give "12 kB" instead of the content.
        return base64.b64decode(self.with_context(bin_size=False).file)

    # ------------------------------------------------------------
    # Constrains
    # ------------------------------------------------------------

    @api.constrains("file", "kind")
    def _check_file(self):
        for media in self:
            limit_mb = media.company_id.aftersales_media_max_mb or 25
            if media.file_size > limit_mb * 1024 * 1024:
                raise ValidationError(
                    self.env._(
                        "%(file)s is %(size).1f MB: files attached to a work order "
                        "may be %(limit)s MB at most.",
                        file=media.name,
                        size=media.file_size / 1024 / 1024,
                        limit=limit_mb,
                    )
                )
            allowed = ALLOWED_TYPES[media.kind]
            if media.mimetype not in allowed:
                raise ValidationError(
                    self.env._(
                        "%(file)s is not a file a %(kind)s can hold (%(type)s). "
                        "Use a photo (JPEG, PNG, WebP, GIF), a video (MP4, MOV, "
                        "WebM) or, for documents, a PDF.",
                        file=media.name,
                        kind=dict(
                            self._fields["kind"]._description_selection(self.env)
                        )[media.kind],
                        type=media.mimetype or self.env._("empty"),
                    )
                )

    @api.constrains("order_id", "active")
    def _check_count(self):
        counts = dict(
            self.with_context(active_test=True)._read_group(
                [("order_id", "in", self.order_id.ids)], ["order_id"], ["__count"]
            )
        )
        for order in self.order_id:
            limit = order.company_id.aftersales_media_max_count or 30
            if counts.get(order, 0) > limit:
                raise ValidationError(
                    self.env._(
                        "Work order %(order)s already has %(limit)s photos and "
                        "documents, the most it may hold. Archive some first.",
                        order=order.name,
                        limit=limit,
                    )
                )

    # ------------------------------------------------------------
    # Overrides
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._ensure_decodable(vals)
        media = super().create(vals_list)
        media.order_id._ensure_media_editable()
        return media

    def write(self, vals):
        if "order_id" in vals and not self.env.su:
            raise UserError(
                self.env._("A photo stays on its work order: upload it again instead.")
            )
        self._ensure_decodable(vals)
        self.order_id._ensure_media_editable()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_closed_order(self):
        closed = self.filtered(lambda m: m.order_id.state in CLOSED_STATES)
        if closed and not self.env.user.has_group("aftersales.group_manager"):
            raise UserError(
                self.env._(
                    "Photos of closed work orders are kept (%(orders)s): "
                    "archive them instead.",
                    orders=", ".join(closed.order_id.mapped("name")),
                )
            )

    @api.model
    def _ensure_decodable(self, vals):
        """Refuse what cannot be stored before anything is: a damaged
        upload, and an image above Odoo's resolution limit (a decompression
        bomb), which even storing the file would decode."""
        if not vals.get("file"):
            return
        try:
            raw = base64.b64decode(vals["file"])
        except (binascii.Error, ValueError, TypeError) as exc:
            raise ValidationError(
                self.env._("The uploaded file is damaged: upload it again.")
            ) from exc
        if image_exceeds_resolution(raw):
            raise ValidationError(
                self.env._(
                    "%(file)s has more than %(limit)s million pixels: "
                    "reduce the photo's size and upload it again.",
                    file=vals.get("name") or self.env._("The photo"),
                    limit=int(IMAGE_MAX_RESOLUTION / 1e6),
                )
            )

    # ------------------------------------------------------------
    # Customer pages
    # ------------------------------------------------------------

    def _get_customer_stream(self, size="large"):
        """(stream, inline) of the photo for the customer's pages. Inline only
        when the stored preview verifies as an image now: a preview stored
        before uploads were checked by content is a download, never shown."""
        self.ensure_one()
        field = "thumbnail" if size == "thumb" else "image_1024"
        stream = self.env["ir.binary"]._get_image_stream_from(self, field)
        verified = stream.type != "url" and verify_image(stream.read())
        stream.mimetype = verified[0] if verified else UNKNOWN_TYPE
        return stream, bool(verified)

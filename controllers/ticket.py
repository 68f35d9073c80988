"""Service requests from customers: the public web form (no login), the site
QR page and the portal's request pages. Rules live in aftersales.ticket;
routes validate, check access and delegate."""

from .common import AftersalesPortalCommon


class AftersalesTicketPortal(AftersalesPortalCommon):
    pass

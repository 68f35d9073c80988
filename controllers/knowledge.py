"""The knowledge base on the portal, the articles suggested while a customer
writes a request, and the "this solved it" that counts a deflection."""

from .common import AftersalesPortalCommon


class AftersalesKnowledgePortal(AftersalesPortalCommon):
    pass

"""The service request (``aftersales.ticket``): what a customer asks before
(or instead of) work. One model, cut on dependency lines like the work order.

``core`` declares the model: its fields, the ``TRANSITIONS`` table, guards,
workers, the customer found or created from a channel and the hooks the other
files extend. The import order below is the order of the override chains:
the core calls no seam and seams call no other seam.
"""

from . import core  # mail, portal, rating: the request, its states and contacts
from . import routing  # teams, areas of responsibility, who gets the request
from . import sla  # first response and resolution targets of the SLA policies
from . import mail  # the team's e-mail alias, replies, who hears of what
from . import convert  # work orders and contract inquiries made of a request
from . import knowledge  # articles suggested, deflections, articles proposed
from . import portal  # the customer's pages, the public form and the site QR

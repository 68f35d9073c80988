"""The work order (``aftersales.order``): one model, cut on dependency lines.

``core`` declares the model: its fields, states and state groups, the
``TRANSITIONS`` table, guards, workers, customer decisions, visits, photos and
quality control. Each other file extends it with what one dependency brings,
and could become a bridge addon by moving the file (``aftersales_<seam>``).

The import order below is the order of the override chains (the MRO): a file
overrides the workers of the files above it and calls ``super()``. The core
calls no seam and seams call no other seam; what a seam adds to a shared rule
it adds through the core's hooks (``_get_workflow_fields()``,
``_get_sms_events()``, ``_send_sms_event()``, ``_finish_execution()``,
``_technician_app_parts()``, ...).
"""

from . import core  # mail, portal, rating, resource, product, stock.lot
from . import assignment  # which center gets an order, and when it is routed again
from . import stock  # spare parts and their transfers
from . import account  # customer invoices and the center's settlement
from . import sms  # texts to customers and technicians
from . import sale  # the sale a work order comes from
from . import sla  # service-level targets, metrics and ratings
from . import portal  # customer and dealer portal, technician app
from . import contract  # service contracts: coverage, caps, planned visits
from . import workshop  # the service desk's flow: receive, estimate, repair, hand back
from . import desk  # the unit in the desk's stock, parts reserved for the repair
from . import estimate  # the estimate as a quotation, accepted, invoiced at pickup
from . import replacement  # replacing the unit: exchange of serials and warranty
from . import ticket  # the service request the order was made of

"""The service contract (``aftersales.contract``), cut on dependency lines
like the work order: the core (terms, units, state machine, which contract
covers an order), then one file per seam, imported in MRO order.

- ``core``: fields, ``TRANSITIONS``, guards, coverage lookup (mail, portal)
- ``planning``: visits planned by the contract's plan lines (work orders)
- ``account``: contract invoices per billing plan (account)
- ``sale``: renewal offers as quotations (sale)
- ``portal``: the customer's pages and the signed PDF (portal)
- ``coverage``: what the caps used, the open orders a started contract
  covers (the work order's coverage)
"""

from . import core
from . import planning
from . import account
from . import sale
from . import portal
from . import coverage
from . import ticket

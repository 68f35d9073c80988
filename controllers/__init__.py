# One file per concern; the portal pages (approval, portal, QR, dealer) are
# extensions of Odoo's CustomerPortal through common.AftersalesPortalCommon,
# the machine endpoints (SMS webhook, technician app) plain controllers.
from . import common
from . import sms
from . import approval
from . import portal
from . import qr
from . import dealer
from . import technician
from . import contract
from . import estimate
from . import ticket
from . import knowledge

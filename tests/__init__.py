from . import test_order_flow
from . import test_order_rules
from . import test_center
from . import test_technician
from . import test_security
from . import test_multicompany
from . import test_demo
from . import test_ui

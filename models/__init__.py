from . import aftersales_service_type
from . import aftersales_center
from . import aftersales_center_area
from . import aftersales_technician
from . import aftersales_approval
from . import aftersales_order

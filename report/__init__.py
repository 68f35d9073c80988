from . import aftersales_order_analysis
from . import aftersales_order_state_time

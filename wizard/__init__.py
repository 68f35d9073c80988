from . import aftersales_order_reason

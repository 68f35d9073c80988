from . import aftersales_order_reason
from . import aftersales_order_assign
from . import aftersales_order_intake
from . import aftersales_unit_lookup
from . import aftersales_settlement_reopen
from . import aftersales_performance_export
from . import aftersales_contract_cancel

from . import aftersales_order_analysis
from . import aftersales_order_state_time
from . import aftersales_contract_income_report
from . import aftersales_workshop_report
from . import aftersales_ticket_report

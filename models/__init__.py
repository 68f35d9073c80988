from . import res_company
from . import res_config_settings
from . import res_partner
from . import product_category
from . import product_template
from . import stock_lot
from . import aftersales_service_type
from . import aftersales_warranty_type
from . import aftersales_warranty
from . import aftersales_warranty_import
from . import aftersales_performance_mixin

# The work order (a package: its core, then one file per dependency seam).
from . import aftersales_order

# The service contract (a package like the order), its template and lines.
# The service request (a package like the order), its configuration and the
# knowledge base.
from . import aftersales_ticket
from . import aftersales_ticket_stage
from . import aftersales_ticket_category
from . import aftersales_ticket_team
from . import aftersales_ticket_area
from . import aftersales_article
from . import chatbot_script_step

from . import aftersales_contract_template
from . import aftersales_contract
from . import aftersales_contract_unit
from . import aftersales_contract_plan
from . import aftersales_contract_billing
from . import aftersales_center
from . import aftersales_center_area
from . import aftersales_technician
from . import aftersales_assignment_rule
from . import aftersales_approval
from . import aftersales_order_stage
from . import aftersales_order_tag
from . import aftersales_classification
from . import aftersales_sla_policy
from . import rating_rating
from . import aftersales_qr_verification
from . import aftersales_sync_action
from . import aftersales_order_media
from . import aftersales_order_visit
from . import aftersales_order_part
from . import aftersales_resolution_code
from . import aftersales_reject_reason
from . import aftersales_qc_item
from . import aftersales_qc_check
from . import aftersales_qc_check_line
from . import aftersales_tariff
from . import aftersales_tariff_band
from . import aftersales_settlement
from . import aftersales_settlement_line
from . import aftersales_sms_gateway
from . import aftersales_sms_keyword
from . import aftersales_sms_inbound
from . import aftersales_rate_limit
from . import ir_http
from . import sms_sms
from . import mail_notification
from . import sale_order
from . import sale_order_line
from . import stock_move
from . import stock_location
from . import stock_picking
from . import stock_warehouse
from . import account_move
from . import account_move_line
from . import ir_actions_report
from . import res_users

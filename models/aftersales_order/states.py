"""The states of the work order and their groups, each defined once.

Code, the partial index, the reports' SQL and the technician app read these;
tests/test_state_groups.py fails where a view, a query or a script writes out
a copy that drifted. No imports: every file of the addon may import it.
"""

ORDER_STATES = [
    ("new", "New"),
    ("assigned", "Assigned"),
    ("accepted", "Accepted"),
    ("on_the_way", "On the Way"),
    ("in_progress", "In Progress"),
    ("awaiting_approval", "Awaiting Approval"),
    ("done", "Done"),
    ("cancelled", "Cancelled"),
    ("returned", "Returned"),
]
# In a center's hands: these hold a slot of the center's capacity.
OPEN_ORDER_STATES = (
    "assigned",
    "accepted",
    "on_the_way",
    "in_progress",
    "awaiting_approval",
)
# Not finished: what the customer sees as open.
UNFINISHED_STATES = ("new", *OPEN_ORDER_STATES)
CLOSED_STATES = ("done", "cancelled", "returned")
# Closed without the work being completed.
STOPPED_STATES = ("cancelled", "returned")
# From acceptance to the end of the work: parts and visits are still recorded.
EXECUTION_STATES = ("accepted", "on_the_way", "in_progress", "awaiting_approval")
# The technician holds the job (and hears of its changes).
TECHNICIAN_STATES = ("assigned", "accepted", "on_the_way", "in_progress")

# States in which the order is in a center's hands and needs one.
CENTER_STATES = (*OPEN_ORDER_STATES, "done")
# From work start on, what the tariff, the settlement and the on-time score
# read stops changing for users below dispatcher; once the order is closed,
# for every user (only the state machine, as superuser, still writes them).
WORK_STARTED_STATES = (
    "in_progress",
    "awaiting_approval",
    "done",
    "cancelled",
    "returned",
)

# Where the work happens, from the service type: at the customer's address
# (field) or at a service desk that receives the unit (workshop).
WORK_PLACES = [
    ("field", "On Site"),
    ("workshop", "Workshop"),
]

# The workshop flow within the fixed states (models/aftersales_order/workshop.py
# is its state machine): each value belongs to one or more fixed states, and
# the stages (aftersales.order.stage) show them.
WORKSHOP_STATES = [
    ("to_receive", "Awaiting the Unit"),
    ("awaiting_estimate", "Awaiting Cost Estimate"),
    ("estimate_sent", "Estimate Sent"),
    ("no_cost_declared", "No Cost Declared"),
    ("cost_rejected", "Cost Rejected"),
    ("cost_approved", "Cost Approved"),
    ("waiting_parts", "Waiting for Parts"),
    ("repair", "Awaiting Repair"),
    ("awaiting_qc", "Awaiting Quality Check"),
    ("qc_returned", "Returned from Quality Check"),
    ("ready", "Ready for Pickup"),
    ("delivered", "Delivered"),
    ("replaced", "Replaced"),
]
# The unit is at the desk: received and not handed back yet.
WORKSHOP_UNIT_IN_STATES = (
    "awaiting_estimate",
    "estimate_sent",
    "no_cost_declared",
    "cost_rejected",
    "cost_approved",
    "waiting_parts",
    "repair",
    "awaiting_qc",
    "qc_returned",
    "ready",
)
# The customer is asked to decide on the estimate.
WORKSHOP_DECISION_STATES = ("estimate_sent", "no_cost_declared")
# The work may go on to completion (repair approved and parts there).
WORKSHOP_REPAIR_STATES = ("repair", "awaiting_qc", "qc_returned")
# How a workshop job ended.
WORKSHOP_OUTCOMES = [
    ("repaired", "Repaired"),
    ("unrepaired", "Returned Unrepaired"),
    ("replaced", "Replaced"),
]

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

"""The states of a service contract and their groups; import them from here."""

CONTRACT_STATES = [
    ("draft", "Draft"),
    ("running", "Running"),
    ("expired", "Expired"),
    ("cancelled", "Cancelled"),
]

# Contracts that cover work orders and plan visits.
COVERING_STATES = ("running",)
# Contracts that still count against a unit being covered twice.
LIVE_STATES = ("draft", "running")
# Contracts a renewal may follow.
RENEWABLE_STATES = ("running", "expired")

"""Placeholder of the skeleton (issue 19)."""

"""Placeholder of the skeleton (issue 19): the workshop analysis."""

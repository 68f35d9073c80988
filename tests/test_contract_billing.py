"""Placeholder: filled by the issue 18 work."""

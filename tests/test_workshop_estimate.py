"""Issue 19: the workshop flow (estimate). Placeholder of the skeleton."""

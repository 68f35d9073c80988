"""Issue 19: the workshop flow (reports). Placeholder of the skeleton."""

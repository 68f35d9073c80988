"""Issue 19: the workshop flow (replace). Placeholder of the skeleton."""

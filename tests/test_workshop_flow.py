"""Issue 19: the workshop flow (flow). Placeholder of the skeleton."""

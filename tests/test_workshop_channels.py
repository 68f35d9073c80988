"""Issue 19: the workshop flow (channels). Placeholder of the skeleton."""

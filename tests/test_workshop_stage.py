"""Issue 19: the workshop flow (stage). Placeholder of the skeleton."""

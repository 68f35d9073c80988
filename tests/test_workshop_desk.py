"""Issue 19: the workshop flow (desk). Placeholder of the skeleton."""

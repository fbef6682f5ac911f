"""Staff pages: thin views over the do_* actions and tenant-scoped queries."""

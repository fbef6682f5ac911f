"""Staff pages of the closed loop, one module per domain: cases (replies, reports), rules,
improvements (actions), sharing (digests, recognition, the public wall), channels, lost
customers."""

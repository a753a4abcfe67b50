"""Discovery and balancing."""

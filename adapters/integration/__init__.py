"""Integration: the event log leaves the province (NATS JetStream, DVCQG sync)."""

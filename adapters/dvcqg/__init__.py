"""Sync with the national public-service portal (Cổng DVCQG), domain.md §7."""

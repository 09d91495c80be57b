"""Uploaded files: sniffing and normalising to PDF, and the content-addressed store."""

"""Customers and organisations: files in `customers/` (shared/spec.md §13, docs/customers.md)."""

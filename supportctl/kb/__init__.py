"""The knowledge base: articles and categories, their checks, edits, search and ticket links."""

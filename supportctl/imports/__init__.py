"""Transcripts and issues from other channels, parsed into ticket records: chat, calls, GitHub (pure)."""

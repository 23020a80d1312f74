"""Use cases: the only code that locks, loads, acts, saves and commits.

Each function takes a `Session` (desk, actor, clock) and returns a result
object; the CLI, and later the mail channel, automations and an interactive
queue, call these instead of touching the desk themselves.
"""

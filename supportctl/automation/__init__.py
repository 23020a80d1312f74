"""Macros and automations: rule conditions, time triggers, assignment and the changes rules make (pure).

docs/automation.md describes the rules; services/automation.py runs them
against the desk. Nothing here reads the clock, the environment or git:
templates are rendered through a callback the service passes in.
"""

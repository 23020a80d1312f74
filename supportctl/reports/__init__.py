"""Reports: per-ticket metrics, summaries and the internal dashboard (shared/spec.md §11, §12).

Pure functions over tickets, the SLA engine and a `now`: the times come from
the engine's own status timeline and business calendars, so a report and
`sla status` never disagree. Nothing here reads the clock, the disk or git.
"""

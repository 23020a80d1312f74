"""SLA: calendar (working time), timeline (what a history says), engine (the clocks), results,
policy (which policy applies), explain (`sla explain`), escalation (rules applied to a ticket)."""

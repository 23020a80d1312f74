"""The mail channel's domain layer: parse, classify, thread and compose mail, without disk or clock.

Modules, each importable on its own (import what you use; the HTML converter pulls in lxml):
message (parse_message), replies (reply_text), htmltext (html_to_text), headers,
charsets, filenames, classify (automated_reason), bounces (detect_bounce),
threads (ticket tags, candidate ids, titles), sources (iter_messages), outgoing (build_reply).
"""

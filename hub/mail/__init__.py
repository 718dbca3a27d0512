"""Mail: compose from templates, queue in the outbox, deliver after commit, remind.

``compose`` renders a mail in the attendee's language, ``outbox.queue_message`` writes it in
the caller's transaction (``outbox`` also claims rows for delivery), ``delivery.deliver_pending``
sends what is due through ``transports`` (SMTP through Flask-Mail, or .eml files when no server
is configured), at least once, and ``reminders`` queues the reminders that are due, each once.
"""

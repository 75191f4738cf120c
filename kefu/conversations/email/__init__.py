"""E-mail inboxes: IMAP in, SMTP out, threaded into conversations (see services.py)."""

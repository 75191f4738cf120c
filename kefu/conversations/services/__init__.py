"""Writes of conversations, one module per workflow:

visitors    who the visitor is: signed token, identity claim (HMAC) linking a customer
messages    post_message (sequence number + idempotency key, one transaction), replay
lifecycle   start, transfer, take over and reassign, close and auto-close, rating
routing     assign_waiting: the balanced assignment of waiting conversations
"""

"""Notifications: contacts, their channels, and the outbox that reaches them exactly once."""

"""Safeguarding at the edge: the alert desk that applies alert actions for the chat, the dashboard and the jobs."""

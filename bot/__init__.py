"""Cairn's edges and composition root: Telegram, the web server, jobs and settings."""

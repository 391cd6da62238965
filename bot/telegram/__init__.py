"""The Telegram edge: translate updates in, render outcomes out, on the real PTB Application."""

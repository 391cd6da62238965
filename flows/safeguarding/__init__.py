"""Safeguarding: the alert model (who may see, claim, release and resolve; who receives; when it escalates)."""

"""Jobs driven by one repeating JobQueue tick each: they claim work from the database, so a restart loses nothing."""

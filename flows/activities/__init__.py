"""Local activities: the Open Referral UK directory, occurrences, member choices, suggestions and broadcasts."""

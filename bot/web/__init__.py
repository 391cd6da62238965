"""The aiohttp web app Cairn serves beside the bot: the Open Referral UK API (and later the dashboard and health)."""

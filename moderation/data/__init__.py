"""The shipped watchword list, as data (see moderation/watchwords.py)."""

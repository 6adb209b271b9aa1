"""The care pathway: episodes from referral to discharge (the blueprint arrives with issue 12)."""

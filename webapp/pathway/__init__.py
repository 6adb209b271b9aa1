"""The care pathway: one episode per accepted referral, from waiting for assessment to discharge.

`episode.py` and `codes.py` are pure rules and data (the models import them); `queries.py`,
`services.py` and `views.py` (which holds the blueprint, so that importing the pure modules never
pulls in Flask or the models) are the web layer; `demo.py` seeds the demo episodes.
"""

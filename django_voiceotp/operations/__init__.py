"""What operators use: the balance, the gateway page's figures, polling open calls, purging old rows.

The admin and the management commands call these modules; the modules call the rules
(:mod:`django_voiceotp.services`), the models and the gateways, never the other way round.
"""

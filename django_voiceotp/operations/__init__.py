"""What operators use: the balance, the gateway page's figures, polling open calls, purging old rows.

The admin and the management commands call these modules; the modules call ``services``, ``models``
and ``gateway`` and never the other way round (``services`` reaches :mod:`.client` only, a leaf).
"""

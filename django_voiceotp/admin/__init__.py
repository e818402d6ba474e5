"""The admin: challenges and their calls, the fraud guard's blocks, and the gateway page.

Display and operator actions only: the rules stay in :mod:`..services` and :mod:`..guards`, the
balance, the gateway page's figures and polling in :mod:`..operations`.
"""

# Django's autodiscovery imports django_voiceotp.admin; importing each module registers its ModelAdmin.
from . import calls, challenges, prefix_blocks

__all__ = ["calls", "challenges", "prefix_blocks"]

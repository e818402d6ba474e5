"""HTTP for gateway backends that speak it: one pooled session per process with retries only where a
retry cannot cost money (:mod:`.session`), a deadline for a whole request that a gateway answering a
byte at a time cannot stretch (:mod:`.deadline`, :mod:`.transport`), and one POST with its answer
capped and its failures in fixed words (:mod:`.exchange`). Nothing here knows any operator."""

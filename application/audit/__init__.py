"""Auditors' tools: history and time travel, tamper evidence, the PHI access log, exports.

- `chain`: the hash chains the database keeps over every events table and the access log
  (migration 0007), recomputed to verify them;
- `checkpoints`: chain heads signed with an HMAC key kept outside the database;
- `history`: an aggregate's events and its state at a version or recorded time; the feed;
- `access_log`: recording and querying who read which patient's what;
- `export`: self-verifying bundles, and their offline verification.

Functions take the read engine and the applications they need (the composition root's
`Aries` has both); none starts anything of its own.
"""

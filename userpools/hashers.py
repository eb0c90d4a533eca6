"""Argon2id with OWASP's parameters (docs/architecture.md, decision 5): 19 MiB, 2 iterations, 1 lane."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class CognateArgon2PasswordHasher(Argon2PasswordHasher):
    algorithm = "argon2"  # same encoded format; Django re-hashes on sign-in when parameters change
    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1

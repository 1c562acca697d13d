"""The small error hierarchy every entry point maps to an answer."""

from __future__ import annotations


class DomainError(Exception):
    """A command the domain refuses. Nothing was recorded."""


class RuleViolated(DomainError):
    """A named business rule refused the command (the rule name is stable: clients may match it)."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message

    def __reduce__(self):  # keep picklable across processes (workers)
        return (type(self), (self.rule, self.message))


class InvalidValue(RuleViolated):
    """A value (MBI, NPI, ICD-10-CM code, HCPCS code, money amount) that is not well formed."""


class NotFound(DomainError):
    """The aggregate does not exist (or is not visible to the caller's tenant)."""

    def __init__(self, kind: str, id: object) -> None:
        super().__init__(f"{kind} {id} not found")
        self.kind = kind
        self.id = id


def require(condition: bool, rule: str, message: str) -> None:
    """Raise `RuleViolated(rule, message)` unless `condition` holds."""
    if not condition:
        raise RuleViolated(rule, message)

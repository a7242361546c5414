"""Wrong admin passwords slow the guesser down: per client an exponential delay, for all clients a bucket."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

logger = logging.getLogger(__name__)


class Verdict(Enum):
    """What became of one password attempt."""

    ACCEPTED = "accepted"
    WRONG = "wrong"
    TOO_SOON = "too soon"  # refused unchecked: this client (or everyone together) guessed wrong too often


@dataclass(frozen=True)
class Decision:
    """A verdict and how long the client has to wait before its next attempt is checked."""

    verdict: Verdict
    retry_in: float


@dataclass
class _Client:
    wrong: int = 0  # consecutive wrong guesses
    next_at: float = 0.0  # no attempt is checked before this time
    last_at: float = 0.0
    refused: int = 0  # attempts refused unchecked since the last logged wrong guess


class PasswordThrottle:
    """Per client: `free` wrong guesses, then a delay of `delay` seconds doubling up to `max_delay`.

    All clients together (a client name can be forged behind a proxy) may make `burst` wrong guesses at once and
    then one per `delay` seconds. A right password resets its client; one quiet for `forget_after` is forgotten.
    """

    def __init__(self, delay: float = 1.0, max_delay: float = 60.0, *, free: int = 5, burst: int = 10,
                 forget_after: float = 900.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.delay, self.max_delay, self.free, self.burst = delay, max_delay, free, burst
        self.forget_after, self.clock = forget_after, clock
        self._clients: dict[str, _Client] = {}
        self._tokens, self._filled_at = float(burst), clock()
        self._lock = threading.Lock()

    def judge(self, client: str, matches: bool) -> Decision:
        """Record one attempt whose password did (or did not) match, unless it comes too soon to be checked."""
        with self._lock:
            now = self.clock()
            self._refill(now)
            state = self._client(client, now)
            # A right password is refused too while waiting: otherwise an answer's speed would tell it apart.
            wait = max(state.next_at - now, 0.0 if self._tokens >= 1 else self._token_wait())
            if wait > 0:
                state.refused += 1
                return Decision(Verdict.TOO_SOON, wait)
            state.last_at = now
            if matches:
                self._clients.pop(client, None)
                return Decision(Verdict.ACCEPTED, 0.0)
            self._tokens -= 1
            state.wrong += 1
            over = state.wrong - self.free
            retry = min(self.max_delay, self.delay * 2 ** (over - 1)) if over > 0 else 0.0
            state.next_at = now + retry
            logger.warning("%s wrong admin password from %s (%d in a row, %d early tries refused); next try in %.1f s",
                           datetime.now(UTC).isoformat(timespec="seconds"), client or "?", state.wrong,
                           state.refused, retry)
            state.refused = 0
            return Decision(Verdict.WRONG, retry)

    def _client(self, client: str, now: float) -> _Client:
        state = self._clients.get(client)
        if state is None or (now - state.last_at > self.forget_after and now >= state.next_at):
            if len(self._clients) > 10_000:  # a flood of forged names must not grow memory without bound
                self._clients = {k: v for k, v in self._clients.items() if now - v.last_at <= self.forget_after}
            state = self._clients[client] = _Client(last_at=now)
        return state

    def _refill(self, now: float) -> None:
        self._tokens = min(float(self.burst), self._tokens + (now - self._filled_at) / max(self.delay, 1e-9))
        self._filled_at = now

    def _token_wait(self) -> float:
        return (1 - self._tokens) * self.delay

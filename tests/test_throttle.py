"""Wrong admin passwords: free tries, then a doubling wait per client, and a bucket shared by all clients."""

import pytest

from chatbot.throttle import PasswordThrottle, Verdict


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_wrong_guesses_wait_longer_and_longer_up_to_the_cap() -> None:
    clock = Clock()
    throttle = PasswordThrottle(1.0, 8.0, free=2, burst=100, clock=clock)
    waits = []
    for _ in range(7):
        decision = throttle.judge("10.0.0.1", matches=False)
        assert decision.verdict is Verdict.WRONG
        waits.append(decision.retry_in)
        clock.now += decision.retry_in
    assert waits == [0.0, 0.0, 1.0, 2.0, 4.0, 8.0, 8.0]


def test_while_waiting_even_the_right_password_is_refused_unchecked() -> None:
    clock = Clock()
    throttle = PasswordThrottle(1.0, 60.0, free=0, clock=clock)
    assert throttle.judge("a", matches=False).retry_in == 1.0
    clock.now += 0.5
    early = throttle.judge("a", matches=True)
    assert early.verdict is Verdict.TOO_SOON and early.retry_in == pytest.approx(0.5)
    clock.now += 0.5
    assert throttle.judge("a", matches=True).verdict is Verdict.ACCEPTED
    assert throttle.judge("a", matches=False).retry_in == 1.0, "a right password starts the count again"


def test_other_clients_are_not_slowed_by_one_guesser() -> None:
    clock = Clock()
    throttle = PasswordThrottle(1.0, 60.0, free=0, clock=clock)
    throttle.judge("attacker", matches=False)
    assert throttle.judge("attacker", matches=True).verdict is Verdict.TOO_SOON
    assert throttle.judge("admin", matches=True).verdict is Verdict.ACCEPTED


def test_forged_client_names_share_one_bucket() -> None:
    clock = Clock()
    throttle = PasswordThrottle(0.5, 60.0, free=5, burst=4, clock=clock)
    verdicts = [throttle.judge(f"forged-{n}", matches=False).verdict for n in range(6)]
    assert verdicts == [Verdict.WRONG] * 4 + [Verdict.TOO_SOON] * 2
    clock.now += 0.5  # one more guess per `delay` seconds
    assert throttle.judge("forged-9", matches=False).verdict is Verdict.WRONG
    assert throttle.judge("forged-10", matches=False).verdict is Verdict.TOO_SOON


def test_a_quiet_client_is_forgotten() -> None:
    clock = Clock()
    throttle = PasswordThrottle(1.0, 60.0, free=1, forget_after=900, clock=clock)
    throttle.judge("a", matches=False)
    assert throttle.judge("a", matches=False).retry_in == 1.0
    clock.now += 901
    assert throttle.judge("a", matches=False).retry_in == 0.0


def test_each_wrong_guess_is_logged_with_time_and_client(caplog: pytest.LogCaptureFixture) -> None:
    throttle = PasswordThrottle(1.0, 60.0, free=0, clock=Clock())
    throttle.judge("192.0.2.7", matches=False)
    throttle.judge("192.0.2.7", matches=False)  # refused unchecked: counted in the next line, not a line of its own
    (record,) = [r for r in caplog.records if "wrong admin password" in r.getMessage()]
    assert "192.0.2.7" in record.getMessage() and "T" in record.getMessage().split()[0]

import logging

import pytest

from brug.core.logs import log_failure


def test_failures_are_logged_with_type_and_place_but_not_their_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = 'Failing row contains (7, in, text, "my father beats me", 987654321)'
    try:
        raise ValueError(secret)
    except ValueError as exc:
        with caplog.at_level(logging.ERROR):
            log_failure(logging.getLogger("brug.test"), "update 7 failed", exc)
    assert "update 7 failed: ValueError (message withheld)" in caplog.text
    assert "test_logs.py" in caplog.text, "the traceback frames are kept"
    assert "my father" not in caplog.text and "987654321" not in caplog.text

"""portal.settings: numbers from the environment, one clear error for a malformed value."""
from __future__ import annotations

import pytest

from portal.settings import SettingError, env_float, env_int


def test_unset_or_blank_gives_the_default():
    assert env_int({}, "N", 7) == 7 and env_int({"N": "  "}, "N", 7) == 7
    assert env_float({}, "F", 2.5) == 2.5 and env_float({"F": ""}, "F", 2.5) == 2.5


def test_a_value_is_read_and_checked():
    assert env_int({"N": " 42 "}, "N", 7) == 42 and env_float({"F": "0.25"}, "F", 2.5) == 0.25
    assert env_int({"PORT": "65535"}, "PORT", 1, low=1, high=65535) == 65535


@pytest.mark.parametrize("call, message", [
    (lambda: env_int({"N": "ten"}, "N", 7), "N must be a whole number, not 'ten'"),
    (lambda: env_int({"N": "1.5"}, "N", 7), "N must be a whole number, not '1.5'"),
    (lambda: env_int({"PORT": "70000"}, "PORT", 1, 1, 65535, "a TCP port (1-65535)"),
     "PORT must be a TCP port (1-65535), not 70000"),
    (lambda: env_int({"N": "0"}, "N", 7, low=1), "N must be at least 1, not 0"),
    (lambda: env_int({"N": "9"}, "N", 7, low=1, high=5), "N must be between 1 and 5, not 9"),
    (lambda: env_float({"F": "soon"}, "F", 1.0), "F must be a number, not 'soon'"),
    (lambda: env_float({"F": "-1"}, "F", 1.0), "F must be positive"),
    (lambda: env_float({"F": "nan"}, "F", 1.0), "F must be positive"),
])
def test_a_malformed_value_is_a_clear_error(call, message):
    with pytest.raises(SettingError) as error:
        call()
    assert str(error.value) == message

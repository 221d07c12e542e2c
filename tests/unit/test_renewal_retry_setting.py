"""The renewal retry schedule is a setting: checked when saved, used by the renewals."""

from __future__ import annotations

import pytest

from billing_tui.domain.errors import ValidationFailed
from billing_tui.services import app_settings, subscriptions


@pytest.mark.parametrize(("typed", "saved"), [("1,3,7", "1,3,7"), (" 2 ; 5, 9 ", "2,5,9"), ("4", "4")])
def test_an_increasing_list_of_days_is_accepted_and_normalised(typed: str, saved: str) -> None:
    assert app_settings.check_setting("renewal_retry_days", typed) == (saved, None)


@pytest.mark.parametrize("typed", ["", "3,1", "0,2", "1,1", "x", "1,200", "1.5"])
def test_anything_else_is_refused_with_an_example(typed: str) -> None:
    value, reason = app_settings.check_setting("renewal_retry_days", typed)
    assert reason is not None and "e.g. 1,3,7" in reason


def test_the_renewals_use_the_saved_schedule_and_a_refused_one_changes_nothing(ctx) -> None:  # type: ignore[no-untyped-def]
    assert subscriptions.retry_days(ctx) == (1, 3, 7)
    app_settings.update_settings(ctx, {"renewal_retry_days": "2,4"})
    assert subscriptions.retry_days(ctx) == (2, 4)
    with pytest.raises(ValidationFailed):
        app_settings.update_settings(ctx, {"renewal_retry_days": "5,1"})
    assert subscriptions.retry_days(ctx) == (2, 4)

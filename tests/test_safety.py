"""The safety check logic (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from formcheck.core import safety

CODES = safety.RED_FLAG_CODES


def all_no():
    return {c: False for c in CODES}


def test_the_guides_warning_signs_are_all_asked():
    assert set(CODES) == {
        "bladder_bowel",
        "saddle_numbness",
        "fever",
        "leg_weakness",
        "abdominal_pain",
        "sudden_severe_pain",
        "weight_loss",
    }
    for f in safety.RED_FLAGS:
        assert f.question.endswith("?") and f.short


def test_all_no_is_clear():
    r = safety.evaluate(all_no())
    assert not r.blocked and r.urgency is None and r.message() == ""


@pytest.mark.parametrize("code", CODES)
def test_any_single_yes_blocks(code):
    r = safety.evaluate({**all_no(), code: True})
    assert r.blocked
    assert "exercise" in r.message()


@given(st.dictionaries(st.sampled_from(CODES), st.booleans(), min_size=len(CODES), max_size=len(CODES)))
def test_blocked_exactly_when_some_answer_is_yes(answers):
    r = safety.evaluate(answers)
    assert r.blocked == any(answers.values())


def test_urgent_symptoms_come_first():
    r = safety.evaluate({**all_no(), "weight_loss": True, "bladder_bowel": True})
    assert r.urgency == safety.EMERGENCY
    msg = r.message()
    assert msg.index("bladder") < msg.index("weight")
    assert "emergency" in msg


def test_today_only_symptoms_say_see_a_doctor_today():
    r = safety.evaluate({**all_no(), "fever": True})
    assert r.urgency == safety.TODAY and "today" in r.message()


@pytest.mark.parametrize("missing", [None, "drop"])
def test_unanswered_questions_are_not_a_no(missing):
    answers = all_no()
    if missing is None:
        answers["fever"] = None
    else:
        del answers["fever"]
    with pytest.raises(safety.IncompleteAnswers):
        safety.evaluate(answers)


def test_pain_advice():
    assert safety.pain_advice(None, 3) is None
    assert "went up from 2 to 5" in safety.pain_advice(2, 5)
    assert "down" in safety.pain_advice(5, 3)
    assert "stayed" in safety.pain_advice(3, 3)
    assert safety.pain_before_advice(8) and safety.pain_before_advice(3) is None
    assert safety.pain_words(0) == "no pain" and safety.pain_words(10)

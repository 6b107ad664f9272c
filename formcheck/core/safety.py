"""The pre-exercise safety check: warning signs that need a doctor, not an exercise. Pure module.

The warning signs come from the guide's list of symptoms that need urgent care; every
sentence here is written for formcheck. Any "yes" blocks exercising for the rest of the day
unless the person explicitly records that a professional has already checked it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: One line shown on every page.
DISCLAIMER = (
    "formcheck gives feedback on exercise form only. It cannot diagnose anything and does not "
    "replace a doctor or physiotherapist."
)

#: Urgency levels, most urgent first.
EMERGENCY = "emergency"
TODAY = "today"


@dataclass(frozen=True)
class RedFlag:
    """One warning sign: a stable ``code``, the yes/no ``question`` and how urgent a "yes" is."""

    code: str
    question: str
    short: str
    urgency: str


RED_FLAGS: tuple[RedFlag, ...] = (
    RedFlag(
        "bladder_bowel",
        "Since your back pain began, have you lost control of your bladder or bowels, or found you cannot pass urine?",
        "losing control of your bladder or bowels",
        EMERGENCY,
    ),
    RedFlag(
        "saddle_numbness",
        "Do you have numbness or a pins-and-needles feeling around your groin, genitals, buttocks or inner thighs?",
        "numbness around the groin or buttocks",
        EMERGENCY,
    ),
    RedFlag(
        "leg_weakness",
        "Is one of your legs (or both) clearly weak, or getting weaker?",
        "weakness in the legs that is marked or getting worse",
        EMERGENCY,
    ),
    RedFlag(
        "sudden_severe_pain",
        "Did a severe pain start suddenly, without a movement, lift or fall that explains it?",
        "sudden, severe pain with no movement or injury to explain it",
        EMERGENCY,
    ),
    RedFlag(
        "abdominal_pain",
        "Do you have severe pain in your stomach or belly?",
        "severe pain in the stomach or belly",
        EMERGENCY,
    ),
    RedFlag(
        "fever",
        "Do you have a fever, or feel hot and shivery, as well as the back pain?",
        "a fever together with back pain",
        TODAY,
    ),
    RedFlag(
        "weight_loss",
        "Have you lost weight recently without trying to?",
        "losing weight without trying",
        TODAY,
    ),
)

RED_FLAG_CODES = tuple(f.code for f in RED_FLAGS)
_BY_CODE = {f.code: f for f in RED_FLAGS}

EMERGENCY_ADVICE = (
    "Please do not exercise. Get medical help now: call your local emergency number or go to an "
    "emergency department. These signs can mean a nerve or another serious problem that needs to be "
    "checked straight away, even if the pain itself feels manageable."
)
TODAY_ADVICE = (
    "Please do not exercise today. Contact a doctor today and tell them about these symptoms, "
    "so that an infection or another illness can be ruled out."
)

ACKNOWLEDGEMENT_TEXT = (
    "A doctor or physiotherapist has already checked these symptoms and told me that these exercises are safe for me."
)

#: Pain scale wording (0-10), shown next to the slider.
PAIN_WORDS = {
    0: "no pain",
    1: "very mild",
    2: "mild",
    3: "mild",
    4: "moderate",
    5: "moderate",
    6: "quite bad",
    7: "bad",
    8: "very bad",
    9: "severe",
    10: "worst imaginable",
}

#: A rise of this many points from before to after a set deserves a word of caution.
PAIN_RISE_WARN = 2
#: Pain at or above this before starting deserves a gentle note.
PAIN_HIGH = 7


@dataclass
class SafetyResult:
    """The outcome of one safety check."""

    answers: dict[str, bool]
    flagged: list[RedFlag] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return bool(self.flagged)

    @property
    def urgency(self) -> str | None:
        if any(f.urgency == EMERGENCY for f in self.flagged):
            return EMERGENCY
        return TODAY if self.flagged else None

    def message(self) -> str:
        """What to do, most urgent first (empty when nothing was flagged)."""
        if not self.flagged:
            return ""
        urgent = [f for f in self.flagged if f.urgency == EMERGENCY]
        soon = [f for f in self.flagged if f.urgency != EMERGENCY]
        parts = []
        if urgent:
            parts.append("You said yes to: " + "; ".join(f.short for f in urgent) + ". " + EMERGENCY_ADVICE)
        if soon:
            lead = "You also said yes to: " if urgent else "You said yes to: "
            advice = "Mention these too when you get help." if urgent else TODAY_ADVICE
            parts.append(lead + "; ".join(f.short for f in soon) + ". " + advice)
        return "\n\n".join(parts)


class IncompleteAnswers(ValueError):
    """Not every question was answered."""


def evaluate(answers: dict[str, bool | None]) -> SafetyResult:
    """Judge a set of answers ``{code: True (yes) / False (no)}``.

    Raises :class:`IncompleteAnswers` if a question is missing or unanswered (``None``):
    a warning sign must never be skipped by leaving it blank.
    """
    missing = [c for c in RED_FLAG_CODES if answers.get(c) is None]
    if missing:
        raise IncompleteAnswers("Please answer every question (missing: " + ", ".join(missing) + ").")
    clean = {c: bool(answers[c]) for c in RED_FLAG_CODES}
    flagged = sorted(
        (_BY_CODE[c] for c in RED_FLAG_CODES if clean[c]),
        key=lambda f: (f.urgency != EMERGENCY, RED_FLAG_CODES.index(f.code)),
    )
    return SafetyResult(answers=clean, flagged=flagged)


def pain_words(score: int | None) -> str:
    return "" if score is None else PAIN_WORDS.get(int(score), "")


def pain_advice(before: int | None, after: int | None) -> str | None:
    """A short note about the change in pain over a set, or None when there is nothing to say."""
    if before is None or after is None:
        return None
    if after - before >= PAIN_RISE_WARN:
        return (
            f"Your pain went up from {before} to {after}. Rest now and do fewer or gentler repetitions next time. "
            "If it stays worse or new symptoms appear, talk to a doctor or physiotherapist before exercising again."
        )
    if after > before:
        return f"Your pain went up a little ({before} → {after}). Keep the next set gentle and stop if it keeps rising."
    if after < before:
        return f"Your pain went down from {before} to {after}. Well done."
    return f"Your pain stayed at {after}."


def pain_before_advice(before: int | None) -> str | None:
    if before is not None and before >= PAIN_HIGH:
        return (
            "Your pain is high right now. It is fine to rest today or to do only a few gentle repetitions; "
            "stop straight away if it gets worse."
        )
    return None

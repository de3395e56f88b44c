"""The one way structlearn writes a file: whole or not at all.

Every file the project writes (saved networks, histories, benchmark curves and reports, the data
cache) goes through :func:`atomic_write`: the bytes go to a temporary file in the destination's
folder, are flushed to disk, and only then replace the destination with :func:`os.replace`, which
is atomic on POSIX and Windows. A crash or a full disk leaves the old file (or none), never half
of a new one, and never a stray temporary file.
"""
from __future__ import annotations

import contextlib
import os
import stat
import tempfile

__all__ = ["atomic_write", "open_regular"]


def atomic_write(path, data=None, *, writer=None, mode=0o644, fsync=True):
    """Write ``path`` atomically from ``data`` or from ``writer(fh)``.

    Parameters
    ----------
    path : str or os.PathLike
        Destination; its folder must exist.
    data : bytes or str, optional
        The whole content (``str`` is written as UTF-8).
    writer : callable, optional
        ``writer(fh)`` writes the content into the binary file object ``fh`` (for
        ``numpy.savez``, a streamed download, ...). Exactly one of ``data`` and ``writer``.
    mode : int, default 0o644
        Permissions of the new file (``mkstemp`` would make it private).
    fsync : bool, default True
        Flush the file to disk before the rename, so a power cut cannot leave an empty file
        under the final name.

    Returns
    -------
    str
        ``path`` as a string.
    """
    if (data is None) == (writer is None):
        raise TypeError("atomic_write: give exactly one of data and writer")
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            if writer is not None:
                writer(fh)
            else:
                fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    return path


def open_regular(path, *, error=ValueError):
    """A binary file object for ``path``, refused unless it is a regular file.

    Opened non-blocking and checked with ``fstat`` before anything is read: a FIFO does not
    block the caller, ``/dev/zero`` is not read until memory runs out. Every reader of a file
    a user or another process may have put there (networks, histories, IDX files, result rows)
    opens it this way.

    Parameters
    ----------
    path : str or os.PathLike
    error : type, default ValueError
        The exception raised for a file that is not regular (callers with an error type of
        their own, such as the results store, pass it).
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise error(f"{os.fspath(path)}: not a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise

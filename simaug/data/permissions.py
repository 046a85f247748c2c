"""File modes that follow the user's umask.

``tempfile`` creates files 0600 and folders 0700 (private by design). Files that end up in
a data root or a run folder shared by a group must get the modes an ordinary ``open`` /
``mkdir`` would give them: 0666 / 0777 minus the umask (0644 / 0755 for umask 022, 0664 /
0775 for umask 002).
"""
from __future__ import annotations

import os


def current_umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux ``/proc``)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    old = os.umask(0o022)  # elsewhere: set and restore (not thread-safe, but brief)
    os.umask(old)
    return old


def follow_umask(path: os.PathLike, directory: bool = False) -> None:
    """Give ``path`` the mode ``open`` (0666) or ``mkdir`` (0777) would have, minus the umask."""
    os.chmod(path, (0o777 if directory else 0o666) & ~current_umask())

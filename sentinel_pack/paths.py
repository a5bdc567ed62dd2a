"""One containment rule for untrusted folders: a path, every link on the way resolved, stays inside its root.

Template folders, built solutions and the folders ``import`` reads all use it, so a symlink
cannot carry a file from outside (``/etc/passwd``, ``~/.ssh/...``) into an output.
"""

from __future__ import annotations

from pathlib import Path


def is_inside(path: Path, root: Path) -> bool:
    """Whether ``path`` (links resolved, a chain of them included) ends inside ``root`` (itself resolved).

    A link loop never ends anywhere, so it is not inside either.
    """
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # RuntimeError: Python before 3.13 reports a link loop so
        return False

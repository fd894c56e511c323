"""Data of the embedded default is private to the user running cxloop: 0600 files, 0700 folders.

The folder under ./var holds the SQLite database (customer text), the generated API and session
keys, the Redis files and the outbox of alerts; nobody else on the machine may read them.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
UMASK = 0o077  # for processes (redis-server, SQLite's WAL files) that create files themselves


def private_dir(path: Path) -> Path:
    """Create the folder and any missing parents as 0700; folders that exist are left alone."""
    for folder in reversed([path, *path.parents]):
        if not folder.exists():
            folder.mkdir(mode=DIR_MODE, exist_ok=True)
            os.chmod(folder, DIR_MODE)  # mkdir's mode is filtered by the umask
    return path


def private_file(path: Path) -> Path:
    """Create the file empty as 0600 (in private folders) if missing; else leave it alone."""
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return path
    os.fchmod(fd, FILE_MODE)
    os.close(fd)
    return path


def own_data_dir(path: Path) -> Path:
    """Make cxloop's own data folder 0700 even if an older version created it open."""
    private_dir(path)
    os.chmod(path, DIR_MODE)
    return path

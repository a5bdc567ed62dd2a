"""Reproducible zip files, as flit_core writes wheels: sorted entries, fixed time and mode."""

from __future__ import annotations

import io
import time
import zipfile

#: The earliest and the latest timestamp a zip entry can hold (MS-DOS date and time).
ZIP_EARLIEST = 315532800  # 1980-01-01T00:00:00Z
ZIP_LATEST = 4354819198  # 2107-12-31T23:59:58Z


def deterministic_zip(files: dict[str, bytes], timestamp: int) -> bytes:
    """The same ``files`` and ``timestamp`` always give the same bytes."""
    date_time = time.gmtime(min(max(timestamp, ZIP_EARLIEST), ZIP_LATEST))[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the mode bits below are honoured
            info.external_attr = (0o100644 & 0xFFFF) << 16
            archive.writestr(info, files[name], compresslevel=9)
    return buffer.getvalue()


def zip_members(data: bytes) -> dict[str, bytes]:
    """The content of a zip we wrote or will overwrite: name -> bytes."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}

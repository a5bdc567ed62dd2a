"""sentinel-pack: build, validate and diff Microsoft Sentinel solution packages."""

__version__ = "0.1.0"

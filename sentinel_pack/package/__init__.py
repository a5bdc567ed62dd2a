"""Packaging: the build, the reproducible zip, atomic writes, releases and version bumps."""

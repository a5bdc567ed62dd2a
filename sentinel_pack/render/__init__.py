"""Rendering: the sandboxed Jinja environment and the filters that write JSON, ARM and Markdown."""

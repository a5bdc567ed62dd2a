"""The manifest: loading solution.yaml safely, checking it, and deriving every repeated value once."""

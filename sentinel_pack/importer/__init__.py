"""``sentinel-pack import``: from an Azure-Sentinel solution folder to a manifest."""

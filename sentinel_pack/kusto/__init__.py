"""KQL checked by Microsoft's Kusto.Language, run in an embedded V8 (mini-racer).

``engine`` owns the one V8 context of the process; ``schema`` turns the tables and functions a
query may read into a database for it; ``transform`` holds the KQL subset ingestion-time
transformations accept. Nothing here is imported by ``sentinel-pack --help``.
"""

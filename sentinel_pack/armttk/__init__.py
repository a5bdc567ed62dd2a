"""arm-ttk's tests, offline: the ARM expression parser, template scopes and one check per test.

``expr`` parses expressions, ``template`` finds the scope that evaluates each string,
``deployment``/``ids``/``ui`` hold the checks; ``sentinel_pack.validate.rules_armttk`` registers
them as SP6xx rules. Vendored data (function list, apiVersions) is in ``data/`` with its provenance.
"""

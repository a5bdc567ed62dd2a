"""``sentinel-pack validate``: the offline pull-request gate, one small rule per check."""

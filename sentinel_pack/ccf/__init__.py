"""CCF's own vocabulary: the verbatim manifest sections and the provider schema that checks them."""

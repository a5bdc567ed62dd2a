"""Speed without changing a verdict: an on-disk result cache, a cfn-lint helper process, a process pool."""

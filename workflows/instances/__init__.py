"""Looking after running process instances as a process designer: one instance's data, a
retry of its failed step, cancelling it, and moving instances between versions of their
process (one, or all of a version as a background job with results)."""

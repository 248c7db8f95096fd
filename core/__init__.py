"""Shared kernel: settings, database plumbing, unit of work, clock and errors."""

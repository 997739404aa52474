"""Pieces shared by both fakes: clock, seeded random source, journal, faults, errors, admin API, servers."""

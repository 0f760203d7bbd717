"""Test helpers: a scripted store (operations without I/O), the test tiers and their guard,
raw access to a store for tests that must write what graphmem never would.

Nothing here is imported by `graphmem`; `tiers` imports only pytest, so it can be loaded as a
plugin (`-p tests.helpers.tiers`) into a pytest run of its own.
"""

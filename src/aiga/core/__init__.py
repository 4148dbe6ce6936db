"""Machinery shared by every system; imports nothing system-specific."""

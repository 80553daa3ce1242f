"""Test helpers shared by integration and browser tests: live servers and sandbox controls."""

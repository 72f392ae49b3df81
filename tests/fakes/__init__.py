"""Test doubles and loopback servers for the runner and backend tests."""

"""Prove a person holds a phone number by calling it and reading out a short code."""

__version__ = "0.1.0"

"""Permanent display links per branch room, and pairing a TV with a short code."""

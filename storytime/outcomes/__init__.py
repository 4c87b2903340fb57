"""Outcome check-ins: what caregivers say storytime changed."""

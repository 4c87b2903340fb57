"""The JSON API under /api/v1, for the pages' scripts and for staff scripts."""

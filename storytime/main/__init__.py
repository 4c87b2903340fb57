"""The front door: the home page, the code box and the health check."""

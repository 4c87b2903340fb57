"""The admin's pages: staff, branches and install-wide settings."""

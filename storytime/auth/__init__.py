"""Staff accounts: login, logout, first-run setup, API tokens and role checks."""

"""Beat's periodic jobs: token refresh, analytics roll-up, retention, and the slot claims that
keep each of them to one run per interval."""

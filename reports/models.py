"""Monthly reports and exports arrive with the reports issue; the app reads signals only."""

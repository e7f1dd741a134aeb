"""Open-data releases: Frictionless Data Packages of k-anonymous microdata and DP aggregate tables, and their checks."""

"""Demo data for "Lumen Mobile", a fictional telecom: a seeded generator and the exports it writes."""

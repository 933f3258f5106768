# Atelier portal tests: unit tests (test_module) and routes (test_portal).

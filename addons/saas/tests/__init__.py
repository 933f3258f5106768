# Atelier saas tests: unit tests (test_module) and the proteus scenario.

"""The JSON Schema of the thresholds file, shipped with the package."""

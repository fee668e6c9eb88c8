"""The thresholds file (YAML, version 1) to a Policy; strict, and every problem is named by its key path.

The parts: `types` (the Policy), `shape` (the file's keys, kinds, bounds, defaults and descriptions, defined
once), `yaml_loader` (YAML to data, bounded), `reader` (the file to data), `problems` (how problems are
collected and named), `parse` and `history_section` (data to a Policy, checked against the shape), `load`
(a path to a Policy: where PyYAML and the checker are loaded, on first use) and `schema` (the JSON Schema,
generated from the shape). Nothing is imported here: a gate with no config file loads `types` alone.
"""

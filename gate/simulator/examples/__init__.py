"""The example scenarios shipped with the simulator (`playdash-gate demo --list` names them)."""

"""Reporters: one module per sink, each turning an Outcome into text for it. None calls the API."""

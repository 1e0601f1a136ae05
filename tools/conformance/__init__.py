"""Generators and adapters for the conformance kit in spec/conformance/ (they need torch)."""

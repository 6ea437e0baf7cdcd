"""Graph passes: pure functions Graph -> Graph, listed in order in mnc/passes/pipeline.py."""

"""Compiler passes, one module each; ``pavedroad.query.pipeline.PASSES`` holds their order."""

"""Distances, shortest paths and tour solvers over plain matrices.

``routing`` never imports the knowledge graph or the planner: it works on site ids,
coordinates, distance tables and matrices handed to it.
"""

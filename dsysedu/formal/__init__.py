"""Formal models: interleavings, Petri nets, a small pi-calculus reducer, proofs with z3.

Import the modules themselves (``from dsysedu.formal import petri``); nothing heavy is
loaded here.
"""

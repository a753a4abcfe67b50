"""Formal models: interleavings, Petri nets, a small pi-calculus reducer, proofs with z3, and
proofs checked step by step from axioms (:mod:`.deduction`).

Import the modules themselves (``from dsysedu.formal import petri``); nothing heavy is
loaded here.
"""

"""Protocols: node classes written against :class:`dsysedu.sim.Node`."""

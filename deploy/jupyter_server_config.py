"""Each learner's Jupyter server: cull idle kernels (a chapter's and every Voila page's).

A Voila page starts a kernel per page load (about 150 MiB); a learner who closes the tab leaves it
running until it is culled. The hub's idle culler (cull.* in the values file) stops whole servers;
this stops kernels inside a server that is still in use.
"""
c = get_config()  # noqa: F821
c.MappingKernelManager.cull_idle_timeout = 20 * 60     # seconds idle before a kernel is shut down
c.MappingKernelManager.cull_interval = 60              # how often to look
c.MappingKernelManager.cull_connected = False          # keep a kernel whose notebook tab is still open

# nbgrader's JupyterLab extension serves teachers in JupyterLab; inside a Voila page it and the
# Notebook 7 extension it brings fail ("The getter for the shared module is not a function"), and
# dashboards need neither
c.VoilaConfiguration.extension_denylist = ["@jupyter/nbgrader", "@jupyter-notebook/lab-extension"]

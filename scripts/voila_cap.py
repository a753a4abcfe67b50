"""A kernel manager for Voila that refuses a page once ``max_kernels`` kernels are running.

Every page load of a Voila dashboard starts a kernel (150-360 MB here). Culling shuts idle
kernels down after a while; this cap bounds what a burst of page loads can take before
that: the page load that would start one kernel too many gets HTTP 503 ("the server is
busy") instead. Used by ``scripts/dashboards.sh`` through
``--VoilaConfiguration.multi_kernel_manager_class=voila_cap.CappedKernelManager``.
"""
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Int


class CappedKernelManager(AsyncMappingKernelManager):
    """``AsyncMappingKernelManager`` with a cap on running kernels (``max_kernels``, 0 = no cap)."""

    max_kernels = Int(16, config=True, help="At most this many kernels at once; 0 means no cap.")

    async def start_kernel(self, *args, **kwargs):
        if kwargs.get("kernel_id") is None and self.max_kernels > 0 and len(self.list_kernel_ids()) >= self.max_kernels:
            raise web.HTTPError(503, f"{self.max_kernels} dashboards are open on this server (the cap, "
                                     f"CappedKernelManager.max_kernels); close one or wait for idle ones to be culled")
        return await super().start_kernel(*args, **kwargs)

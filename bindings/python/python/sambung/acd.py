"""The ACD scheduler in simulated time with its CMS figures, and capacity-planning runs."""

from ._sambung import Scheduler, simulate

__all__ = ["Scheduler", "simulate"]

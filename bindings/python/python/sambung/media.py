"""G.711 and Opus on 16-bit little-endian PCM bytes, and the adaptive jitter buffer."""

from ._sambung import G711, JitterBuffer, Opus

__all__ = ["G711", "JitterBuffer", "Opus"]

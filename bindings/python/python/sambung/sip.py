"""SIP messages (parse, read, build, serialise) and SDP offer/answer."""

from ._sambung import Message, sdp_answer, sdp_offer

__all__ = ["Message", "sdp_answer", "sdp_offer"]

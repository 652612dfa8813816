"""Sambung, a telephony SDK: SIP, media, ACD and CMS, recording — from Python.

>>> from sambung import sip
>>> sip.Message.parse(b"garbage")
Traceback (most recent call last):
  ...
sambung.ParseError: ...
"""

from ._sambung import Error, ParseError
from . import acd, media, recording, sip

__all__ = ["Error", "ParseError", "acd", "media", "recording", "sip"]

"""Search the recordings index of a data folder."""

from typing import Any, Optional

from ._sambung import Index

__all__ = ["Index", "search"]


def search(
    data_folder: str,
    *,
    number: Optional[str] = None,
    number_prefix: Optional[str] = None,
    agent: Optional[str] = None,
    service: Optional[str] = None,
    from_ms: Optional[int] = None,
    to_ms: Optional[int] = None,
    limit: Optional[int] = None,
    offset: Optional[int] = None,
) -> dict[str, Any]:
    """One page of the recordings in ``data_folder`` that match, newest first."""
    return Index(data_folder).search(
        number=number,
        number_prefix=number_prefix,
        agent=agent,
        service=service,
        from_ms=from_ms,
        to_ms=to_ms,
        limit=limit,
        offset=offset,
    )

//! A new SDP offer inside an established call (re-INVITE or UPDATE, RFC 3264 §8, RFC 3311):
//! the same media answered with the directions the offer asks for, and whether it puts us on
//! hold. Shared by [`crate::uas::IncomingCall`] and [`crate::uac::OutgoingCall`].

use std::net::SocketAddr;

use crate::sdp::Sdp;
use crate::sdp::negotiate::reanswer;

/// What a re-offer changes.
pub(crate) struct Reoffer {
    /// Our answer (our last SDP with new directions and a higher version).
    pub(crate) answer: String,
    /// The peer puts us on hold (or keeps us there).
    pub(crate) held: bool,
    /// Where the peer now wants audio, if it says.
    pub(crate) remote: Option<SocketAddr>,
}

/// Answers `body`, an SDP offer, from `ours`, the SDP we last sent; the status to refuse with
/// (488) if the offer does not parse.
pub(crate) fn answer(body: &[u8], ours: &str) -> Result<Reoffer, u16> {
    let offer = Sdp::parse(body).map_err(|_| 488u16)?;
    let answer = reanswer(ours, &offer).ok_or(488u16)?;
    let remote = offer
        .media
        .iter()
        .find(|m| m.kind == "audio" && m.port != 0)
        .and_then(|m| offer.rtp_address(m))
        .filter(|a| !a.ip().is_unspecified());
    Ok(Reoffer {
        answer,
        held: offer.is_hold(),
        remote,
    })
}

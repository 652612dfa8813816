//! One leg's audio: G.711 RTP in (decoded, held for the next 20 ms tick) and out (encoded from
//! the tick's samples), with our own sequence numbers, timestamps and SSRC. Keys come three
//! ways (PBX-3): RFC 4733 telephone-events when both sides agreed on them, in-band tones
//! (Goertzel, `sambung_media::dtmf::InbandDetector`) when they did not, and SIP INFO bodies
//! handed in by the call ([`MediaLeg::push_digit`]).

use std::collections::VecDeque;
use std::net::SocketAddr;

use sambung_media::codec::{Codec, G711, Law};
use sambung_media::dtmf::{EventReceiver, InbandDetector, TelephoneEvent};
use sambung_media::rtp::{RtpHeader, RtpPacket};
use tokio::net::UdpSocket;

/// Samples in one 20 ms frame at 8 kHz.
pub(crate) const FRAME: usize = 160;
/// The same, as RTP timestamp units.
const FRAME_TICKS: u32 = 160;
/// Audio held for the next tick, at most (one second).
const MAX_PENDING: usize = 8000;
/// Audio gathered before playing starts, and again after running dry: two frames (40 ms),
/// so packets that arrive a little late or in bursts do not cut the audio into pieces.
const PRIME: usize = 2 * FRAME;

/// A codec and where to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LegMedia {
    pub(crate) payload_type: u8,
    pub(crate) law: Law,
    pub(crate) remote: SocketAddr,
    /// The telephone-event payload type, when both sides use RFC 4733 events.
    pub(crate) telephone_event: Option<u8>,
}

impl LegMedia {
    /// The agreed audio of a negotiation, if it is G.711.
    pub(crate) fn of(m: &sambung_sip::sdp::negotiate::NegotiatedMedia) -> Option<Self> {
        let codec = m.codec.as_ref()?;
        let law = match codec.name.to_ascii_uppercase().as_str() {
            "PCMA" => Law::A,
            "PCMU" => Law::Mu,
            _ => return None,
        };
        Some(Self {
            payload_type: codec.payload_type,
            law,
            remote: m.remote?,
            telephone_event: m.telephone_event,
        })
    }
}

/// One leg's audio state.
pub(crate) struct MediaLeg {
    codec: G711,
    media: LegMedia,
    heard: VecDeque<i16>,
    /// Playing out of `heard` (false until [`PRIME`] samples have gathered).
    primed: bool,
    header: RtpHeader,
    scratch: Vec<i16>,
    events: EventReceiver,
    /// Keys in the audio, listened for when no telephone-events were agreed.
    inband: Option<InbandDetector>,
    /// Keys pressed, oldest first, at most [`MAX_DIGITS`].
    digits: VecDeque<char>,
}

/// Keys held until read.
const MAX_DIGITS: usize = 32;

impl MediaLeg {
    /// A leg sending and receiving `media`; `seed` randomises sequence, timestamp and SSRC.
    pub(crate) fn new(media: LegMedia, seed: [u8; 8]) -> Self {
        Self {
            codec: G711::new(media.law),
            media,
            heard: VecDeque::with_capacity(MAX_PENDING),
            primed: false,
            header: RtpHeader {
                marker: true,
                payload_type: media.payload_type,
                sequence: u16::from_le_bytes([seed[0], seed[1]]),
                timestamp: u32::from_le_bytes([seed[2], seed[3], seed[4], seed[5]]),
                ssrc: u32::from_le_bytes([seed[4], seed[5], seed[6], seed[7]]),
            },
            scratch: Vec::with_capacity(FRAME),
            events: EventReceiver::new(),
            inband: None,
            digits: VecDeque::new(),
        }
    }

    /// Listens for keys in the audio too, when no telephone-events were agreed — on the legs
    /// whose keys are read (the caller's), since the detector runs on every frame.
    pub(crate) fn listening_for_tones(mut self) -> Self {
        if self.media.telephone_event.is_none() {
            self.inband = Some(InbandDetector::new());
        }
        self
    }

    /// A key pressed some other way (a SIP INFO body).
    pub(crate) fn push_digit(&mut self, digit: char) {
        if self.digits.len() < MAX_DIGITS {
            self.digits.push_back(digit);
        }
    }

    /// Sends to `remote` from now on (the peer moved its media in a re-offer).
    pub(crate) fn set_remote(&mut self, remote: SocketAddr) {
        self.media.remote = remote;
    }

    /// The oldest key the peer pressed and nobody has read yet.
    pub(crate) fn take_digit(&mut self) -> Option<char> {
        self.digits.pop_front()
    }

    /// A datagram from the peer: decoded into the waiting audio if it carries the agreed codec.
    pub(crate) fn receive(&mut self, datagram: &[u8]) {
        let Ok(packet) = RtpPacket::parse(datagram) else {
            return;
        };
        if Some(packet.payload_type) == self.media.telephone_event {
            let digit = TelephoneEvent::parse(packet.payload)
                .ok()
                .and_then(|e| self.events.push(packet.timestamp, e));
            if let Some(d) = digit
                && self.digits.len() < MAX_DIGITS
            {
                self.digits.push_back(d.digit);
            }
            return;
        }
        if packet.payload_type != self.media.payload_type {
            return; // not the agreed audio
        }
        self.scratch.clear();
        if self.codec.decode(packet.payload, &mut self.scratch).is_ok() {
            if let Some(detector) = self.inband.as_mut() {
                for (digit, _) in detector.push(&self.scratch) {
                    if self.digits.len() < MAX_DIGITS {
                        self.digits.push_back(digit);
                    }
                }
            }
            self.heard.extend(self.scratch.iter().copied());
            let excess = self.heard.len().saturating_sub(MAX_PENDING);
            self.heard.drain(..excess);
        }
    }

    /// The next 20 ms of what the peer sent (silence where nothing came, and while the first
    /// [`PRIME`] samples gather).
    pub(crate) fn take_frame(&mut self) -> Vec<i16> {
        if !self.primed && self.heard.len() < PRIME {
            return vec![0; FRAME];
        }
        self.primed = self.heard.len() >= FRAME;
        let take = self.heard.len().min(FRAME);
        let mut frame: Vec<i16> = self.heard.drain(..take).collect();
        frame.resize(FRAME, 0);
        frame
    }

    /// Sends 20 ms of audio to the peer.
    pub(crate) async fn send_frame(&mut self, socket: &UdpSocket, pcm: &[i16]) {
        let mut payload = Vec::with_capacity(FRAME);
        if self.codec.encode(pcm, &mut payload).is_ok() {
            let mut packet = Vec::with_capacity(12 + FRAME);
            self.header.write(&payload, &mut packet);
            let _ = socket.send_to(&packet, self.media.remote).await;
            self.header.marker = false;
            self.header.sequence = self.header.sequence.wrapping_add(1);
            self.header.timestamp = self.header.timestamp.wrapping_add(FRAME_TICKS);
        }
    }
}

/// A prompt played frame by frame, then silence.
pub(crate) struct Prompt {
    samples: std::sync::Arc<[i16]>,
    played: usize,
}

impl Prompt {
    /// `samples` from the start.
    pub(crate) fn new(samples: std::sync::Arc<[i16]>) -> Self {
        Self { samples, played: 0 }
    }

    /// The next 20 ms (silence after the end).
    pub(crate) fn next_frame(&mut self) -> Vec<i16> {
        let mut frame: Vec<i16> = self
            .samples
            .get(self.played..)
            .unwrap_or_default()
            .iter()
            .take(FRAME)
            .copied()
            .collect();
        self.played += frame.len();
        frame.resize(FRAME, 0);
        frame
    }

    /// Whether all of it has been played.
    pub(crate) fn done(&self) -> bool {
        self.played >= self.samples.len()
    }

    /// The next 20 ms, starting over at the end (music on hold).
    pub(crate) fn next_frame_looping(&mut self) -> Vec<i16> {
        if self.done() {
            self.played = 0;
        }
        self.next_frame()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leg(telephone_event: Option<u8>) -> MediaLeg {
        MediaLeg::new(
            LegMedia {
                payload_type: 8,
                law: Law::A,
                remote: SocketAddr::from(([127, 0, 0, 1], 9)),
                telephone_event,
            },
            [1; 8],
        )
    }

    /// `pcm` as A-law RTP packets of 20 ms.
    fn packets(pcm: &[i16]) -> Vec<Vec<u8>> {
        let mut codec = G711::new(Law::A);
        let mut header = RtpHeader {
            marker: false,
            payload_type: 8,
            sequence: 1,
            timestamp: 0,
            ssrc: 7,
        };
        pcm.chunks(FRAME)
            .map(|chunk| {
                let mut payload = Vec::new();
                codec.encode(chunk, &mut payload).unwrap();
                let mut packet = Vec::new();
                header.write(&payload, &mut packet);
                header.sequence += 1;
                header.timestamp += FRAME_TICKS;
                packet
            })
            .collect()
    }

    #[test]
    fn in_band_keys_are_heard_only_without_telephone_events() {
        let mut pcm = sambung_media::dtmf::generate('2', 100, 8000).unwrap();
        pcm.resize(pcm.len() + 800, 0);
        pcm.extend(sambung_media::dtmf::generate('#', 100, 8000).unwrap());
        pcm.resize(pcm.len() + 800, 0);
        let mut without = leg(None).listening_for_tones();
        let mut with = leg(Some(101)).listening_for_tones();
        let mut not_listening = leg(None);
        for p in packets(&pcm) {
            without.receive(&p);
            with.receive(&p);
            not_listening.receive(&p);
        }
        assert_eq!(
            std::iter::from_fn(|| without.take_digit()).collect::<String>(),
            "2#"
        );
        assert_eq!(
            with.take_digit(),
            None,
            "RFC 4733 was agreed: tones are just audio"
        );
        assert_eq!(
            not_listening.take_digit(),
            None,
            "an agent's leg: nobody reads its keys"
        );
        with.push_digit('7');
        assert_eq!(with.take_digit(), Some('7'));
    }
}

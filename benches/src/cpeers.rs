//! The C libraries from Debian that the media benchmark runs beside sambung-media: spandsp's
//! G.711, speexdsp's jitter buffer and libopus called directly. Each is wrapped in a small
//! safe type here so that the benchmark itself holds no `unsafe`.
//!
//! This is the one place in the workspace outside the bindings that calls C: the peers are C
//! libraries, and calling them is what is measured.
#![allow(unsafe_code)]

use std::ffi::{c_char, c_int, c_void};
use std::ptr::NonNull;

#[repr(C)]
struct SpeexPacket {
    data: *mut c_char,
    len: u32,
    timestamp: u32,
    span: u32,
    sequence: u16,
    user_data: u32,
}

#[link(name = "spandsp")]
unsafe extern "C" {
    fn g711_init(s: *mut c_void, mode: c_int) -> *mut c_void;
    fn g711_free(s: *mut c_void) -> c_int;
    fn g711_encode(s: *mut c_void, g711: *mut u8, amp: *const i16, len: c_int) -> c_int;
    fn g711_decode(s: *mut c_void, amp: *mut i16, g711: *const u8, len: c_int) -> c_int;
}

#[link(name = "speexdsp")]
unsafe extern "C" {
    fn jitter_buffer_init(step: c_int) -> *mut c_void;
    fn jitter_buffer_destroy(jb: *mut c_void);
    fn jitter_buffer_put(jb: *mut c_void, packet: *const SpeexPacket);
    fn jitter_buffer_get(
        jb: *mut c_void,
        packet: *mut SpeexPacket,
        desired_span: i32,
        start_offset: *mut i32,
    ) -> c_int;
    fn jitter_buffer_tick(jb: *mut c_void);
}

/// spandsp's `G711_ULAW` mode.
const SPANDSP_ULAW: c_int = 1;
/// spandsp's `G711_ALAW` mode.
const SPANDSP_ALAW: c_int = 0;

/// A spandsp G.711 context (`g711_init`, `g711_encode`, `g711_decode`).
#[derive(Debug)]
pub struct SpandspG711 {
    state: NonNull<c_void>,
}

impl SpandspG711 {
    /// A µ-law (`ulaw = true`) or A-law context; `None` if spandsp could not allocate one.
    pub fn new(ulaw: bool) -> Option<Self> {
        let mode = if ulaw { SPANDSP_ULAW } else { SPANDSP_ALAW };
        // SAFETY: a null state asks spandsp to allocate one; the result is checked for null.
        let state = unsafe { g711_init(std::ptr::null_mut(), mode) };
        NonNull::new(state).map(|state| Self { state })
    }

    /// Encodes `pcm` into `out` (at least as long); returns the codes written.
    pub fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> usize {
        let n = pcm.len().min(out.len());
        let len = c_int::try_from(n).unwrap_or(0);
        // SAFETY: both buffers hold at least `len` elements; the state is live.
        let written =
            unsafe { g711_encode(self.state.as_ptr(), out.as_mut_ptr(), pcm.as_ptr(), len) };
        usize::try_from(written).unwrap_or(0)
    }

    /// Decodes `codes` into `out` (at least as long); returns the samples written.
    pub fn decode(&mut self, codes: &[u8], out: &mut [i16]) -> usize {
        let n = codes.len().min(out.len());
        let len = c_int::try_from(n).unwrap_or(0);
        // SAFETY: both buffers hold at least `len` elements; the state is live.
        let written =
            unsafe { g711_decode(self.state.as_ptr(), out.as_mut_ptr(), codes.as_ptr(), len) };
        usize::try_from(written).unwrap_or(0)
    }
}

impl Drop for SpandspG711 {
    fn drop(&mut self) {
        // SAFETY: the state came from g711_init with a null argument, so spandsp owns it.
        unsafe {
            g711_free(self.state.as_ptr());
        }
    }
}

/// What [`SpeexJitter::get`] gave for one tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpeexGet {
    /// A packet: its timestamp, its `user_data` and its length (copied into the buffer).
    Packet {
        /// RTP timestamp.
        timestamp: u32,
        /// What was stored with it.
        user_data: u32,
        /// Payload bytes.
        len: usize,
    },
    /// Nothing to play: conceal.
    Missing,
}

/// speexdsp's jitter buffer (`jitter_buffer_init` … `jitter_buffer_tick`), used as its
/// documentation says: `put` as packets arrive; once per frame `get`, then `tick`.
#[derive(Debug)]
pub struct SpeexJitter {
    jb: NonNull<c_void>,
    span: u32,
}

/// The largest payload [`SpeexJitter::get`] copies out.
pub const SPEEX_MAX_PAYLOAD: usize = 1500;

impl SpeexJitter {
    /// A buffer for frames of `span` timestamp units.
    pub fn new(span: u32) -> Option<Self> {
        // SAFETY: plain constructor; the result is checked for null.
        let jb = unsafe { jitter_buffer_init(c_int::try_from(span).unwrap_or(160)) };
        NonNull::new(jb).map(|jb| Self { jb, span })
    }

    /// Hands a packet to the buffer, which copies its payload.
    pub fn put(&mut self, sequence: u16, timestamp: u32, payload: &[u8], user_data: u32) {
        let packet = SpeexPacket {
            // speexdsp only reads through this pointer on put.
            data: payload.as_ptr().cast_mut().cast(),
            len: u32::try_from(payload.len()).unwrap_or(0),
            timestamp,
            span: self.span,
            sequence,
            user_data,
        };
        // SAFETY: the packet and its payload are valid for the call; speexdsp copies the data.
        unsafe { jitter_buffer_put(self.jb.as_ptr(), &raw const packet) };
    }

    /// Takes the frame for this tick into `out`, then advances the buffer's clock one frame.
    pub fn get_and_tick(&mut self, out: &mut [u8; SPEEX_MAX_PAYLOAD]) -> SpeexGet {
        let mut packet = SpeexPacket {
            data: out.as_mut_ptr().cast(),
            len: u32::try_from(out.len()).unwrap_or(0),
            timestamp: 0,
            span: 0,
            sequence: 0,
            user_data: 0,
        };
        let mut offset: i32 = 0;
        let span = i32::try_from(self.span).unwrap_or(160);
        // SAFETY: `out` has room for SPEEX_MAX_PAYLOAD bytes and every payload put is smaller;
        // the packet and offset outlive the call.
        let status = unsafe {
            let status =
                jitter_buffer_get(self.jb.as_ptr(), &raw mut packet, span, &raw mut offset);
            jitter_buffer_tick(self.jb.as_ptr());
            status
        };
        if status == 0 {
            SpeexGet::Packet {
                timestamp: packet.timestamp,
                user_data: packet.user_data,
                len: usize::try_from(packet.len).unwrap_or(0),
            }
        } else {
            SpeexGet::Missing
        }
    }
}

impl Drop for SpeexJitter {
    fn drop(&mut self) {
        // SAFETY: the buffer came from jitter_buffer_init and is destroyed once.
        unsafe { jitter_buffer_destroy(self.jb.as_ptr()) };
    }
}

/// libopus called directly, with the settings sambung-media's `Opus` uses (voice application, mono, in-band
/// FEC on, 10% expected loss), for the wrapper's overhead.
#[derive(Debug)]
pub struct DirectOpus {
    encoder: NonNull<audiopus_sys::OpusEncoder>,
    decoder: NonNull<audiopus_sys::OpusDecoder>,
}

impl DirectOpus {
    /// A mono encoder and decoder at `rate` Hz.
    pub fn new(rate: i32) -> Option<Self> {
        let mut error: c_int = 0;
        // SAFETY: constructors that report through `error`; results are checked.
        unsafe {
            let encoder = NonNull::new(audiopus_sys::opus_encoder_create(
                rate,
                1,
                audiopus_sys::OPUS_APPLICATION_VOIP,
                &raw mut error,
            ))?;
            audiopus_sys::opus_encoder_ctl(
                encoder.as_ptr(),
                audiopus_sys::OPUS_SET_INBAND_FEC_REQUEST,
                1,
            );
            audiopus_sys::opus_encoder_ctl(
                encoder.as_ptr(),
                audiopus_sys::OPUS_SET_PACKET_LOSS_PERC_REQUEST,
                10,
            );
            let Some(decoder) =
                NonNull::new(audiopus_sys::opus_decoder_create(rate, 1, &raw mut error))
            else {
                audiopus_sys::opus_encoder_destroy(encoder.as_ptr());
                return None;
            };
            Some(Self { encoder, decoder })
        }
    }

    /// Encodes one frame of `pcm` into `out`; returns the packet length (0 on error).
    pub fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> usize {
        // SAFETY: the buffers' lengths are passed with them; the encoder is live.
        let n = unsafe {
            audiopus_sys::opus_encode(
                self.encoder.as_ptr(),
                pcm.as_ptr(),
                c_int::try_from(pcm.len()).unwrap_or(0),
                out.as_mut_ptr(),
                i32::try_from(out.len()).unwrap_or(0),
            )
        };
        usize::try_from(n).unwrap_or(0)
    }

    /// Decodes `packet` into `out`; returns the samples written (0 on error).
    pub fn decode(&mut self, packet: &[u8], out: &mut [i16]) -> usize {
        // SAFETY: the buffers' lengths are passed with them; the decoder is live.
        let n = unsafe {
            audiopus_sys::opus_decode(
                self.decoder.as_ptr(),
                packet.as_ptr(),
                i32::try_from(packet.len()).unwrap_or(0),
                out.as_mut_ptr(),
                c_int::try_from(out.len()).unwrap_or(0),
                0,
            )
        };
        usize::try_from(n).unwrap_or(0)
    }
}

impl Drop for DirectOpus {
    fn drop(&mut self) {
        // SAFETY: both came from their create functions and are destroyed once.
        unsafe {
            audiopus_sys::opus_encoder_destroy(self.encoder.as_ptr());
            audiopus_sys::opus_decoder_destroy(self.decoder.as_ptr());
        }
    }
}

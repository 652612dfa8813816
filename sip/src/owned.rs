//! Messages that outlive their receive buffer.

use bytes::Bytes;

use crate::error::ParseError;
use crate::message::{Message, ParseOptions};

self_cell::self_cell!(
    struct Cell {
        owner: Bytes,
        #[covariant]
        dependent: Message,
    }
    impl {Debug}
);

/// A parsed message that owns its bytes (a cheaply clonable [`Bytes`]), for messages kept past
/// the buffer they arrived in: in a transaction, a dialog, or a queue. Share one with `Arc`.
#[derive(Debug)]
pub struct OwnedMessage(Cell);

impl OwnedMessage {
    /// Parses `bytes` as one datagram and keeps them.
    pub fn parse(bytes: Bytes) -> Result<Self, ParseError> {
        Cell::try_new(bytes, |b| Message::parse_with(b, ParseOptions::default())).map(Self)
    }

    /// The parsed message, borrowing from the owned bytes.
    pub fn message(&self) -> &Message<'_> {
        self.0.borrow_dependent()
    }

    /// The bytes it was parsed from.
    pub fn bytes(&self) -> &Bytes {
        self.0.borrow_owner()
    }
}

impl Message<'_> {
    /// An owned copy: the canonical bytes of this message, parsed again.
    pub fn to_owned_message(&self) -> Result<OwnedMessage, ParseError> {
        OwnedMessage::parse(Bytes::from(self.to_bytes()))
    }
}

//! The one error type of the bindings' surface.

/// What kind of failure an [`Error`] is; each binding maps it to its language's exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A SIP message did not parse (`ParseError` in every language).
    Parse {
        /// The status a server should answer with; `None` for a bad response (dropped).
        response_code: Option<u16>,
        /// Byte offset of the fault.
        offset: usize,
    },
    /// An argument is out of range or names no known value (Python `ValueError`, JS
    /// `RangeError`).
    InvalidArgument,
    /// The core refused the operation (`sambung.Error` and its counterparts).
    Core,
}

/// A failure, with the core's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    /// An error of `kind` saying `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// A bad argument.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }

    /// A refusal by the core, with its error's message and causes.
    pub(crate) fn core(e: &dyn std::error::Error) -> Self {
        let mut message = e.to_string();
        let mut source = e.source();
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        Self::new(ErrorKind::Core, message)
    }

    /// Its kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Its message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// For a parse error, the status a server should answer with.
    pub fn response_code(&self) -> Option<u16> {
        match self.kind {
            ErrorKind::Parse { response_code, .. } => response_code,
            _ => None,
        }
    }

    /// For a parse error, the byte offset of the fault.
    pub fn offset(&self) -> Option<usize> {
        match self.kind {
            ErrorKind::Parse { offset, .. } => Some(offset),
            _ => None,
        }
    }
}

impl From<sambung_sip::ParseError> for Error {
    fn from(e: sambung_sip::ParseError) -> Self {
        Self::new(
            ErrorKind::Parse {
                response_code: e.response_code(),
                offset: e.offset(),
            },
            e.to_string(),
        )
    }
}

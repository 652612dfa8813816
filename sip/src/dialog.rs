//! Dialogs (RFC 3261 §12): created by a request and the response that establishes it, they
//! keep the route set, both CSeq counters and the remote target, build in-dialog requests, and
//! check and apply requests from the peer (target refresh, BYE).

use crate::HeaderName;
use crate::message::{Message, Method};
use crate::serialize::MessageBuilder;

/// Dialog state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogState {
    /// Created by a provisional response with a To tag.
    Early,
    /// Created or confirmed by a 2xx.
    Confirmed,
    /// Ended by BYE (or a failed early dialog).
    Terminated,
}

/// Which side we are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// We sent the request that created the dialog.
    Uac,
    /// We received it.
    Uas,
}

/// The dialog identifier: Call-ID and both tags, from our side.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DialogId {
    /// Call-ID.
    pub call_id: String,
    /// Our tag.
    pub local_tag: String,
    /// The peer's tag.
    pub remote_tag: String,
}

/// Why a request from the peer was refused, and with what status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DialogError {
    /// The CSeq is not above the last one (500, RFC 3261 §12.2.2).
    #[error("CSeq not above the last one from the peer")]
    OldCSeq,
    /// The message does not belong to this dialog.
    #[error("message is not for this dialog")]
    NotThisDialog,
    /// The message lacks what a dialog needs (a To tag, a Contact).
    #[error("message lacks a tag or a Contact")]
    Incomplete,
}

impl DialogError {
    /// The status to answer a refused request with.
    pub fn status(self) -> u16 {
        match self {
            Self::OldCSeq => 500,
            Self::NotThisDialog => 481,
            Self::Incomplete => 400,
        }
    }
}

/// A dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    /// Identifier.
    pub id: DialogId,
    /// Our side.
    pub role: Role,
    /// State.
    pub state: DialogState,
    /// Our URI (From for a UAC, To for a UAS), with display name, without tag.
    pub local_uri: String,
    /// The peer's URI.
    pub remote_uri: String,
    /// Where in-dialog requests go (the peer's Contact).
    pub remote_target: String,
    /// Route set, in the order requests carry it.
    pub route_set: Vec<String>,
    /// Our last CSeq.
    pub local_seq: u32,
    /// The peer's last CSeq, once known.
    pub remote_seq: Option<u32>,
}

fn contact_uri(m: &Message<'_>) -> Option<String> {
    m.contact_addrs()
        .next()
        .map(|c| c.addr().uri().as_str().to_owned())
}

fn uri_without_tag(h: &crate::headers::NameAddr<'_>) -> String {
    match h.display_name_raw() {
        Some(d) => format!("{d} <{}>", h.uri()),
        None => format!("<{}>", h.uri()),
    }
}

fn record_routes(m: &Message<'_>) -> Vec<String> {
    m.record_routes()
        .map(|r| format!("<{}>", r.uri()))
        .collect()
}

impl Dialog {
    /// The UAC's dialog from its request and a response with a To tag (1xx: early, 2xx:
    /// confirmed).
    pub fn uac(request: &Message<'_>, response: &Message<'_>) -> Result<Self, DialogError> {
        let remote_tag = response
            .to()
            .tag()
            .ok_or(DialogError::Incomplete)?
            .to_owned();
        let local_tag = request
            .from()
            .tag()
            .ok_or(DialogError::Incomplete)?
            .to_owned();
        let status = response.status().ok_or(DialogError::Incomplete)?;
        let mut route_set = record_routes(response);
        route_set.reverse();
        Ok(Self {
            id: DialogId {
                call_id: request.call_id().to_owned(),
                local_tag,
                remote_tag,
            },
            role: Role::Uac,
            state: if status < 200 {
                DialogState::Early
            } else {
                DialogState::Confirmed
            },
            local_uri: uri_without_tag(request.from()),
            remote_uri: uri_without_tag(request.to()),
            remote_target: contact_uri(response).ok_or(DialogError::Incomplete)?,
            route_set,
            local_seq: request.cseq().seq(),
            remote_seq: None,
        })
    }

    /// The UAS's dialog from the request it received and the tag it chose for its answer.
    pub fn uas(
        request: &Message<'_>,
        local_tag: &str,
        confirmed: bool,
    ) -> Result<Self, DialogError> {
        let remote_tag = request
            .from()
            .tag()
            .ok_or(DialogError::Incomplete)?
            .to_owned();
        Ok(Self {
            id: DialogId {
                call_id: request.call_id().to_owned(),
                local_tag: local_tag.to_owned(),
                remote_tag,
            },
            role: Role::Uas,
            state: if confirmed {
                DialogState::Confirmed
            } else {
                DialogState::Early
            },
            local_uri: uri_without_tag(request.to()),
            remote_uri: uri_without_tag(request.from()),
            remote_target: contact_uri(request).ok_or(DialogError::Incomplete)?,
            route_set: record_routes(request),
            local_seq: 0,
            remote_seq: Some(request.cseq().seq()),
        })
    }

    /// Does this message belong to the dialog (Call-ID and tags, from our side)?
    pub fn matches(&self, m: &Message<'_>) -> bool {
        let (ours, theirs) = if m.is_request() {
            (m.to().tag(), m.from().tag())
        } else {
            (m.from().tag(), m.to().tag())
        };
        m.call_id() == self.id.call_id
            && ours == Some(self.id.local_tag.as_str())
            && theirs == Some(self.id.remote_tag.as_str())
    }

    /// A later response (2xx) confirms an early dialog and refreshes its target.
    pub fn on_response(&mut self, response: &Message<'_>) {
        if !self.matches(response) {
            return;
        }
        if let Some(status) = response.status()
            && (200..300).contains(&status)
        {
            self.state = DialogState::Confirmed;
            if let Some(target) = contact_uri(response) {
                self.remote_target = target;
            }
            if self.role == Role::Uac && response.cseq().method() == "INVITE" {
                let mut routes = record_routes(response);
                routes.reverse();
                self.route_set = routes;
            }
        }
    }

    /// Checks and applies a request from the peer: CSeq order, target refresh (re-INVITE,
    /// UPDATE), BYE.
    pub fn on_request(&mut self, request: &Message<'_>) -> Result<(), DialogError> {
        if !self.matches(request) {
            return Err(DialogError::NotThisDialog);
        }
        let seq = request.cseq().seq();
        let method = request.method();
        // ACK and CANCEL reuse the CSeq number of the request they belong to.
        if !matches!(method, Method::Ack | Method::Cancel) {
            if self.remote_seq.is_some_and(|last| seq <= last) {
                return Err(DialogError::OldCSeq);
            }
            self.remote_seq = Some(seq);
        }
        match method {
            Method::Invite | Method::Update => {
                if let Some(target) = contact_uri(request) {
                    self.remote_target = target;
                }
            }
            Method::Bye => self.state = DialogState::Terminated,
            _ => {}
        }
        Ok(())
    }

    /// A request within the dialog: the next CSeq (except ACK, which reuses the INVITE's), the
    /// remote target as Request-URI, and the route set. Add Via, Max-Forwards and any body.
    pub fn request(&mut self, method: Method<'_>) -> MessageBuilder {
        let seq = if method == Method::Ack {
            self.local_seq
        } else {
            self.local_seq += 1;
            self.local_seq
        };
        let mut b = MessageBuilder::request(method, &self.remote_target)
            .header(
                HeaderName::From,
                format!("{};tag={}", self.local_uri, self.id.local_tag),
            )
            .header(
                HeaderName::To,
                format!("{};tag={}", self.remote_uri, self.id.remote_tag),
            )
            .header(HeaderName::CallId, self.id.call_id.as_bytes())
            .header(HeaderName::CSeq, format!("{seq} {}", method.as_str()));
        for r in &self.route_set {
            b = b.header(HeaderName::Route, r.as_bytes());
        }
        b
    }
}

//! Tickets to the BNPT back office (CRM-6): an e-mail through the configured SMTP relay (lettre)
//! and a JSON webhook signed with HMAC-SHA256, each optional (`[crm]` in the configuration).
//!
//! The webhook's body is the ticket as `GET /api/v1/tickets/{id}` gives it. It carries
//! `X-BNPT-Timestamp` (Unix seconds) and `X-BNPT-Signature: sha256=<hex>`, the HMAC-SHA256 of
//! `"{timestamp}.{body}"` keyed with `webhook_secret` from `secrets.toml`; a receiver recomputes
//! it and refuses old timestamps, so a captured request cannot be replayed later.
//!
//! Left out for now: SMTP over TLS or with a password (the relay is expected on BNPT's LAN) and
//! `https://` webhooks; a failed dispatch is recorded on the ticket and can be repeated.

use std::time::Duration;

use bytes::Bytes;
use hmac::{KeyInit, Mac};
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::Value;

use crate::config::CrmSection;

/// How long one delivery may take.
const TIMEOUT: Duration = Duration::from_secs(15);

/// Why the dispatch settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DispatchConfigError {
    #[error("crm.dispatch_to: {0:?} is not an e-mail address")]
    Recipient(String),
    #[error("crm.mail_from: {0:?} is not an e-mail address")]
    Sender(String),
    #[error("crm.webhook_url: {0:?} must be an http:// URL (https is not supported yet)")]
    WebhookUrl(String),
}

/// What one channel did with a ticket.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Outcome {
    /// `email` or `webhook`.
    pub(crate) channel: &'static str,
    pub(crate) ok: bool,
    pub(crate) detail: String,
}

struct Email {
    to: Vec<Mailbox>,
    from: Mailbox,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

struct Webhook {
    url: axum::http::Uri,
    secret: String,
}

/// The configured channels.
pub(crate) struct Dispatcher {
    email: Option<Email>,
    webhook: Option<Webhook>,
}

/// `sha256=<hex>` of HMAC-SHA256(`secret`, `"{timestamp}.{body}"`).
pub(crate) fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let tag = mac.finalize().into_bytes();
    format!("sha256={}", crate::secrets::hex(&tag))
}

impl Dispatcher {
    /// The channels `crm` configures; `webhook_secret` signs the webhook.
    pub(crate) fn new(crm: &CrmSection, webhook_secret: &str) -> Result<Self, DispatchConfigError> {
        let email = if crm.dispatch_to.is_empty() {
            None
        } else {
            let to = crm
                .dispatch_to
                .iter()
                .map(|a| {
                    a.parse::<Mailbox>()
                        .map_err(|_| DispatchConfigError::Recipient(a.clone()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let from = crm
                .mail_from
                .parse::<Mailbox>()
                .map_err(|_| DispatchConfigError::Sender(crm.mail_from.clone()))?;
            // Plain SMTP to a relay on the LAN; see the module's note.
            let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&crm.smtp_host)
                .port(crm.smtp_port)
                .timeout(Some(TIMEOUT))
                .build();
            Some(Email {
                to,
                from,
                transport,
            })
        };
        let webhook = if crm.webhook_url.is_empty() {
            None
        } else {
            let url: axum::http::Uri = crm
                .webhook_url
                .parse()
                .map_err(|_| DispatchConfigError::WebhookUrl(crm.webhook_url.clone()))?;
            if url.scheme_str() != Some("http") || url.host().is_none() {
                return Err(DispatchConfigError::WebhookUrl(crm.webhook_url.clone()));
            }
            Some(Webhook {
                url,
                secret: webhook_secret.to_owned(),
            })
        };
        Ok(Self { email, webhook })
    }

    /// Whether any channel is configured.
    pub(crate) fn enabled(&self) -> bool {
        self.email.is_some() || self.webhook.is_some()
    }

    /// Sends `ticket` (its API JSON) on every configured channel.
    pub(crate) async fn send(&self, ticket: &Value, now_s: i64) -> Vec<Outcome> {
        let mut outcomes = Vec::new();
        if let Some(email) = &self.email {
            outcomes.push(match send_email(email, ticket).await {
                Ok(()) => Outcome {
                    channel: "email",
                    ok: true,
                    detail: format!(
                        "sent to {}",
                        email
                            .to
                            .iter()
                            .map(|m| m.email.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                },
                Err(why) => Outcome {
                    channel: "email",
                    ok: false,
                    detail: why,
                },
            });
        }
        if let Some(hook) = &self.webhook {
            outcomes.push(match send_webhook(hook, ticket, now_s).await {
                Ok(status) => Outcome {
                    channel: "webhook",
                    ok: (200..300).contains(&status),
                    detail: format!("HTTP {status}"),
                },
                Err(why) => Outcome {
                    channel: "webhook",
                    ok: false,
                    detail: why,
                },
            });
        }
        outcomes
    }
}

/// The e-mail's text: the report, the call and where to find it.
fn email_text(t: &Value) -> String {
    let s = |v: &Value| v.as_str().unwrap_or("-").to_owned();
    let call = &t["call"];
    format!(
        "Laporan pengaduan / complaint report #{id}\n\n\
         Status: {status}\nCaller: {caller}\nCategory: {category}\nService: {service}\n\
         Filed: {created} by {by}\nSLA due: {sla}\n\n\
         Description:\n{description}\n\nConversation notes:\n{notes}\n\n\
         Call: {cdr} — arrived {arrived}, answered {answered}, ended {ended}, agent {agent}\n\
         IVR input: {ivr}\nRecording: {recording}\n",
        id = t["id"],
        status = s(&t["status"]),
        caller = s(&t["caller"]),
        category = s(&t["category"]),
        service = s(&t["service"]),
        created = s(&t["created_at"]),
        by = s(&t["created_by"]),
        sla = s(&t["sla_due_at"]),
        description = s(&t["description"]),
        notes = s(&t["notes"]),
        cdr = call["cdr_id"],
        arrived = s(&call["arrived_at"]),
        answered = s(&call["answered_at"]),
        ended = s(&call["ended_at"]),
        agent = s(&call["agent"]),
        ivr = s(&call["ivr_input"]),
        recording = s(&call["recording_id"]),
    )
}

async fn send_email(email: &Email, ticket: &Value) -> Result<(), String> {
    let mut builder = Message::builder().from(email.from.clone()).subject(format!(
        "[BNPT 1500112] Laporan #{} — {}",
        ticket["id"],
        ticket["category"].as_str().unwrap_or_default()
    ));
    for to in &email.to {
        builder = builder.to(to.clone());
    }
    let message = builder
        .body(email_text(ticket))
        .map_err(|e| format!("e-mail not built: {e}"))?;
    email
        .transport
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| format!("SMTP: {e}"))
}

async fn send_webhook(hook: &Webhook, ticket: &Value, now_s: i64) -> Result<u16, String> {
    let body = serde_json::to_vec(ticket).map_err(|e| e.to_string())?;
    let request = axum::http::Request::post(hook.url.clone())
        .header("content-type", "application/json")
        .header("x-bnpt-event", "ticket.dispatched")
        .header("x-bnpt-timestamp", now_s.to_string())
        .header("x-bnpt-signature", signature(&hook.secret, now_s, &body))
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    match tokio::time::timeout(TIMEOUT, client.request(request)).await {
        Ok(Ok(response)) => Ok(response.status().as_u16()),
        Ok(Err(e)) => Err(format!("webhook: {e}")),
        Err(_) => Err(format!("webhook: no answer in {} s", TIMEOUT.as_secs())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_of_timestamp_dot_body() {
        // Key "Jefe" (RFC 4231 test case 2) over our framing, computed independently with
        // `printf '1700000000.{}' | openssl dgst -sha256 -hmac Jefe`.
        assert_eq!(
            signature("Jefe", 1_700_000_000, b"{}"),
            "sha256=d3793e2b4103edfbd98cc19591832f5fad701d413db9fcae0ae7dab8184ed207"
        );
        assert_ne!(
            signature("Jefe", 1_700_000_001, b"{}"),
            signature("Jefe", 1_700_000_000, b"{}")
        );
    }

    #[test]
    fn only_plain_http_webhooks_and_real_addresses() {
        let mut crm = CrmSection {
            webhook_url: "https://backoffice.example/hook".into(),
            ..CrmSection::default()
        };
        assert!(matches!(
            Dispatcher::new(&crm, "s"),
            Err(DispatchConfigError::WebhookUrl(_))
        ));
        crm.webhook_url = "http://127.0.0.1:9/hook".into();
        crm.dispatch_to = vec!["not an address".into()];
        assert!(matches!(
            Dispatcher::new(&crm, "s"),
            Err(DispatchConfigError::Recipient(_))
        ));
        crm.dispatch_to = vec!["pengaduan@bnpt.go.id".into()];
        assert!(Dispatcher::new(&crm, "s").unwrap().enabled());
        assert!(
            !Dispatcher::new(&CrmSection::default(), "s")
                .unwrap()
                .enabled()
        );
    }
}

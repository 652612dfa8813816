//! The certificate `tls:` listeners present: `[sip] tls_cert` and `tls_key` (PEM files) when
//! the configuration names them; otherwise one made at first start — self-signed for
//! `localhost`, `127.0.0.1` and `::1` — and kept in the data folder as `tls/sip-cert.pem` and
//! `tls/sip-key.pem` (owner-only). Phones must be told to trust a self-signed certificate;
//! a deployment names its own. rustls with the ring provider does the TLS.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;
use tracing::{info, warn};

/// Why TLS cannot be served.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TlsError {
    #[error("cannot read or write {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} holds no usable PEM {what}", path.display())]
    Pem { path: PathBuf, what: &'static str },
    #[error("cannot make a certificate")]
    Generate(#[from] rcgen::Error),
    #[error("the certificate and key do not make a TLS server")]
    Rustls(#[from] rustls::Error),
}

/// The acceptor for `tls:` listeners: the configured certificate and key, or the data
/// folder's own (made if missing).
pub(crate) fn acceptor(data_dir: &Path, cert: &str, key: &str) -> Result<TlsAcceptor, TlsError> {
    let (cert_path, key_path) = if cert.is_empty() || key.is_empty() {
        let dir = data_dir.join("tls");
        let paths = (dir.join("sip-cert.pem"), dir.join("sip-key.pem"));
        if !paths.0.exists() || !paths.1.exists() {
            make_self_signed(&dir, &paths.0, &paths.1)?;
        }
        paths
    } else {
        (PathBuf::from(cert), PathBuf::from(key))
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert_path)
        .map_err(|_| TlsError::Pem {
            path: cert_path.clone(),
            what: "certificate",
        })?
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(TlsError::Pem {
            path: cert_path,
            what: "certificate",
        });
    }
    let key = PrivateKeyDer::from_pem_file(&key_path).map_err(|_| TlsError::Pem {
        path: key_path.clone(),
        what: "private key",
    })?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(certs, key)?;
    info!(certificate = %cert_path.display(), "SIP over TLS ready");
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn make_self_signed(dir: &Path, cert: &Path, key: &Path) -> Result<(), TlsError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| TlsError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let names = ["localhost", "127.0.0.1", "::1"]
        .map(str::to_owned)
        .to_vec();
    let made = rcgen::generate_simple_self_signed(names)?;
    write_private(key, made.signing_key.serialize_pem().as_bytes()).map_err(io(key))?;
    write_private(cert, made.cert.pem().as_bytes()).map_err(io(cert))?;
    warn!(certificate = %cert.display(), "no [sip] tls_cert configured: a self-signed certificate was made; phones must trust it");
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_is_made_once_and_kept_private() {
        let dir = tempfile::tempdir().unwrap();
        acceptor(dir.path(), "", "").unwrap();
        let key = dir.path().join("tls/sip-key.pem");
        let first = std::fs::read(&key).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
        acceptor(dir.path(), "", "").unwrap();
        assert_eq!(std::fs::read(&key).unwrap(), first, "made once, then kept");
        // A configured pair that is not PEM is refused with its path.
        let bad = dir.path().join("bad.pem");
        std::fs::write(&bad, "not pem").unwrap();
        let Err(err) = acceptor(dir.path(), bad.to_str().unwrap(), bad.to_str().unwrap()) else {
            panic!("a file that is not PEM was taken");
        };
        assert!(err.to_string().contains("bad.pem"), "{err}");
    }
}

//! TLS for `--tls-port`, as Redis serves it: the server's certificate and key, and client
//! certificates checked against the CA file unless `tls-auth-clients no` (`optional` checks
//! one only when the client sends it). TLS 1.2 and 1.3, Redis's default `tls-protocols`.
//!
//! rustls with its `ring` provider, named here rather than taken as the process's default:
//! the S3 client in the same binary brings rustls's aws-lc-rs provider as well.
//!
//! The files are read once, at start-up; one that cannot be read or holds nothing usable
//! stops the server with an error that names it.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{crypto, RootCertStore, ServerConfig};
use tokio_rustls::TlsAcceptor;

use crate::config::{Tls, TlsAuthClients};

/// How long a client gets to complete the TLS handshake before its connection is closed.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The acceptor of TLS connections, from the certificate, key and CA files of `tls`.
pub fn acceptor(tls: &Tls) -> Result<TlsAcceptor, String> {
    let provider = Arc::new(crypto::ring::default_provider());
    let chain = certificates(&tls.cert_file, "tls-cert-file")?;
    let key = private_key(&tls.key_file)?;
    // The CA file is checked even when clients are not asked for certificates, as Redis
    // loads it whenever it is set.
    let roots = match &tls.ca_cert_file {
        Some(path) => {
            let mut roots = RootCertStore::empty();
            for certificate in certificates(path, "tls-ca-cert-file")? {
                roots.add(certificate).map_err(|e| {
                    format!(
                        "tls-ca-cert-file {}: a bad certificate: {e}",
                        path.display()
                    )
                })?;
            }
            Some(Arc::new(roots))
        }
        None => None,
    };
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let builder = match (roots, tls.auth_clients) {
        (Some(roots), TlsAuthClients::Yes | TlsAuthClients::Optional) => {
            let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider);
            let verifier = if tls.auth_clients == TlsAuthClients::Optional {
                verifier.allow_unauthenticated()
            } else {
                verifier
            };
            let verifier = verifier.build().map_err(|e| {
                format!(
                    "tls-ca-cert-file {}: {e}",
                    tls.ca_cert_file
                        .as_deref()
                        .unwrap_or(Path::new(""))
                        .display()
                )
            })?;
            builder.with_client_cert_verifier(verifier)
        }
        // Config::load refuses client authentication without a CA file.
        _ => builder.with_no_client_auth(),
    };
    let config = builder.with_single_cert(chain, key).map_err(|e| {
        format!(
            "tls-cert-file {} with tls-key-file {}: {e}",
            tls.cert_file.display(),
            tls.key_file.display()
        )
    })?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Every certificate of a PEM file (at least one).
fn certificates(path: &Path, name: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = read(path, name)?;
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{name} {}: {e}", path.display()))?;
    if certificates.is_empty() {
        return Err(format!(
            "{name} {}: no certificate in it (PEM, -----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    Ok(certificates)
}

/// The first private key of a PEM file.
fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let pem = read(path, "tls-key-file")?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| {
        let why = match e {
            tokio_rustls::rustls::pki_types::pem::Error::NoItemsFound => {
                "no private key in it (PEM: PKCS#8, PKCS#1 or SEC1, not encrypted)".to_string()
            }
            other => other.to_string(),
        };
        format!("tls-key-file {}: {why}", path.display())
    })
}

fn read(path: &Path, name: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {name} {}: {e}", path.display()))
}

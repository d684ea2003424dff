//! TLS (`--tls-port`), as Redis serves it: the same protocol over an encrypted connection,
//! beside the plain port or instead of it (`--port 0`), with client certificates checked
//! against `--tls-ca-cert-file` as `--tls-auth-clients` says.
//!
//! Each test makes its own certificates with rcgen: a CA, a server certificate for 127.0.0.1
//! and localhost, a client certificate from that CA, and one from a CA the server does not
//! trust. Clients are the real `redis-cli --tls`, the `redis` crate over rustls, and a raw
//! rustls stream.

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use common::{query, resp, skip_in_reference, Raw, Server, TLS_PORT};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use tempfile::TempDir;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

const PATIENCE: Duration = Duration::from_secs(20);

/// What the reference redis-server (7.0) does otherwise: its listener lines are 7.2's.
const LISTENERS_OF_7_2: &str = "INFO's listener lines are Redis 7.2's";

/// The certificates of a test, as PEM files in a temporary directory.
struct Pki {
    dir: TempDir,
}

impl Pki {
    fn new() -> Pki {
        let dir = TempDir::new().unwrap();
        let ca = authority("dredis test CA");
        let stranger = authority("a CA the server does not trust");
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        let server_names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        let leaves = [
            (
                "server",
                &ca,
                server_names,
                ExtendedKeyUsagePurpose::ServerAuth,
            ),
            ("client", &ca, vec![], ExtendedKeyUsagePurpose::ClientAuth),
            (
                "stranger",
                &stranger,
                vec![],
                ExtendedKeyUsagePurpose::ClientAuth,
            ),
        ];
        for (name, issuer, names, usage) in leaves {
            let key = KeyPair::generate().unwrap();
            let mut params = CertificateParams::new(names).unwrap();
            params.distinguished_name.push(DnType::CommonName, name);
            params.extended_key_usages = vec![usage];
            params.use_authority_key_identifier_extension = true;
            let cert = params.signed_by(&key, issuer).unwrap();
            std::fs::write(dir.path().join(format!("{name}.pem")), cert.pem()).unwrap();
            let key_file = dir.path().join(format!("{name}.key"));
            std::fs::write(key_file, key.serialize_pem()).unwrap();
        }
        Pki { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The flags of a TLS server with these certificates; `extra` adds or overrides.
    fn server_flags(&self, extra: &[&str]) -> Vec<String> {
        let mut flags: Vec<String> = ["--tls-port", TLS_PORT].map(String::from).to_vec();
        for (flag, file) in [
            ("--tls-cert-file", "server.pem"),
            ("--tls-key-file", "server.key"),
            ("--tls-ca-cert-file", "ca.pem"),
        ] {
            flags.push(flag.into());
            flags.push(self.path(file).display().to_string());
        }
        flags.extend(extra.iter().map(|s| s.to_string()));
        flags
    }

    fn start(&self, extra: &[&str]) -> Server {
        let flags = self.server_flags(extra);
        Server::start_with(&flags.iter().map(String::as_str).collect::<Vec<_>>())
    }

    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }

    /// A `redis` crate client over TLS, with the client certificate `identity` (`client`,
    /// `stranger`) or none.
    fn redis_client(&self, port: u16, identity: Option<&str>) -> redis::Client {
        // rustls has two providers in this build (ring, and aws-lc-rs through the S3
        // client): the redis crate takes the process's default, so there must be one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client_tls = identity.map(|name| redis::ClientTlsConfig {
            client_cert: self.read(&format!("{name}.pem")),
            client_key: self.read(&format!("{name}.key")),
        });
        let certificates = redis::TlsCertificates {
            client_tls,
            root_cert: Some(self.read("ca.pem")),
        };
        redis::Client::build_with_tls(format!("rediss://127.0.0.1:{port}/"), certificates)
            .expect("a TLS client")
    }

    /// A raw rustls stream to `port`, with the client certificate `identity` or none; the
    /// handshake happens at the first read or write.
    fn stream(
        &self,
        port: u16,
        identity: Option<&str>,
    ) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
        self.stream_from(
            TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap(),
            identity,
        )
    }

    fn stream_from(
        &self,
        tcp: TcpStream,
        identity: Option<&str>,
    ) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
        tcp.set_read_timeout(Some(PATIENCE)).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(self.path("ca.pem")).unwrap() {
            roots.add(cert.unwrap()).unwrap();
        }
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots);
        let config = match identity {
            Some(name) => {
                let chain = CertificateDer::pem_file_iter(self.path(&format!("{name}.pem")))
                    .unwrap()
                    .map(Result::unwrap)
                    .collect();
                let key = PrivateKeyDer::from_pem_file(self.path(&format!("{name}.key"))).unwrap();
                builder.with_client_auth_cert(chain, key).unwrap()
            }
            None => builder.with_no_client_auth(),
        };
        let name = ServerName::try_from("localhost").unwrap();
        let connection = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
        rustls::StreamOwned::new(connection, tcp)
    }

    /// A raw RESP connection over TLS.
    fn raw(&self, port: u16, identity: Option<&str>) -> Raw {
        Raw::over(Box::new(self.stream(port, identity)))
    }

    /// Runs `redis-cli --tls --cacert ca.pem -p PORT` with `args` (client certificate flags
    /// included, if any).
    fn cli(&self, port: u16, args: &[&str]) -> Output {
        Command::new("redis-cli")
            .args(["--tls", "--cacert"])
            .arg(self.path("ca.pem"))
            .args(["-p", &port.to_string()])
            .args(args)
            .output()
            .expect("run redis-cli (install redis-tools)")
    }

    /// The same with the client certificate `identity`.
    fn cli_as(&self, identity: &str, port: u16, args: &[&str]) -> Output {
        let cert = self.path(&format!("{identity}.pem")).display().to_string();
        let key = self.path(&format!("{identity}.key")).display().to_string();
        let mut all = vec!["--cert", &cert, "--key", &key];
        all.extend_from_slice(args);
        self.cli(port, &all)
    }
}

/// A self-signed CA.
fn authority(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A client refused during or right after the handshake: its request gets no reply.
fn assert_refused(mut stream: rustls::StreamOwned<rustls::ClientConnection, TcpStream>) {
    // With TLS 1.3 the client's side of the handshake completes before the server has
    // checked its certificate: the refusal comes at the first read.
    let _ = stream.write_all(&resp(&["PING"]));
    let mut reply = Vec::new();
    let read = stream.read_to_end(&mut reply);
    assert!(
        read.is_err() || reply.is_empty(),
        "a refused client got {:?}",
        String::from_utf8_lossy(&reply)
    );
}

#[test]
fn redis_cli_over_tls_beside_the_plain_port() {
    let pki = Pki::new();
    let server = pki.start(&["--tls-auth-clients", "no"]);
    let out = pki.cli(server.tls_port, &["SET", "greeting", "hello over TLS"]);
    assert_eq!(stdout(&out), "OK\n", "{out:?}");
    assert_eq!(
        stdout(&pki.cli(server.tls_port, &["GET", "greeting"])),
        "hello over TLS\n"
    );
    // The same data on the plain port, served at the same time.
    assert_eq!(server.cli(&["GET", "greeting"]), "hello over TLS\n");
    // A session of several commands, from standard input.
    let mut child = Command::new("redis-cli")
        .args(["--tls", "--cacert"])
        .arg(pki.path("ca.pem"))
        .args(["-p", &server.tls_port.to_string(), "--no-raw"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"RPUSH l a b c\nLRANGE l 0 -1\nINCR greeting\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        stdout(&out),
        "(integer) 3\n1) \"a\"\n2) \"b\"\n3) \"c\"\n\
         (error) ERR value is not an integer or out of range\n"
    );
}

#[test]
fn tls_auth_clients_yes_requires_a_certificate_from_the_ca() {
    let pki = Pki::new();
    // yes is the default.
    let server = pki.start(&[]);
    let port = server.tls_port;
    // Without a certificate: refused, and the command never ran.
    let out = pki.cli(port, &["SET", "k", "from a client without a certificate"]);
    assert_ne!(stdout(&out), "OK\n", "{out:?}");
    assert_refused(pki.stream(port, None));
    // A certificate from a CA the server does not trust: refused as well.
    let out = pki.cli_as("stranger", port, &["SET", "k", "from a stranger"]);
    assert_ne!(stdout(&out), "OK\n", "{out:?}");
    assert_refused(pki.stream(port, Some("stranger")));
    assert_eq!(server.cli(&["EXISTS", "k"]), "0\n");
    // With the client certificate: served.
    let out = pki.cli_as("client", port, &["SET", "k", "v"]);
    assert_eq!(stdout(&out), "OK\n", "{out:?}");
    assert_eq!(stdout(&pki.cli_as("client", port, &["GET", "k"])), "v\n");
    let mut raw = pki.raw(port, Some("client"));
    assert_eq!(raw.call(&["GET", "k"]), "$1\r\nv\r\n");
    // And through the redis crate.
    let err = pki
        .redis_client(port, None)
        .get_connection_with_timeout(PATIENCE)
        .and_then(|mut con| redis::cmd("PING").query::<String>(&mut con));
    assert!(err.is_err(), "a client without a certificate got {err:?}");
    let mut con = pki
        .redis_client(port, Some("client"))
        .get_connection_with_timeout(PATIENCE)
        .unwrap();
    assert_eq!(query::<String>(&mut con, &["GET", "k"]), "v");
}

#[test]
fn tls_auth_clients_optional_checks_a_certificate_only_if_one_is_sent() {
    let pki = Pki::new();
    let server = pki.start(&["--tls-auth-clients", "optional"]);
    let port = server.tls_port;
    assert_eq!(pki.raw(port, None).call(&["SET", "a", "1"]), "+OK\r\n");
    assert_eq!(
        pki.raw(port, Some("client")).call(&["GET", "a"]),
        "$1\r\n1\r\n"
    );
    assert_eq!(stdout(&pki.cli(port, &["GET", "a"])), "1\n");
    // A certificate that is sent must be good.
    assert_refused(pki.stream(port, Some("stranger")));
    let out = pki.cli_as("stranger", port, &["GET", "a"]);
    assert_ne!(stdout(&out), "1\n", "{out:?}");
}

#[test]
fn the_redis_crate_over_tls_sets_and_gets_small_and_large_values() {
    let pki = Pki::new();
    let server = pki.start(&[]);
    let mut con = pki
        .redis_client(server.tls_port, Some("client"))
        .get_connection_with_timeout(PATIENCE)
        .unwrap();
    con.set_read_timeout(Some(PATIENCE)).unwrap();
    let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut con).unwrap();
    assert_eq!(query::<String>(&mut con, &["GET", "k"]), "v");
    // 16 MiB: spilled to a file as it arrives, and streamed from its file in the reply,
    // both through TLS.
    let big: Vec<u8> = (0..16 << 20).map(|i| (i % 251) as u8).collect();
    let _: () = redis::cmd("SET")
        .arg("big")
        .arg(&big)
        .query(&mut con)
        .unwrap();
    let back: Vec<u8> = redis::cmd("GET").arg("big").query(&mut con).unwrap();
    assert!(
        back == big,
        "GET returned {} bytes, not the same",
        back.len()
    );
    // The same to a client that reads only later, once the socket's buffers are full: the
    // reply's end is not held back in the TLS stream.
    let mut slow = pki.raw(server.tls_port, Some("client"));
    slow.send(resp(&["GET", "big"]));
    std::thread::sleep(Duration::from_millis(500));
    let reply = slow.reply_bytes();
    assert!(
        reply.len() == big.len() + 13 && reply.ends_with(b"\r\n"),
        "{}",
        reply.len()
    );
    // Pipelined, in RESP3.
    let mut raw = pki.raw(server.tls_port, Some("client"));
    raw.send(
        [
            resp(&["HELLO", "3"]),
            resp(&["INCR", "n"]),
            resp(&["INCR", "n"]),
        ]
        .concat(),
    );
    assert!(raw.reply().starts_with("%"));
    assert_eq!(raw.reply(), ":1\r\n");
    assert_eq!(raw.reply(), ":2\r\n");
    // Pub/sub messages reach a TLS subscriber.
    let mut subscriber = pki.raw(server.tls_port, Some("client"));
    subscriber.send(resp(&["SUBSCRIBE", "news"]));
    assert!(subscriber.reply().contains("subscribe"));
    assert_eq!(query::<i64>(&mut con, &["PUBLISH", "news", "hi"]), 1);
    assert_eq!(
        subscriber.reply(),
        "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n"
    );
}

#[test]
fn a_plain_client_on_the_tls_port_is_dropped_and_others_carry_on() {
    let pki = Pki::new();
    let server = pki.start(&[]);
    let tls_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, server.tls_port));
    let mut before = pki.raw(server.tls_port, Some("client"));
    assert_eq!(before.call(&["SET", "k", "v"]), "+OK\r\n");
    let connections = |raw: &mut Raw| -> u64 {
        let info = raw.call(&["INFO", "stats"]);
        let line = info
            .lines()
            .find(|l| l.starts_with("total_connections_received:"));
        line.unwrap()[27..].parse().unwrap()
    };
    // The harness's probe of the plain port and `before` itself, once the probe is counted.
    while connections(&mut before) < 2 {
        std::thread::sleep(Duration::from_millis(10));
    }
    let counted = connections(&mut before);
    // A client that connects and says nothing holds up nobody.
    let _silent = TcpStream::connect(tls_addr).unwrap();
    // RESP in the clear: the handshake fails and that connection closes.
    let mut plain = TcpStream::connect(tls_addr).unwrap();
    plain.set_read_timeout(Some(PATIENCE)).unwrap();
    plain.write_all(&resp(&["PING"])).unwrap();
    let mut got = Vec::new();
    match plain.read_to_end(&mut got) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("the connection stayed open ({e}); got {got:?}"),
    }
    assert!(
        !String::from_utf8_lossy(&got).contains("PONG"),
        "a plain client was answered: {got:?}"
    );
    // Everyone else is served: the TLS client from before, new TLS clients, the plain port.
    assert_eq!(before.call(&["GET", "k"]), "$1\r\nv\r\n");
    assert_eq!(
        pki.raw(server.tls_port, Some("client")).call(&["PING"]),
        "+PONG\r\n"
    );
    assert_eq!(server.raw().call(&["GET", "k"]), "$1\r\nv\r\n");
    // Neither the silent one nor the plain one became a client: only the new TLS client and
    // the plain-port one are counted.
    assert_eq!(connections(&mut before), counted + 2);
}

#[test]
fn port_0_serves_tls_only() {
    let pki = Pki::new();
    let server = pki.start(&["--port", "0", "--tls-auth-clients", "no"]);
    assert_eq!(server.port, 0);
    let mut raw = pki.raw(server.tls_port, None);
    assert_eq!(raw.call(&["PING"]), "+PONG\r\n");
    assert_eq!(
        raw.call(&["CONFIG", "GET", "port"]),
        "*2\r\n$4\r\nport\r\n$1\r\n0\r\n"
    );
    assert_eq!(stdout(&pki.cli(server.tls_port, &["PING"])), "PONG\n");
    // INFO's tcp_port is the TLS port then, as in Redis.
    let info = raw.call(&["INFO", "server"]);
    let tcp_port = format!("\r\ntcp_port:{}\r\n", server.tls_port);
    assert!(info.contains(&tcp_port), "{info}");
    if skip_in_reference(LISTENERS_OF_7_2) {
        return;
    }
    let listener = format!(
        "\r\nlistener0:name=tls,bind=127.0.0.1,port={}\r\n",
        server.tls_port
    );
    assert!(info.contains(&listener), "{info}");
    assert!(!info.contains("listener1"), "{info}");
}

/// CONFIG GET tls-* as (name, value) pairs.
fn tls_settings(server: &Server) -> Vec<(String, String)> {
    let got: Vec<String> = query(&mut server.con(), &["CONFIG", "GET", "tls-*"]);
    got.chunks(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect()
}

#[test]
fn config_get_shows_the_tls_settings() {
    let pki = Pki::new();
    let server = pki.start(&["--tls-auth-clients", "optional"]);
    let path = |name: &str| pki.path(name).display().to_string();
    let given = [
        ("tls-port", server.tls_port.to_string()),
        ("tls-cert-file", path("server.pem")),
        ("tls-key-file", path("server.key")),
        ("tls-ca-cert-file", path("ca.pem")),
        ("tls-auth-clients", "optional".to_string()),
    ];
    // A server without TLS shows the defaults.
    let plain = Server::start();
    let defaults = [
        ("tls-port", "0"),
        ("tls-cert-file", ""),
        ("tls-key-file", ""),
        ("tls-ca-cert-file", ""),
        ("tls-auth-clients", "yes"),
    ]
    .map(|(name, value)| (name, value.to_string()));
    for (server, expected) in [(&server, given), (&plain, defaults)] {
        let settings = tls_settings(server);
        for (name, value) in expected {
            let pair = (name.to_string(), value.clone());
            assert!(
                settings.contains(&pair),
                "{name} {value} not in {settings:?}"
            );
        }
    }
    if skip_in_reference("Redis changes its TLS settings at runtime") {
        return;
    }
    // Set at start-up: CONFIG SET takes only the current value.
    let mut con = server.con();
    let same = server.tls_port.to_string();
    let ok: String = query(&mut con, &["CONFIG", "SET", "tls-port", &same]);
    assert_eq!(ok, "OK");
    let err = common::query_err(&mut con, &["CONFIG", "SET", "tls-auth-clients", "no"]);
    let expected = "ERR CONFIG SET failed (possibly related to argument 'tls-auth-clients') - \
                    dredis cannot change its TLS settings while running";
    assert!(err.starts_with(expected), "{err}");
    let info: String = query(&mut con, &["INFO", "server"]);
    let listeners = format!(
        "\r\nlistener0:name=tcp,bind=127.0.0.1,port={}\r\n\
         listener1:name=tls,bind=127.0.0.1,port={}\r\n",
        server.port, server.tls_port
    );
    assert!(info.contains(&listeners), "{info}");
}

#[test]
fn tls_settings_from_the_config_file() {
    if skip_in_reference("dredis's --config flag") {
        return;
    }
    let pki = Pki::new();
    let file = pki.path("dredis.conf");
    let tls_port = common::free_port();
    std::fs::write(
        &file,
        format!(
            "tls-port {tls_port}\ntls-cert-file \"{}\"\ntls-key-file {}\ntls-auth-clients no\n",
            pki.path("server.pem").display(),
            pki.path("server.key").display()
        ),
    )
    .unwrap();
    let server = Server::start_with(&["--config", file.to_str().unwrap()]);
    assert_eq!(pki.raw(tls_port, None).call(&["PING"]), "+PONG\r\n");
    let settings = tls_settings(&server);
    assert!(settings.contains(&("tls-port".into(), tls_port.to_string())));
    assert!(settings.contains(&("tls-auth-clients".into(), "no".into())));
}

#[test]
fn admission_rules_apply_to_tls_clients() {
    // Redis counts a TLS client against maxclients before its handshake, so its refusal
    // cannot be sent: the connection just closes. dredis refuses after the handshake.
    if skip_in_reference("Redis drops a TLS client over maxclients without a word") {
        return;
    }
    let pki = Pki::new();
    let server = pki.start(&["--maxclients", "2"]);
    let mut first = pki.raw(server.tls_port, Some("client"));
    // Wait until the harness's probe connection is gone: `first` is then alone.
    while first.call(&["CLIENT", "LIST"]).matches(" addr=").count() > 1 {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(first.call(&["CONFIG", "SET", "maxclients", "1"]), "+OK\r\n");
    // The refusal is read over TLS, after the handshake.
    let mut second = pki.raw(server.tls_port, Some("client"));
    assert_eq!(
        String::from_utf8(second.read_to_end()).unwrap(),
        "-ERR max number of clients reached\r\n"
    );
    assert_eq!(first.call(&["PING"]), "+PONG\r\n");
}

#[test]
fn protected_mode_applies_to_tls_clients() {
    let pki = Pki::new();
    let server = pki.start(&["--host", "0.0.0.0"]);
    // From 127.0.0.2, which Redis does not count as local (see tests/protected_mode.rs).
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let from = SocketAddr::from((Ipv4Addr::new(127, 0, 0, 2), 0));
    if let Err(e) = socket.bind(&from.into()) {
        eprintln!("cannot bind 127.0.0.2 ({e}): the protected-mode refusal is not tested here");
        return;
    }
    let to = SocketAddr::from((Ipv4Addr::LOCALHOST, server.tls_port));
    socket.connect(&to.into()).unwrap();
    let mut raw = Raw::over(Box::new(pki.stream_from(socket.into(), Some("client"))));
    let reply = String::from_utf8(raw.read_to_end()).unwrap();
    assert!(
        reply.starts_with("-DENIED Redis is running in protected mode"),
        "{reply}"
    );
    // 127.0.0.1 is let in.
    assert_eq!(
        pki.raw(server.tls_port, Some("client")).call(&["PING"]),
        "+PONG\r\n"
    );
}

#[test]
fn bad_tls_settings_stop_the_server_at_start() {
    if skip_in_reference("dredis's own start-up errors") {
        return;
    }
    let pki = Pki::new();
    let garbage = pki.path("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").unwrap();
    let missing = pki.path("missing.pem");
    let tls_port = common::free_port().to_string();
    let path = |p: &Path| p.display().to_string();
    let cert = path(&pki.path("server.pem"));
    let key = path(&pki.path("server.key"));
    let ca = path(&pki.path("ca.pem"));
    let with = |cert: &str, key: &str, ca: &str| {
        let mut flags = vec!["--tls-port", &tls_port, "--tls-cert-file", cert];
        flags.extend(["--tls-key-file", key, "--tls-ca-cert-file", ca]);
        flags.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let strings = |flags: &[&str]| flags.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let cases: Vec<(Vec<String>, String)> = vec![
        (
            with(&path(&missing), &key, &ca),
            format!("cannot read tls-cert-file {}: No such file", path(&missing)),
        ),
        (
            with(&path(&garbage), &key, &ca),
            format!("tls-cert-file {}: no certificate in it", path(&garbage)),
        ),
        (
            with(&cert, &cert, &ca),
            format!("tls-key-file {cert}: no private key in it"),
        ),
        (
            with(&cert, &path(&pki.path("client.key")), &ca),
            format!("tls-cert-file {cert} with tls-key-file"),
        ),
        (
            with(&cert, &key, &path(&garbage)),
            format!("tls-ca-cert-file {}: no certificate in it", path(&garbage)),
        ),
        (
            strings(&[
                "--tls-port",
                &tls_port,
                "--tls-cert-file",
                &cert,
                "--tls-key-file",
                &key,
            ]),
            "--tls-auth-clients yes (the default) needs --tls-ca-cert-file".to_string(),
        ),
        (
            strings(&["--tls-port", &tls_port, "--tls-key-file", &key]),
            "--tls-port needs --tls-cert-file".to_string(),
        ),
        (
            strings(&["--port", "0"]),
            "configured to not listen anywhere".to_string(),
        ),
    ];
    for (flags, expected) in cases {
        let dir = pki.path("data");
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let failure = match Server::start_in(&dir, &flags) {
            Ok(_) => panic!("the server started with {flags:?}"),
            Err(failure) => failure,
        };
        assert!(
            failure.log.contains(&expected),
            "{flags:?}: {}",
            failure.log
        );
        assert!(!failure.log.contains("panicked"), "{}", failure.log);
        assert!(
            failure.status.is_some_and(|s| s.code() == Some(1)),
            "{failure:?}"
        );
        // Checked before the data directory is touched.
        assert!(!dir.exists(), "{flags:?} made {}", dir.display());
    }
}

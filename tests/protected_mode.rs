//! Protected mode: listening on every interface with no password, dredis refuses clients that
//! do not come from 127.0.0.1 or ::1, as Redis does.
//!
//! The client connects from 127.0.0.2: Redis treats only 127.0.0.1 and ::1 as local, so that
//! address shows the refusal while the traffic never leaves the loopback interface.

mod common;

use std::net::{Ipv4Addr, SocketAddr, TcpStream};

use common::{query, Raw, Server};
use socket2::{Domain, Socket, Type};

const DENIED: &str = "-DENIED Redis is running in protected mode because protected mode is \
    enabled and no password is set for the default user. In this mode connections are only \
    accepted from the loopback interface.";

/// A connection to the server from 127.0.0.2, or None when this machine cannot bind that
/// address.
fn connect_from_non_local(server: &Server) -> Option<Raw> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    let from = SocketAddr::from((Ipv4Addr::new(127, 0, 0, 2), 0));
    if let Err(e) = socket.bind(&from.into()) {
        eprintln!("cannot bind 127.0.0.2 ({e}): the protected-mode refusal is not tested here");
        return None;
    }
    socket.connect(&server.addr().into()).unwrap();
    Some(Raw::from_stream(TcpStream::from(socket)))
}

/// Without a second address the test can only check that protected mode is on.
fn protected_mode_is_on(server: &Server) -> bool {
    let reply: Vec<String> = query(&mut server.con(), &["CONFIG", "GET", "protected-mode"]);
    reply == ["protected-mode", "yes"]
}

#[test]
fn a_client_from_outside_loopback_is_denied_without_a_password() {
    let server = Server::start_with(&["--host", "0.0.0.0"]);
    let Some(mut raw) = connect_from_non_local(&server) else {
        assert!(protected_mode_is_on(&server));
        return;
    };
    // The refusal comes as soon as the connection is accepted.
    let reply = String::from_utf8(raw.read_to_end()).unwrap();
    assert!(reply.starts_with(DENIED), "{reply}");
    assert!(reply.ends_with("\r\n"));
    assert_eq!(reply.matches("\r\n").count(), 1);
    // 127.0.0.1 is let in.
    assert_eq!(server.raw().call(&["PING"]), "+PONG\r\n");
}

#[test]
fn a_client_from_outside_loopback_gets_in_with_a_password() {
    let server = Server::start_with(&["--host", "0.0.0.0", "--requirepass", "secret"]);
    let Some(mut raw) = connect_from_non_local(&server) else {
        return;
    };
    assert_eq!(raw.call(&["PING"]), "-NOAUTH Authentication required.\r\n");
    assert_eq!(raw.call(&["AUTH", "secret"]), "+OK\r\n");
    assert_eq!(raw.call(&["PING"]), "+PONG\r\n");
}

#[test]
fn protected_mode_no_lets_every_client_in() {
    let server = Server::start_with(&["--host", "0.0.0.0", "--protected-mode", "no"]);
    let Some(mut raw) = connect_from_non_local(&server) else {
        return;
    };
    assert_eq!(raw.call(&["PING"]), "+PONG\r\n");
    let reply: Vec<String> = query(&mut server.con(), &["CONFIG", "GET", "protected-mode"]);
    assert_eq!(reply, ["protected-mode", "no"]);
}

//! The S3 harness itself: moto checks the signature of every request after its setup, and
//! objects keep their names and bytes exactly.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::s3::Moto;

/// The status code moto answers a request without any signature with.
fn unsigned_status(moto: &Moto, method: &str, path: &str) -> u16 {
    let addr = moto.endpoint.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connect to moto");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("moto's reply");
    // HTTP/1.1 403 FORBIDDEN
    reply[9..12].parse().expect("a status code")
}

#[test]
fn a_wrong_secret_is_refused() {
    let moto = Moto::start();
    moto.put_object("k", b"v");

    let wrong_secret = (moto.access_key_id.as_str(), "not-the-secret");
    let error = Err("SignatureDoesNotMatch".to_string());
    assert_eq!(moto.list_as(wrong_secret, ""), error);
    assert_eq!(moto.put_object_as(wrong_secret, "k", b"w"), error.map(drop));

    let unknown_key = ("AKIAUNKNOWNKEY000000", moto.secret_access_key.as_str());
    assert_eq!(
        moto.list_as(unknown_key, ""),
        Err("InvalidAccessKeyId".to_string())
    );

    // Without a signature at all, reads and writes fail too (moto answers 403 or 500).
    for (method, path) in [
        ("GET", "/dredis-test/k"),
        ("PUT", "/dredis-test/k"),
        ("GET", "/"),
    ] {
        let status = unsigned_status(&moto, method, path);
        assert!(
            status >= 400,
            "{method} {path} without a signature: {status}"
        );
    }

    // The right secret works, and none of the refused writes landed.
    assert_eq!(moto.list(""), [("k".to_string(), 1)]);
    assert_eq!(moto.get_object("k"), Some(b"v".to_vec()));
}

#[test]
fn objects_round_trip_with_unusual_names() {
    let moto = Moto::start();
    // More than a listing page, with every byte value in the data.
    let names = [
        "0/1871/a%20b/type",
        "0/1871/x#1",
        "{tag}.k",
        "a@b+c=d,e~f:g",
        "sp ace/é",
    ];
    let data = |i: usize| -> Vec<u8> { (0..=255u8).cycle().skip(i).take(300 + i).collect() };
    for (i, name) in names.iter().enumerate() {
        moto.put_object(name, &data(i));
    }

    let mut listed: Vec<(String, u64)> = names
        .iter()
        .enumerate()
        .map(|(i, name)| (name.to_string(), data(i).len() as u64))
        .collect();
    listed.sort();
    assert_eq!(moto.list(""), listed);
    assert_eq!(moto.list("0/1871/"), listed[..2]);
    assert_eq!(moto.get_object("{tag}.k"), Some(data(2)));
    assert_eq!(moto.get_object("0/1871/a%20b/type"), Some(data(0)));
    assert_eq!(moto.get_object("0/1871/a b/type"), None);

    moto.delete_object("0/1871/x#1");
    assert_eq!(moto.get_object("0/1871/x#1"), None);
    listed.remove(1);
    assert_eq!(moto.list(""), listed);
}

//! dredis: a disk-backed, Redis-compatible server.
//!
//! `main` reads the configuration, opens the data directory and runs the server until
//! SHUTDOWN or a signal. The pieces, in the order a request meets them: `server` (sockets,
//! sessions), `protocol` (RESP in and out), `commands` (the command table and handlers),
//! `store` (everything about the data directory).

mod commands;
mod config;
mod error;
mod glob;
mod long_double;
mod number;
mod protocol;
mod scripting;
mod server;
mod snapshot;
mod store;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

use config::{Cli, Config};
use store::Store;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(command) = cli.command {
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .init();
        return match snapshot::cli::run(command) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("dredis: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let config = match Config::load(cli.server) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("dredis: {e}");
            return ExitCode::FAILURE;
        }
    };
    let level = if config.debug {
        tracing::Level::DEBUG
    } else {
        tracing::Level::INFO
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .init();
    match serve(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("dredis: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    if config.dir_is_temporary {
        tracing::info!(
            "no --dir given: using the temporary data directory {}",
            config.dir.display()
        );
    }
    let options = store::Options {
        databases: config.databases,
        fsync: config.fsync,
        cache_bytes: config.cache_size,
    };
    let snapshots = config
        .snapshot_to
        .as_deref()
        .map(|to| snapshot::Destination::parse(to, config.snapshot_endpoint.as_deref()))
        .transpose()
        .map_err(|e| format!("--snapshot-to: {e}"))?;
    // The TLS files are read before the data directory is touched.
    let acceptor = config.tls.as_ref().map(server::tls::acceptor).transpose()?;
    let store = Store::open(&config.dir, &options)?;
    if config.flushall {
        let mut batch = store.batch();
        for db in 0..store.databases() {
            batch.flush_db(db);
        }
        batch.commit()?;
        tracing::info!("--flushall: every database is empty");
    }
    // Disk work runs on tokio's blocking pool, bounded: on a machine with few cores, more
    // threads than cores thrash on context switches (measured: GET 28k/s with 2 threads on
    // 2 cores, 17k/s with 32).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(config.disk_threads)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        // Port 0 is no plain TCP at all, as in Redis (not a port of the kernel's choice).
        let tcp = match config.port {
            0 => None,
            port => Some(server::Listener {
                socket: tokio::net::TcpListener::bind((config.host, port)).await?,
                tls: None,
            }),
        };
        let tls = match (&config.tls, acceptor) {
            (Some(tls), Some(acceptor)) => Some(server::Listener {
                socket: tokio::net::TcpListener::bind((config.host, tls.port))
                    .await
                    .map_err(|e| {
                        std::io::Error::new(e.kind(), format!("--tls-port {}: {e}", tls.port))
                    })?,
                tls: Some(acceptor),
            }),
            _ => None,
        };
        let mut addresses = Vec::new();
        if let Some(listener) = &tcp {
            addresses.push(listener.socket.local_addr()?.to_string());
        }
        if let Some(listener) = &tls {
            addresses.push(format!("{} (TLS)", listener.socket.local_addr()?));
        }
        tracing::info!(
            "dredis {} ({} semantics) ready to accept connections on {}, data in {}, fsync {}",
            env!("CARGO_PKG_VERSION"),
            config::REDIS_VERSION,
            addresses.join(" and "),
            store.root().display(),
            config.fsync.name()
        );
        // `dredis snapshot` finds a running server through LOCK and speaks plain TCP to it.
        // Without a plain port, LOCK says port 0 (which no connection reaches) rather than
        // keep the address of an earlier run.
        let plain = match &tcp {
            Some(listener) => listener.socket.local_addr()?,
            None => std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 0)),
        };
        store.advertise(plain)?;
        let server = Arc::new(server::Server::new(store, config, snapshots));
        if server.acl.file().exists() {
            let requirepass = server.config.settings.text(config::P::Requirepass);
            server
                .acl
                .load(requirepass.as_bytes(), server.all_channels_default())
                .map_err(|e| {
                    std::io::Error::other(format!("Aborting startup because of ACL errors: {e}"))
                })?;
            tracing::info!("ACL users loaded from {}", server.acl.file().display());
        }
        server.scripting.open_functions(&server.store)?;
        let saver = server.clone();
        std::thread::Builder::new()
            .name("dredis-save".into())
            .spawn(move || saver.saves.serve(&saver.store))?;
        let expirer = server.clone();
        std::thread::Builder::new()
            .name("dredis-expire".into())
            .spawn(move || store::expiry::run(&expirer.store))?;
        server::run(server, server::Listeners { tcp, tls }).await
    })?;
    Ok(())
}

//! A real S3-compatible server for the snapshot tests: moto, checking every signature.
//!
//! [`Moto::start`] runs `moto_server` from the Python virtual environment that `scripts/test`
//! creates (`DREDIS_TEST_VENV`, else `<target dir>/s3-venv`) on a free port. Moto serves a
//! given number of requests unauthenticated and checks SigV4 signatures and IAM policies on all
//! later ones; the harness spends exactly those requests on a user, its access key, a policy
//! allowing it everything on S3 and the bucket `dredis-test`. A test then hands [`Moto::env`]
//! to a child process, and reads and writes objects through boto3 with the object helpers
//! (`tests/common/s3.py`). The server is killed when the [`Moto`] is dropped.
//!
//! Moto keeps objects bigger than 5 MiB in temporary files, smaller ones in memory, but it
//! copies an object whole into memory on every GET (ranged ones too) and several times when it
//! completes a multipart upload: a 1 GiB object costs it over 2.5 GiB, so keep objects small.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{collect, free_port, PATIENCE};

/// The boto3 client the object helpers run.
const CLIENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/common/s3.py");

/// The requests `s3.py setup` makes: create the user, its access key, its policy, the bucket.
const SETUP_REQUESTS: usize = 4;

/// The keys a listing returns per page, unless it asks for another number: few, so that
/// listings of a handful of objects already take several pages.
const LIST_PAGE: usize = 100;

/// An S3 server with a bucket and a user allowed everything on S3.
pub struct Moto {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub region: String,
    /// `dredis-test`, created empty.
    pub bucket: String,
    venv: PathBuf,
    child: Child,
    /// Everything moto printed: its address, then a line per request.
    log: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

/// The virtual environment holding moto and boto3.
fn venv() -> PathBuf {
    let venv = std::env::var_os("DREDIS_TEST_VENV").map_or_else(
        || {
            // The dredis binary sits in <target dir>/<profile>/.
            let binary = Path::new(env!("CARGO_BIN_EXE_dredis"));
            binary.parent().unwrap().parent().unwrap().join("s3-venv")
        },
        PathBuf::from,
    );
    assert!(
        venv.join("bin/moto_server").exists(),
        "moto is not installed in {}: run scripts/test, which installs it there",
        venv.display()
    );
    venv
}

impl Moto {
    /// Starts moto on a free port, creates the user, its key and the bucket, and from then on
    /// has moto check every request's signature.
    pub fn start() -> Moto {
        let venv = venv();
        for attempt in 1.. {
            let port = free_port();
            let mut child = Command::new(venv.join("bin/moto_server"))
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .env("INITIAL_NO_AUTH_ACTION_COUNT", SETUP_REQUESTS.to_string())
                .env("MOTO_S3_DEFAULT_MAX_KEYS", LIST_PAGE.to_string())
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn moto_server");
            let log = Arc::<Mutex<String>>::default();
            let readers = vec![
                collect(child.stdout.take().unwrap(), log.clone()),
                collect(child.stderr.take().unwrap(), log.clone()),
            ];
            let mut moto = Moto {
                endpoint: format!("http://127.0.0.1:{port}"),
                access_key_id: String::new(),
                secret_access_key: String::new(),
                region: "us-east-1".into(),
                bucket: "dredis-test".into(),
                venv: venv.clone(),
                child,
                log,
                readers,
            };
            match moto.wait_ready() {
                Ok(()) => {
                    moto.set_up();
                    return moto;
                }
                // The port was taken meanwhile: try another one.
                Err(log) if log.contains("Address already in use") && attempt < 5 => {}
                Err(log) => panic!("moto_server did not start:\n{log}"),
            }
        }
        unreachable!()
    }

    /// Waits until moto listens on its port; the error is its log.
    fn wait_ready(&mut self) -> Result<(), String> {
        // Werkzeug prints this once it holds the port.
        let listening = format!("Running on {}", self.endpoint);
        let deadline = Instant::now() + PATIENCE;
        while !self.log().contains(&listening) {
            let exited = self.child.try_wait().expect("poll moto_server").is_some();
            if exited || Instant::now() > deadline {
                self.stop();
                return Err(self.log());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }

    /// Spends the unauthenticated requests on the user, its key, its policy and the bucket.
    fn set_up(&mut self) {
        // Moto does not check these yet.
        let anyone = ("setup", "setup");
        let out = self
            .boto3(anyone, &["setup", "dredis", &self.bucket], b"")
            .unwrap_or_else(|code| panic!("setting moto up failed: {code}\n{}", self.log()));
        let out = String::from_utf8(out).expect("the key is text");
        let mut lines = out.lines().map(str::to_string);
        self.access_key_id = lines.next().expect("an access key id");
        self.secret_access_key = lines.next().expect("a secret access key");
    }

    /// What moto printed so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The environment a child process (dredis) needs to reach the bucket as the user.
    pub fn env(&self) -> Vec<(String, String)> {
        self.env_as(self.credentials())
    }

    /// The user's access key id and secret.
    fn credentials(&self) -> (&str, &str) {
        (&self.access_key_id, &self.secret_access_key)
    }

    fn env_as(&self, (access_key_id, secret_access_key): (&str, &str)) -> Vec<(String, String)> {
        [
            ("AWS_ACCESS_KEY_ID", access_key_id),
            ("AWS_SECRET_ACCESS_KEY", secret_access_key),
            ("AWS_REGION", &self.region),
            ("AWS_DEFAULT_REGION", &self.region),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
    }

    /// Writes an object into the bucket.
    pub fn put_object(&self, key: &str, data: &[u8]) {
        self.put_object_as(self.credentials(), key, data)
            .unwrap_or_else(|code| panic!("putting {key:?} failed: {code}"));
    }

    /// Writes an object as another (access key id, secret); the error is S3's code.
    pub fn put_object_as(
        &self,
        credentials: (&str, &str),
        key: &str,
        data: &[u8],
    ) -> Result<(), String> {
        self.boto3(credentials, &["put", &self.bucket, key], data)
            .map(drop)
    }

    /// An object's bytes, or None when the bucket has no such key.
    pub fn get_object(&self, key: &str) -> Option<Vec<u8>> {
        match self.boto3(self.credentials(), &["get", &self.bucket, key], b"") {
            Ok(data) => Some(data),
            Err(code) if code == "NoSuchKey" => None,
            Err(code) => panic!("getting {key:?} failed: {code}"),
        }
    }

    pub fn delete_object(&self, key: &str) {
        self.boto3(self.credentials(), &["delete", &self.bucket, key], b"")
            .unwrap_or_else(|code| panic!("deleting {key:?} failed: {code}"));
    }

    /// Every key under the prefix with its size, in S3's order (all pages).
    pub fn list(&self, prefix: &str) -> Vec<(String, u64)> {
        self.list_as(self.credentials(), prefix)
            .unwrap_or_else(|code| panic!("listing {prefix:?} failed: {code}"))
    }

    /// Lists as another (access key id, secret); the error is S3's code.
    pub fn list_as(
        &self,
        credentials: (&str, &str),
        prefix: &str,
    ) -> Result<Vec<(String, u64)>, String> {
        let out = self.boto3(credentials, &["list", &self.bucket, prefix], b"")?;
        let out = String::from_utf8(out).expect("keys are text");
        let fields: Vec<&str> = out.split_terminator('\0').collect();
        Ok(fields
            .chunks(2)
            .map(|entry| (entry[0].to_string(), entry[1].parse().expect("a size")))
            .collect())
    }

    /// Creates another bucket.
    pub fn create_bucket(&self, name: &str) {
        self.boto3(self.credentials(), &["create-bucket", name], b"")
            .unwrap_or_else(|code| panic!("creating bucket {name:?} failed: {code}"));
    }

    /// Runs one `s3.py` operation with `input` on its stdin and returns its stdout; the error
    /// is the code of S3's error reply. Panics when the client itself fails.
    fn boto3(
        &self,
        credentials: (&str, &str),
        args: &[&str],
        input: &[u8],
    ) -> Result<Vec<u8>, String> {
        let mut child = Command::new(self.venv.join("bin/python"))
            .arg(CLIENT)
            .args(args)
            .envs(self.env_as(credentials))
            .env("S3_ENDPOINT", &self.endpoint)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run the venv's python");
        let mut stdin = child.stdin.take().unwrap();
        let input = input.to_vec();
        // A failed write shows as the client's failure.
        let writer = std::thread::spawn(move || drop(stdin.write_all(&input)));
        let out = child.wait_with_output().expect("s3.py output");
        writer.join().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        match out.status.code() {
            Some(0) => Ok(out.stdout),
            Some(3) => Err(stderr.trim().to_string()),
            _ => panic!("s3.py {args:?} failed ({}):\n{stderr}", out.status),
        }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}

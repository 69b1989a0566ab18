//! A real SMTP server of the test's own: `tests/python/smtp_sink.py` (aiosmtpd, in the
//! project's virtualenv) on a free loopback port, writing what it accepts to a
//! directory the test reads.

use std::path::PathBuf;
use std::process::Stdio;

use tokio::io::AsyncBufReadExt;

/// One message the server accepted, decoded.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Received {
    pub rcpt_tos: Vec<String>,
    pub subject: String,
    pub message_id: String,
    pub content_language: String,
    pub text: String,
    pub html: String,
}

/// The running server; stopped (its standard input closed, then killed) when dropped.
pub struct SmtpSink {
    pub port: u16,
    dir: PathBuf,
    _child: tokio::process::Child,
}

/// The virtualenv's Python: `KOMPIS_TEST_PYTHON` (scripts/test.sh sets it), else the
/// repository's `.venv`.
fn python() -> PathBuf {
    std::env::var("KOMPIS_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python"))
}

impl SmtpSink {
    /// Starts the server and waits until it accepts connections.
    pub async fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("kompis-smtp-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/python/smtp_sink.py");
        let mut child = tokio::process::Command::new(python())
            .arg(script)
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("python with aiosmtpd (scripts/test.sh makes .venv from tests/python/requirements.txt)");
        let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("smtp_sink.py prints its port");
        let port = line
            .strip_prefix("listening on ")
            .and_then(|p| p.trim().parse().ok())
            .expect("listening on PORT");
        Self {
            port,
            dir,
            _child: child,
        }
    }

    /// The URL kompisd sends to (plain SMTP on loopback).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message accepted so far.
    pub fn received(&self) -> Vec<Received> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&self.dir).unwrap().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push(serde_json::from_str(&text).unwrap());
            }
        }
        out
    }

    /// From now on, accept the recipients it refused (a mailbox that came back).
    pub fn accept_all(&self) {
        std::fs::write(self.dir.join("accept-all"), b"").unwrap();
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

//! A `ttkg serve` process for the end-to-end tests, stopped when dropped.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub url: String,
    /// What the server wrote on standard error after its start-up line.
    pub log: mpsc::Receiver<String>,
}

impl Server {
    /// Starts `ttkg --root ROOT --store STORE serve --bind 127.0.0.1:0 ARGS...`
    /// with `env`, and waits for the line that gives its address.
    pub fn start(root: &Path, store: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ttkg"));
        command
            .arg("--root")
            .arg(root)
            .arg("--store")
            .arg(store)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(args)
            .env_remove("TTKG_STORE")
            .env_remove("TTKG_ROOT")
            .env_remove("TTKG_SERVE_TOKEN")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("ttkg serve starts");
        let stderr = child.stderr.take().expect("piped");
        let (lines, log) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let mut seen = Vec::new();
        let url = loop {
            match log.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => {
                    if let Some(rest) = line.split(" at http://").nth(1) {
                        let address = rest.split('/').next().expect("an address");
                        break format!("http://{address}");
                    }
                    seen.push(line);
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!("ttkg serve did not start:\n{}", seen.join("\n"));
                }
            }
        };
        Server { child, url, log }
    }

    /// Stops the server as systemd or Ctrl+C would, and waits for it.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        self.child.wait().expect("the server exits")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// What `curl` got: the status, the Content-Type and the body.
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

/// Runs `curl -sS ARGS... URL` and reads the status and content type it reports.
pub fn curl(url: &str, args: &[&str]) -> Reply {
    let output = Command::new("curl")
        .args(["-sS", "-o", "-", "-w", "\n%{http_code} %{content_type}"])
        .args(args)
        .arg(url)
        .output()
        .expect("curl runs (scripts/test installs it)");
    assert!(
        output.status.success(),
        "curl {args:?} {url} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (body, tail) = text.rsplit_once('\n').expect("curl's -w line");
    let (status, content_type) = tail.split_once(' ').unwrap_or((tail, ""));
    Reply {
        status: status.parse().expect("an HTTP status"),
        content_type: content_type.to_owned(),
        body: body.to_owned(),
    }
}

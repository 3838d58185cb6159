//! A `qlik-harness` server started as a child process by a test: its first stdout line (the
//! JSON it prints when it is ready) read, the rest of stdout drained, its stderr collected as it
//! runs (to check it for secrets).

use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

/// A server process that printed its first line.
pub struct Spawned {
    pub child: Child,
    pub first_line: Value,
    pub stderr: Arc<Mutex<Vec<u8>>>,
}

/// Starts `command` (named `what` in failures) with piped output and waits for its first line.
pub fn spawn(mut command: Command, what: &str) -> Spawned {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {what}: {e}"));
    let stderr = Arc::new(Mutex::new(Vec::new()));
    let mut pipe = child.stderr.take().unwrap();
    let sink = stderr.clone();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        sink.lock().unwrap().extend(bytes);
    });
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap_or_else(|e| panic!("{what}'s first line: {e}"));
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let first_line = serde_json::from_str(&first).unwrap_or_else(|_| panic!("{what}'s first line: {first:?}"));
    Spawned { child, first_line, stderr }
}

//! A Redis server of the test's own, on a free port, for fault tests that kill it and
//! start it again empty. Never touches the shared server.

use std::io::BufRead;

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `redis-server` without persistence on `port`, run in the foreground as a child;
/// returns once it says it accepts connections.
pub fn start_redis(port: u16) -> std::process::Child {
    let mut child = std::process::Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("redis-server (scripts/test.sh installs it)");
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(stdout).lines();
    loop {
        let line = lines
            .next()
            .expect("redis-server exited before it was ready")
            .unwrap();
        if line.contains("Ready to accept connections") {
            break;
        }
    }
    // Keep draining its output so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    child
}

//! `grpc-health-probe`: one `grpc.health.v1.Health/Check` call, answered by the exit code.
//!
//! The container image ships it so that Docker Compose (and anything else without the
//! kubelet's built-in gRPC probe) can health-check `kompisd serve` by the same rule a
//! load balancer uses: SERVING or not, as the server itself reports it.
//!
//! ```text
//! grpc-health-probe [--addr HOST:PORT] [--service NAME] [--timeout-ms MS]
//! ```
//!
//! Exit codes follow the Go `grpc_health_probe`: 0 serving, 1 bad arguments,
//! 2 connection failed, 3 the call failed, 4 not serving.

use std::process::ExitCode;
use std::time::Duration;

use tonic::transport::Endpoint;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// What to ask, from the command line.
#[derive(Debug)]
struct Probe {
    addr: String,
    service: String,
    timeout: Duration,
}

const USAGE: &str = "usage: grpc-health-probe [--addr HOST:PORT] [--service NAME] [--timeout-ms MS]";

/// Parses `--flag value` pairs; the defaults probe a local kompisd as a whole.
fn parse(mut args: impl Iterator<Item = String>) -> Result<Probe, String> {
    let mut probe = Probe {
        addr: "127.0.0.1:50051".to_owned(),
        service: String::new(),
        timeout: Duration::from_secs(2),
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => probe.addr = value()?,
            "--service" => probe.service = value()?,
            "--timeout-ms" => {
                let ms = value()?;
                let ms: u64 = ms
                    .parse()
                    .map_err(|_| format!("--timeout-ms: {ms:?} is not a number"))?;
                probe.timeout = Duration::from_millis(ms);
            }
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(probe)
}

fn main() -> ExitCode {
    let probe = match parse(std::env::args().skip(1)) {
        Ok(probe) => probe,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(1);
        }
    };
    // One call needs no worker threads; a current-thread runtime keeps the probe light.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    ExitCode::from(runtime.block_on(check(&probe)))
}

/// Connects and calls Check once, both within the timeout; returns the exit code.
async fn check(probe: &Probe) -> u8 {
    let endpoint = match Endpoint::from_shared(format!("http://{}", probe.addr)) {
        Ok(endpoint) => endpoint.connect_timeout(probe.timeout).timeout(probe.timeout),
        Err(e) => {
            eprintln!("--addr {:?}: {e}", probe.addr);
            return 1;
        }
    };
    let channel = match endpoint.connect().await {
        Ok(channel) => channel,
        Err(e) => {
            eprintln!("cannot connect to {}: {e}", probe.addr);
            return 2;
        }
    };
    let request = HealthCheckRequest {
        service: probe.service.clone(),
    };
    match HealthClient::new(channel).check(request).await {
        Ok(response) => {
            let status = response.into_inner().status();
            if status == ServingStatus::Serving {
                println!("status: SERVING");
                0
            } else {
                println!("status: {}", status.as_str_name());
                4
            }
        }
        Err(status) => {
            eprintln!("health check failed: {} {}", status.code(), status.message());
            3
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> impl Iterator<Item = String> {
        list.iter()
            .map(|s| (*s).to_owned())
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn no_arguments_probe_the_whole_local_server() {
        let probe = parse(args(&[])).unwrap();
        assert_eq!(probe.addr, "127.0.0.1:50051");
        assert_eq!(probe.service, "");
        assert_eq!(probe.timeout, Duration::from_secs(2));
    }

    #[test]
    fn flags_set_the_address_service_and_timeout() {
        let probe = parse(args(&[
            "--addr",
            "10.0.0.1:9000",
            "--service",
            "kompis.v1.ReferralService",
            "--timeout-ms",
            "250",
        ]))
        .unwrap();
        assert_eq!(probe.addr, "10.0.0.1:9000");
        assert_eq!(probe.service, "kompis.v1.ReferralService");
        assert_eq!(probe.timeout, Duration::from_millis(250));
    }

    #[test]
    fn an_unknown_flag_or_a_missing_value_is_refused() {
        assert!(parse(args(&["--port", "1"])).is_err());
        assert!(parse(args(&["--addr"])).is_err());
        assert!(parse(args(&["--timeout-ms", "soon"])).is_err());
    }
}

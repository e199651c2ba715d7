//! A loopback HTTP proxy that breaks things on purpose, for the exactly-once tests and the
//! benchmarks: it sits between a connector and a real GL server and, per request, following a
//! schedule drawn from a seeded random generator, passes it through or injects a fault.
//!
//! The faults are the ones that make "exactly once" hard:
//!
//! * [`Fault::DropResponse`] — the request reaches the GL, which books the entry, but the
//!   answer never comes back (the connection is closed instead);
//! * [`Fault::ResetBeforeForward`] — the connection is closed before the request is forwarded;
//! * [`Fault::Status`] — an error status (500, 503) without forwarding;
//! * [`Fault::RateLimit`] — `429 Too Many Requests` with `Retry-After`;
//! * [`Fault::Slow`] — the GL books the entry but the answer comes after the client gave up;
//! * an outage ([`FaultProxy::set_down`]) — every connection is closed at once until it is
//!   lifted.
//!
//! Each request is forwarded on its own upstream connection with `Connection: close`, so the
//! proxy can read the whole answer before it decides what the client gets. It listens on
//! 127.0.0.1 only and is meant for tests and benchmarks.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    Pass,
    DropResponse,
    ResetBeforeForward,
    Status(u16),
    RateLimit { retry_after_secs: u64 },
    Slow(Duration),
}

/// Faults with their weights; `Pass` takes what is left of 1000.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// `(fault, per mille)`.
    pub faults: Vec<(Fault, u32)>,
    pub seed: u64,
}

impl Schedule {
    /// Every request passes.
    pub fn none() -> Schedule {
        Schedule {
            faults: Vec::new(),
            seed: 0,
        }
    }

    /// Every kind of fault, `per_mille` of the requests each; answers are held back for `slow`.
    pub fn all_faults(per_mille: u32, slow: Duration, seed: u64) -> Schedule {
        Schedule {
            faults: vec![
                (Fault::DropResponse, per_mille),
                (Fault::ResetBeforeForward, per_mille),
                (Fault::Status(500), per_mille),
                (Fault::Status(503), per_mille),
                (
                    Fault::RateLimit {
                        retry_after_secs: 1,
                    },
                    per_mille,
                ),
                (Fault::Slow(slow), per_mille),
            ],
            seed,
        }
    }
}

#[derive(Debug)]
struct Shared {
    upstream: SocketAddr,
    faults: Vec<(Fault, u32)>,
    rng: Mutex<StdRng>,
    down: AtomicBool,
    counts: Mutex<BTreeMap<Fault, u64>>,
}

impl Shared {
    fn draw(&self) -> Fault {
        let roll = self
            .rng
            .lock()
            .map(|mut r| r.random_range(0..1000u32))
            .unwrap_or(1000);
        let mut edge = 0;
        let fault = self
            .faults
            .iter()
            .find(|(_, weight)| {
                edge += weight;
                roll < edge
            })
            .map(|(f, _)| *f)
            .unwrap_or(Fault::Pass);
        if let Ok(mut counts) = self.counts.lock() {
            *counts.entry(fault).or_insert(0) += 1;
        }
        fault
    }
}

/// A running proxy. Dropping it stops it.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// Starts a proxy on a free port of 127.0.0.1 in front of `upstream`.
    pub async fn start(upstream: SocketAddr, schedule: Schedule) -> std::io::Result<FaultProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            upstream,
            faults: schedule.faults,
            rng: Mutex::new(StdRng::seed_from_u64(schedule.seed)),
            down: AtomicBool::new(false),
            counts: Mutex::new(BTreeMap::new()),
        });
        let accepting = Arc::clone(&shared);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if accepting.down.load(Ordering::SeqCst) {
                    // A GL that is down: the connection is closed at once.
                    drop(client);
                    continue;
                }
                let shared = Arc::clone(&accepting);
                tokio::spawn(async move {
                    let _ = serve(client, &shared).await;
                });
            }
        });
        Ok(FaultProxy { addr, shared, task })
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Takes the GL "offline" (every connection is reset) or brings it back.
    pub fn set_down(&self, down: bool) {
        self.shared.down.store(down, Ordering::SeqCst);
    }

    /// How often each fault was injected so far.
    pub fn counts(&self) -> BTreeMap<Fault, u64> {
        self.shared
            .counts
            .lock()
            .map(|c| c.clone())
            .unwrap_or_default()
    }
}

/// The end of the header block in `buf`, if it is all there.
fn header_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

fn content_length(head: &str) -> usize {
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0)
}

/// Reads one request (head and body) from `client`; `None` at a clean end of the connection.
async fn read_request(
    client: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut chunk = [0u8; 16 * 1024];
    let end = loop {
        if let Some(end) = header_end(buf) {
            break end;
        }
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let total = end + content_length(&head);
    while buf.len() < total {
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    // The request with `Connection: close`, so the upstream answer ends with the connection.
    let mut rewritten = String::new();
    for line in head.trim_end().split("\r\n") {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            rewritten.push_str(line);
            rewritten.push_str("\r\n");
        }
    }
    rewritten.push_str("Connection: close\r\n\r\n");
    let mut request = rewritten.into_bytes();
    request.extend_from_slice(&buf[end..total]);
    buf.drain(..total);
    Ok(Some(request))
}

async fn forward(upstream: SocketAddr, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut server = TcpStream::connect(upstream).await?;
    server.write_all(request).await?;
    let mut response = Vec::new();
    server.read_to_end(&mut response).await?;
    Ok(closing(response))
}

/// The upstream answer saying `Connection: close` (this proxy closes every connection after its
/// answer): without it a client keeps the connection for its next request and meets a reset that
/// no fault schedule asked for.
fn closing(response: Vec<u8>) -> Vec<u8> {
    let Some(end) = header_end(&response) else {
        return response;
    };
    let head = String::from_utf8_lossy(&response[..end]).to_ascii_lowercase();
    if head.contains("\r\nconnection:") {
        return response;
    }
    let Some(line_end) = response.windows(2).position(|w| w == b"\r\n") else {
        return response;
    };
    let mut out = Vec::with_capacity(response.len() + 19);
    out.extend_from_slice(&response[..line_end + 2]);
    out.extend_from_slice(b"Connection: close\r\n");
    out.extend_from_slice(&response[line_end + 2..]);
    out
}

fn canned(status: u16, extra: &str) -> Vec<u8> {
    let reason = match status {
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Error",
    };
    format!("HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n{extra}\r\n")
        .into_bytes()
}

async fn serve(mut client: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let mut buf = Vec::new();
    // One request per connection: every answer closes it (the upstream one did too).
    if let Some(request) = read_request(&mut client, &mut buf).await? {
        let response = match shared.draw() {
            Fault::Pass => match forward(shared.upstream, &request).await {
                Ok(response) if !response.is_empty() => response,
                _ => canned(502, ""),
            },
            Fault::DropResponse => {
                let _ = forward(shared.upstream, &request).await;
                return Ok(());
            }
            Fault::ResetBeforeForward => return Ok(()),
            Fault::Status(status) => canned(status, ""),
            Fault::RateLimit { retry_after_secs } => {
                canned(429, &format!("Retry-After: {retry_after_secs}\r\n"))
            }
            Fault::Slow(delay) => {
                let response = forward(shared.upstream, &request).await;
                tokio::time::sleep(delay).await;
                response.unwrap_or_else(|_| canned(502, ""))
            }
        };
        client.write_all(&response).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_is_reproducible_and_keeps_its_weights() {
        let make = || Shared {
            upstream: "127.0.0.1:1".parse().unwrap(),
            faults: Schedule::all_faults(50, Duration::from_secs(1), 7).faults,
            rng: Mutex::new(StdRng::seed_from_u64(7)),
            down: AtomicBool::new(false),
            counts: Mutex::new(BTreeMap::new()),
        };
        let (a, b) = (make(), make());
        let draws: Vec<Fault> = (0..10_000).map(|_| a.draw()).collect();
        assert_eq!(draws, (0..10_000).map(|_| b.draw()).collect::<Vec<_>>());
        let counts = a.counts.lock().unwrap().clone();
        assert_eq!(counts.len(), 7, "{counts:?}");
        let passed = counts[&Fault::Pass];
        assert!(
            (6_500..7_500).contains(&passed),
            "{passed} of 10,000 passed"
        );
        for (fault, n) in counts {
            if fault != Fault::Pass {
                assert!((350..650).contains(&n), "{fault:?}: {n}");
            }
        }
    }

    #[test]
    fn forwarded_answers_say_the_connection_closes() {
        let plain = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec();
        assert_eq!(
            closing(plain),
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok".to_vec()
        );
        let said = b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n".to_vec();
        assert_eq!(closing(said.clone()), said);
        assert_eq!(closing(b"HTTP/1.1 2".to_vec()), b"HTTP/1.1 2".to_vec());
    }

    #[tokio::test]
    async fn requests_pass_through_and_faults_reach_the_client() {
        // A tiny upstream that answers every request with its body length.
        let upstream = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let upstream_addr = upstream.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = upstream.accept().await {
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    if let Ok(Some(req)) = read_request(&mut s, &mut buf).await {
                        let body = format!("{}", req.len());
                        let _ = s
                            .write_all(
                                format!(
                                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                                    body.len()
                                )
                                .as_bytes(),
                            )
                            .await;
                    }
                });
            }
        });
        let proxy = FaultProxy::start(upstream_addr, Schedule::none())
            .await
            .unwrap();
        let client = reqwest::Client::new();
        let ok = client
            .put(format!("{}/x", proxy.url()))
            .body("hello")
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200);
        assert!(!ok.text().await.unwrap().is_empty());

        let failing = FaultProxy::start(
            upstream_addr,
            Schedule {
                faults: vec![(
                    Fault::RateLimit {
                        retry_after_secs: 3,
                    },
                    1000,
                )],
                seed: 1,
            },
        )
        .await
        .unwrap();
        let limited = client.get(failing.url()).send().await.unwrap();
        assert_eq!(limited.status(), 429);
        assert_eq!(limited.headers()["retry-after"], "3");

        proxy.set_down(true);
        assert!(client.get(proxy.url()).send().await.is_err());
        proxy.set_down(false);
        assert!(client.get(proxy.url()).send().await.is_ok());
        assert_eq!(proxy.counts()[&Fault::Pass], 2);
    }
}

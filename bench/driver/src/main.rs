//! Load driver for `bench/load.py`: bounded iterations over N concurrent keep-alive connections,
//! one OS thread per connection, standard library only (so it builds offline).
//!
//! Modes:
//!   code URL AUTHORIZE_PATH TOKEN_PATH CLIENT_ID REDIRECT_URI COOKIE ITERATIONS CONCURRENCY
//!       flow 1: GET authorize with the session cookie → code from Location → POST token.
//!       PKCE pairs ("verifier challenge" per line, made by the caller) are read from stdin.
//!   get URL PATHS(comma-separated) ITERATIONS CONCURRENCY
//!       one iteration = a GET of every path in order (discovery + JWKS).
//! Prints one JSON object: ok, errors, seconds, per_second, p50_ms, p99_ms, first_error.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Response {
    status: u16,
    location: Option<String>,
    body: Vec<u8>,
}

/// One keep-alive HTTP/1.1 connection that reconnects when the server closes it.
struct Connection {
    addr: SocketAddr,
    host: String,
    reader: Option<BufReader<TcpStream>>,
}

impl Connection {
    fn new(addr: SocketAddr, host: &str) -> Self {
        Connection { addr, host: host.to_string(), reader: None }
    }

    fn send(&mut self, method: &str, path: &str, headers: &str, body: &str) -> io::Result<Response> {
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: hallmark-load\r\nAccept: */*\r\n{headers}\
             Content-Length: {}\r\n\r\n{body}",
            self.host,
            body.len()
        );
        // A reused connection may have been closed by the server between requests: retry once, fresh.
        let reused = self.reader.is_some();
        match self.exchange(request.as_bytes()) {
            Err(_) if reused => {
                self.reader = None;
                self.exchange(request.as_bytes())
            }
            other => other,
        }
    }

    fn exchange(&mut self, request: &[u8]) -> io::Result<Response> {
        if self.reader.is_none() {
            let stream = TcpStream::connect_timeout(&self.addr, Duration::from_secs(10))?;
            stream.set_nodelay(true)?;
            stream.set_read_timeout(Some(Duration::from_secs(30)))?;
            self.reader = Some(BufReader::with_capacity(64 * 1024, stream));
        }
        let reader = self.reader.as_mut().unwrap();
        reader.get_mut().write_all(request)?;
        let response = read_response(reader);
        match &response {
            Ok((_, keep_alive)) if *keep_alive => {}
            _ => self.reader = None,
        }
        response.map(|(r, _)| r)
    }
}

fn read_response(reader: &mut BufReader<TcpStream>) -> io::Result<(Response, bool)> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed"));
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad status line"))?;
    let (mut length, mut chunked, mut keep_alive, mut location) = (None, false, true, None);
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse::<usize>().ok(),
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                "connection" => keep_alive = !value.eq_ignore_ascii_case("close"),
                "location" => location = Some(value.to_string()),
                _ => {}
            }
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
            let start = body.len();
            body.resize(start + size, 0);
            reader.read_exact(&mut body[start..])?;
            line.clear();
            reader.read_line(&mut line)?;
            if size == 0 {
                break;
            }
        }
    } else if let Some(n) = length {
        body.resize(n, 0);
        reader.read_exact(&mut body)?;
    } else {
        reader.read_to_end(&mut body)?;
        keep_alive = false;
    }
    Ok((Response { status, location, body }, keep_alive))
}

fn query_value<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then_some(v)
    })
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Split "http://host:port" into the socket address (IPv4 preferred) and the Host header.
fn target(url: &str) -> (SocketAddr, String) {
    let host = url.trim_start_matches("http://").trim_end_matches('/').to_string();
    let addrs: Vec<SocketAddr> = host.to_socket_addrs().expect("resolvable host:port").collect();
    let addr = *addrs.iter().find(|a| a.is_ipv4()).unwrap_or(&addrs[0]);
    (addr, host)
}

struct Tally {
    latencies: Mutex<Vec<Duration>>,
    errors: AtomicUsize,
    first_error: Mutex<Option<String>>,
}

impl Tally {
    fn fail(&self, message: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        self.first_error.lock().unwrap().get_or_insert(message);
    }
}

fn code_iteration(conn: &mut Connection, args: &[String], pkce: (&str, &str)) -> Result<(), String> {
    let (authorize, token, client_id, redirect_uri, cookie) = (&args[3], &args[4], &args[5], &args[6], &args[7]);
    let (verifier, challenge) = pkce;
    let path = format!(
        "{authorize}?response_type=code&client_id={client_id}&scope=openid&state=s&redirect_uri={}\
         &code_challenge={challenge}&code_challenge_method=S256",
        encode(redirect_uri)
    );
    let reply = conn
        .send("GET", &path, &format!("Cookie: {cookie}\r\n"), "")
        .map_err(|e| format!("authorize: {e}"))?;
    let location = reply.location.ok_or(format!("authorize: {} without Location", reply.status))?;
    let code = query_value(&location, "code").ok_or(format!("authorize: no code in {location}"))?;
    let body = format!(
        "grant_type=authorization_code&code={code}&code_verifier={verifier}&redirect_uri={}&client_id={client_id}",
        encode(redirect_uri)
    );
    let reply = conn
        .send("POST", token, "Content-Type: application/x-www-form-urlencoded\r\n", &body)
        .map_err(|e| format!("token: {e}"))?;
    let has_token = reply.body.windows(14).any(|w| w == b"\"access_token\"");
    if reply.status != 200 || !has_token {
        return Err(format!("token: {} {}", reply.status, String::from_utf8_lossy(&reply.body)));
    }
    Ok(())
}

fn get_iteration(conn: &mut Connection, paths: &[&str]) -> Result<(), String> {
    for path in paths {
        let reply = conn.send("GET", path, "", "").map_err(|e| format!("{path}: {e}"))?;
        if reply.status != 200 {
            return Err(format!("{path}: {}", reply.status));
        }
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: hallmark-load code URL AUTHORIZE TOKEN CLIENT_ID REDIRECT_URI COOKIE N C | get URL PATHS N C";
    let mode = args.get(1).map(String::as_str).unwrap_or("");
    let (iterations, concurrency): (usize, usize) = match (mode, args.len()) {
        ("code", 10) => (args[8].parse().expect(usage), args[9].parse().expect(usage)),
        ("get", 6) => (args[4].parse().expect(usage), args[5].parse().expect(usage)),
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    let pkce: Vec<(String, String)> = if mode == "code" {
        io::stdin()
            .lock()
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| l.split_once(' ').map(|(v, c)| (v.to_string(), c.to_string())))
            .collect()
    } else {
        Vec::new()
    };
    if mode == "code" && pkce.len() < iterations {
        eprintln!("need {iterations} PKCE pairs on stdin, got {}", pkce.len());
        std::process::exit(2);
    }
    let (addr, host) = target(&args[2]);
    let args = Arc::new(args);
    let pkce = Arc::new(pkce);
    let next = Arc::new(AtomicUsize::new(0));
    let tally = Arc::new(Tally {
        latencies: Mutex::new(Vec::with_capacity(iterations)),
        errors: AtomicUsize::new(0),
        first_error: Mutex::new(None),
    });
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (args, pkce, next, tally, host) = (args.clone(), pkce.clone(), next.clone(), tally.clone(), host.clone());
            std::thread::spawn(move || {
                let mut conn = Connection::new(addr, &host);
                let paths: Vec<&str> = if args[1] == "get" { args[3].split(',').collect() } else { Vec::new() };
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= iterations {
                        break;
                    }
                    let t = Instant::now();
                    let result = if args[1] == "code" {
                        code_iteration(&mut conn, &args, (&pkce[i].0, &pkce[i].1))
                    } else {
                        get_iteration(&mut conn, &paths)
                    };
                    match result {
                        Ok(()) => mine.push(t.elapsed()),
                        Err(e) => tally.fail(e),
                    }
                }
                tally.latencies.lock().unwrap().extend(mine);
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut latencies = tally.latencies.lock().unwrap().clone();
    latencies.sort();
    let pick = |q: f64| {
        latencies
            .get(((q * latencies.len() as f64) as usize).min(latencies.len().saturating_sub(1)))
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(f64::NAN)
    };
    let first_error = tally.first_error.lock().unwrap().clone().unwrap_or_default();
    println!(
        "{{\"ok\": {}, \"errors\": {}, \"seconds\": {:.3}, \"per_second\": {:.1}, \"p50_ms\": {:.2}, \"p99_ms\": {:.2}, \
         \"first_error\": {:?}}}",
        latencies.len(),
        tally.errors.load(Ordering::Relaxed),
        seconds,
        latencies.len() as f64 / seconds,
        pick(0.5),
        pick(0.99),
        first_error.chars().take(160).collect::<String>()
    );
}

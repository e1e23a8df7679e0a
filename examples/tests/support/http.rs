//! Plain HTTP/1.1 over a TCP stream: the requests no browser makes (a
//! forged cross-origin POST, a burst of wrong passwords), and the headers
//! of an answer.

use std::io::{Read, Write};
use std::net::TcpStream;

/// One answer.
#[derive(Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// Header names (lowercase) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
}

impl Answer {
    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `name=value` of every cookie the answer sets.
    pub fn cookies(&self) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n == "set-cookie")
            .filter_map(|(_, v)| v.split(';').next())
            .map(str::to_owned)
            .collect()
    }

    /// The value of the page's first `name="csrf"` field.
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("a CSRF field");
        let rest = &self.body[at + "name=\"csrf\" value=\"".len()..];
        rest[..rest.find('"').expect("the value ends")].to_owned()
    }
}

/// Sends one request to `addr` and reads the whole answer.
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let mut stream = TcpStream::connect(addr).expect("connect to the site");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if method == "POST" {
        head.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("send the head");
    stream.write_all(body.as_bytes()).expect("send the body");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read the answer");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// A client that keeps cookies, like a browser (without its `Origin`
/// unless told).
#[derive(Debug)]
pub struct Jar {
    addr: String,
    cookies: std::collections::BTreeMap<String, String>,
}

impl Jar {
    /// No cookies yet.
    pub fn new(addr: &str) -> Self {
        Self {
            addr: addr.to_owned(),
            cookies: std::collections::BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, answer: &Answer) {
        for (_, value) in answer.headers.iter().filter(|(n, _)| n == "set-cookie") {
            let mut parts = value.split(';');
            let Some((name, v)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let gone = v.is_empty() || parts.any(|a| a.trim() == "Max-Age=0");
            if gone {
                self.cookies.remove(name.trim());
            } else {
                self.cookies
                    .insert(name.trim().to_owned(), v.trim().to_owned());
            }
        }
    }

    /// `GET path`.
    pub fn get(&mut self, path: &str) -> Answer {
        let cookie = self.cookie_header();
        let answer = request(&self.addr, "GET", path, &[("Cookie", &cookie)], "");
        self.keep(&answer);
        answer
    }

    /// `POST path` with the form `fields` and the token of the page at
    /// `form_page`, from this origin.
    pub fn post(&mut self, form_page: &str, path: &str, fields: &[(&str, &str)]) -> Answer {
        let token = self.get(form_page).csrf();
        let mut body = format!("csrf={token}");
        for (name, value) in fields {
            body.push_str(&format!("&{name}={}", form_encode(value)));
        }
        let cookie = self.cookie_header();
        let origin = format!("http://{}", self.addr);
        let answer = request(
            &self.addr,
            "POST",
            path,
            &[("Cookie", &cookie), ("Origin", &origin)],
            &body,
        );
        self.keep(&answer);
        answer
    }
}

/// `application/x-www-form-urlencoded` escaping.
pub fn form_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

/// Kills the server when the test ends, whatever happens.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serve_prints_its_urls_and_answers_the_webhook() {
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_callfull"))
            .args(["serve", "--port", "0", "--seed", "3"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let banner = lines.next().unwrap().unwrap();
    assert!(banner.starts_with("callfull: fake Bitrix24 on http://127.0.0.1:"), "{banner}");
    let webhook = lines.next().unwrap().unwrap();
    let url = webhook.trim().strip_prefix("webhook:").unwrap().trim().to_owned();
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();

    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(stream, "GET /{path}user.get.json HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"total\":20"), "{response}");
}

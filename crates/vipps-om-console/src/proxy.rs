//! The client's address: the connection's peer, or — only when the peer
//! is a trusted reverse proxy ([`crate::ConsoleConfig::trusted_proxies`]) —
//! the address that proxy reports in `X-Forwarded-For` or `Forwarded`
//! ([`crate::ConsoleConfig::forwarded_header`]; only the one the proxy
//! sets is read, because a proxy passes the other one on from the client
//! unchanged).
//!
//! The header is read from the right: the last entry is the one the
//! trusted proxy added (what a client sends itself stands to its left);
//! entries that are themselves trusted proxies (a chain) are skipped. An
//! entry that is not an IP address (`unknown`, an obfuscated name) stops
//! the walk and the peer's address is used.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

/// Which header a trusted proxy sets with the client's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1` (nginx, HAProxy, Caddy, Traefik).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client;proto=https`.
    Forwarded,
}

fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

/// Reads an address as proxies write it: `1.2.3.4`, `1.2.3.4:567`,
/// `2001:db8::1`, `[2001:db8::1]:567`, optionally quoted.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim().trim_matches('"');
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Ok(sock) = entry.parse::<SocketAddr>() {
        return Some(canonical(sock.ip()));
    }
    entry
        .strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(ip, _)| ip.parse::<IpAddr>().ok())
        .map(canonical)
}

/// The `for=` entries of `Forwarded` headers, in order (`None` for an
/// element without `for=`).
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<String>> {
    headers
        .get_all("forwarded")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|element| {
            element.split(';').find_map(|pair| {
                let (key, value) = pair.trim().split_once('=')?;
                key.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| value.trim().to_owned())
            })
        })
        .collect()
}

/// The client's address of a request that came from `peer`.
pub fn client_ip(
    peer: IpAddr,
    headers: &HeaderMap,
    trusted: &[IpAddr],
    header: ForwardedHeader,
) -> IpAddr {
    let peer = canonical(peer);
    let is_trusted = |ip: IpAddr| trusted.iter().any(|t| canonical(*t) == ip);
    if !is_trusted(peer) {
        return peer;
    }
    let entries: Vec<Option<String>> = match header {
        ForwardedHeader::XForwardedFor => headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|e| Some(e.trim().to_owned()))
            .collect(),
        ForwardedHeader::Forwarded => forwarded_for(headers),
    };
    for entry in entries.iter().rev() {
        match entry.as_deref().and_then(parse_entry) {
            Some(ip) if is_trusted(ip) => continue,
            Some(ip) => return ip,
            None => return peer,
        }
    }
    peer
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, v.parse().unwrap());
        }
        map
    }

    const PROXY: &str = "10.0.0.1";

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn headers_count_only_from_a_trusted_peer() {
        let h = headers(&[("x-forwarded-for", "198.51.100.7")]);
        let trusted = [ip(PROXY)];
        let xff = ForwardedHeader::XForwardedFor;
        assert_eq!(
            client_ip(ip("203.0.113.9"), &h, &trusted, xff),
            ip("203.0.113.9")
        );
        assert_eq!(client_ip(ip(PROXY), &h, &trusted, xff), ip("198.51.100.7"));
        assert_eq!(client_ip(ip(PROXY), &h, &[], xff), ip(PROXY));
        // What the client wrote itself stands to the left.
        let spoofed = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.7")]);
        assert_eq!(
            client_ip(ip(PROXY), &spoofed, &trusted, xff),
            ip("198.51.100.7")
        );
        // Two header lines, a chain of trusted proxies, a mapped peer.
        let chain = headers(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-for", "198.51.100.7, 10.0.0.2"),
        ]);
        assert_eq!(
            client_ip(
                ip("::ffff:10.0.0.1"),
                &chain,
                &[ip(PROXY), ip("10.0.0.2")],
                xff
            ),
            ip("198.51.100.7")
        );
        let garbage = headers(&[("x-forwarded-for", "1.1.1.1, unknown")]);
        assert_eq!(client_ip(ip(PROXY), &garbage, &trusted, xff), ip(PROXY));
        // Only the configured header is read.
        let fwd = headers(&[("forwarded", "for=1.1.1.1")]);
        assert_eq!(client_ip(ip(PROXY), &fwd, &trusted, xff), ip(PROXY));
    }

    #[test]
    fn forwarded_is_read_right_to_left() {
        let h = headers(&[(
            "forwarded",
            "for=1.1.1.1, for=\"[2001:db8::7]:4711\";proto=https",
        )]);
        assert_eq!(
            client_ip(ip(PROXY), &h, &[ip(PROXY)], ForwardedHeader::Forwarded),
            ip("2001:db8::7")
        );
        let h = headers(&[("forwarded", "for=198.51.100.7:80;by=10.0.0.1")]);
        assert_eq!(
            client_ip(ip(PROXY), &h, &[ip(PROXY)], ForwardedHeader::Forwarded),
            ip("198.51.100.7")
        );
        let h = headers(&[("forwarded", "for=_hidden")]);
        assert_eq!(
            client_ip(ip(PROXY), &h, &[ip(PROXY)], ForwardedHeader::Forwarded),
            ip(PROXY)
        );
    }
}

//! One DNS query in, one decision out: an answer from the [`NameTable`], a
//! relay to the upstreams, or nothing. No I/O here, so every case is a unit
//! test.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, PTR};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};

use super::NameTable;

/// Docker's TTL for the embedded server's own answers.
pub(crate) const TTL: u32 = 600;
/// The classic UDP limit, for clients that send no EDNS.
const UDP_MIN: usize = 512;
/// The most we put in one UDP answer whatever EDNS says (the DNS flag day
/// 2020 figure, no IP fragmentation).
const UDP_MAX: usize = 1232;

/// How the answer travels back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    Udp,
    Tcp,
}

/// What to do with a query.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Send these bytes back.
    Reply(Vec<u8>),
    /// The name is not ours: relay the query as it came.
    Relay,
    /// Not a query we answer at all (a response, a runt): stay silent.
    Ignore,
}

/// Decides what to do with `query`, asked by container `asker`.
pub(crate) fn handle(
    table: &dyn NameTable,
    asker: &str,
    query: &[u8],
    transport: Transport,
) -> Outcome {
    if query.len() < 12 || query[2] & 0x80 != 0 {
        // Too short for a header, or a response: answering could loop.
        return Outcome::Ignore;
    }
    let request = match Message::from_vec(query) {
        Ok(m) => m,
        Err(_) => return Outcome::Reply(header_only(query, ResponseCode::FormErr)),
    };
    if request.metadata.message_type != MessageType::Query {
        return Outcome::Ignore;
    }
    if request.metadata.op_code != OpCode::Query {
        return Outcome::Reply(header_only(query, ResponseCode::NotImp));
    }
    let [question] = request.queries.as_slice() else {
        return Outcome::Reply(header_only(query, ResponseCode::FormErr));
    };
    if question.query_class() != DNSClass::IN {
        return Outcome::Relay;
    }
    let lower = question.name().to_ascii().to_ascii_lowercase();
    let name = lower.strip_suffix('.').unwrap_or(&lower);
    let qtype = question.query_type();

    let answers: Vec<RData> = if qtype == RecordType::PTR {
        let Some(ip) = reverse_ip(name) else {
            return Outcome::Relay;
        };
        let Some(target) = table.reverse(asker, ip) else {
            return Outcome::Relay;
        };
        let Ok(target) = Name::from_ascii(format!("{}.", target.trim_end_matches('.'))) else {
            return Outcome::Relay;
        };
        vec![RData::PTR(PTR(target))]
    } else {
        let Some(addrs) = resolve(table, asker, name) else {
            return Outcome::Relay;
        };
        // A known name: its addresses of the asked family, and NODATA
        // (NOERROR, no answer) for every other type, never a relay.
        addrs
            .into_iter()
            .filter_map(|ip| match (qtype, ip) {
                (RecordType::A, IpAddr::V4(v4)) => Some(RData::A(A(v4))),
                (RecordType::AAAA, IpAddr::V6(v6)) => Some(RData::AAAA(AAAA(v6))),
                _ => None,
            })
            .collect()
    };

    let mut response = reply_to(&request, question.clone(), ResponseCode::NoError);
    for rdata in answers {
        response.add_answer(Record::from_rdata(question.name().clone(), TTL, rdata));
    }
    Outcome::Reply(encode(response, &request, transport))
}

/// A reply to `request` carrying `rcode` and no records (used for SERVFAIL
/// when no upstream answers). `None` when the bytes are no query.
pub(crate) fn error_reply(query: &[u8], rcode: ResponseCode) -> Option<Vec<u8>> {
    if query.len() < 12 {
        return None;
    }
    match Message::from_vec(query) {
        Ok(request) => {
            let question = request.queries.first().cloned();
            let mut response = Message::response(request.metadata.id, request.metadata.op_code);
            copy_flags(&request, &mut response);
            response.metadata.response_code = rcode;
            if let Some(q) = question {
                response.add_query(q);
            }
            response.to_vec().ok()
        }
        Err(_) => Some(header_only(query, rcode)),
    }
}

/// Docker's lookup order for `a.b.c`: the whole name on every network the
/// asker shares, then `a.b` on network `c`, then `a` on network `b.c`.
fn resolve(table: &dyn NameTable, asker: &str, name: &str) -> Option<Vec<IpAddr>> {
    if name.is_empty() {
        return None;
    }
    let found = table.lookup(asker, name).filter(|a| !a.is_empty());
    if found.is_some() {
        return found;
    }
    let mut end = name.len();
    while let Some(dot) = name[..end].rfind('.') {
        let (short, network) = (&name[..dot], &name[dot + 1..]);
        if !short.is_empty() && !network.is_empty() {
            if let Some(a) = table
                .lookup_on(asker, short, network)
                .filter(|a| !a.is_empty())
            {
                return Some(a);
            }
        }
        end = dot;
    }
    None
}

/// The address a reverse name stands for: `4.3.2.1.in-addr.arpa` or the 32
/// nibbles of an `ip6.arpa` name. Partial names are not addresses.
pub(crate) fn reverse_ip(name: &str) -> Option<IpAddr> {
    if let Some(rest) = name.strip_suffix(".in-addr.arpa") {
        let mut octets = [0u8; 4];
        let labels: Vec<&str> = rest.split('.').collect();
        if labels.len() != 4 {
            return None;
        }
        for (i, label) in labels.iter().rev().enumerate() {
            if label.is_empty() || label.len() > 3 || (label.len() > 1 && label.starts_with('0')) {
                return None;
            }
            octets[i] = label.parse().ok()?;
        }
        return Some(IpAddr::V4(Ipv4Addr::from(octets)));
    }
    if let Some(rest) = name.strip_suffix(".ip6.arpa") {
        let labels: Vec<&str> = rest.split('.').collect();
        if labels.len() != 32 {
            return None;
        }
        let mut value: u128 = 0;
        for label in labels.iter().rev() {
            if label.len() != 1 {
                return None;
            }
            value = (value << 4) | u128::from(u8::from_str_radix(label, 16).ok()?);
        }
        return Some(IpAddr::V6(Ipv6Addr::from(value)));
    }
    None
}

fn copy_flags(request: &Message, response: &mut Message) {
    response.metadata.recursion_desired = request.metadata.recursion_desired;
    response.metadata.checking_disabled = request.metadata.checking_disabled;
    response.metadata.recursion_available = true;
}

fn reply_to(request: &Message, question: Query, rcode: ResponseCode) -> Message {
    let mut response = Message::response(request.metadata.id, OpCode::Query);
    copy_flags(request, &mut response);
    response.metadata.response_code = rcode;
    response.add_query(question);
    if request.edns.is_some() {
        let mut edns = Edns::new();
        edns.set_max_payload(UDP_MAX as u16);
        response.set_edns(edns);
    }
    response
}

/// Encodes `response`; over UDP, one that does not fit what the client
/// accepts goes out truncated (TC set, no records) so it asks again by TCP.
fn encode(response: Message, request: &Message, transport: Transport) -> Vec<u8> {
    let limit = match transport {
        Transport::Tcp => usize::from(u16::MAX),
        Transport::Udp => match &request.edns {
            Some(e) => usize::from(e.max_payload()).clamp(UDP_MIN, UDP_MAX),
            None => UDP_MIN,
        },
    };
    match response.to_vec() {
        Ok(bytes) if bytes.len() <= limit => bytes,
        Ok(_) => response.truncate().to_vec().unwrap_or_default(),
        Err(_) => {
            let mut fail = Message::response(request.metadata.id, OpCode::Query);
            fail.metadata.response_code = ResponseCode::ServFail;
            fail.to_vec().unwrap_or_default()
        }
    }
}

/// A bare header answering `query` (which could not be parsed past its
/// header) with `rcode`: same id and opcode, QR set, no sections.
fn header_only(query: &[u8], rcode: ResponseCode) -> Vec<u8> {
    let mut out = vec![0u8; 12];
    out[0] = query[0];
    out[1] = query[1];
    // QR, the query's opcode and RD.
    out[2] = 0x80 | (query[2] & 0x79);
    // RA, and the low four bits of the rcode.
    out[3] = 0x80 | (u16::from(rcode) as u8 & 0x0f);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Table(HashMap<&'static str, Vec<IpAddr>>);

    impl NameTable for Table {
        fn lookup(&self, asker: &str, name: &str) -> Option<Vec<IpAddr>> {
            assert_eq!(asker, "c1");
            self.0.get(name).cloned()
        }
        fn reverse(&self, _asker: &str, ip: IpAddr) -> Option<String> {
            (ip == IpAddr::from([172, 30, 0, 2])).then(|| "web".to_string())
        }
        fn lookup_on(&self, _asker: &str, name: &str, network: &str) -> Option<Vec<IpAddr>> {
            (network == "backend")
                .then(|| self.0.get(name).cloned())
                .flatten()
        }
    }

    fn table() -> Table {
        let mut m = HashMap::new();
        m.insert("web", vec![IpAddr::from([172, 30, 0, 2])]);
        m.insert(
            "db",
            vec![IpAddr::from([172, 30, 0, 3]), "fd00::3".parse().unwrap()],
        );
        Table(m)
    }

    fn query(name: &str, qtype: RecordType) -> Vec<u8> {
        let mut m = Message::query();
        m.metadata.id = 0x1234;
        m.metadata.recursion_desired = true;
        m.add_query(Query::query(Name::from_ascii(name).unwrap(), qtype));
        m.to_vec().unwrap()
    }

    fn ask(name: &str, qtype: RecordType) -> Outcome {
        handle(&table(), "c1", &query(name, qtype), Transport::Udp)
    }

    fn reply(name: &str, qtype: RecordType) -> Message {
        match ask(name, qtype) {
            Outcome::Reply(b) => Message::from_vec(&b).unwrap(),
            other => panic!("{name}: expected a reply, got {other:?}"),
        }
    }

    fn addrs(m: &Message) -> Vec<String> {
        m.answers.iter().map(|r| r.data.to_string()).collect()
    }

    #[test]
    fn a_for_a_known_name_in_any_case() {
        for name in ["web", "web.", "WEB.", "Web"] {
            let m = reply(name, RecordType::A);
            assert_eq!(m.metadata.id, 0x1234);
            assert_eq!(m.metadata.message_type, MessageType::Response);
            assert_eq!(m.metadata.response_code, ResponseCode::NoError);
            assert!(m.metadata.recursion_desired && m.metadata.recursion_available);
            assert_eq!(addrs(&m), ["172.30.0.2"], "{name}");
            assert_eq!(m.answers[0].ttl, TTL);
            // The answer repeats the name as asked.
            assert_eq!(
                m.answers[0].name.to_ascii().trim_end_matches('.'),
                name.trim_end_matches('.')
            );
            assert_eq!(m.queries.len(), 1);
        }
    }

    #[test]
    fn aaaa_and_other_types_of_known_names() {
        assert_eq!(addrs(&reply("db", RecordType::AAAA)), ["fd00::3"]);
        assert_eq!(addrs(&reply("db", RecordType::A)), ["172.30.0.3"]);
        for t in [
            RecordType::AAAA,
            RecordType::MX,
            RecordType::TXT,
            RecordType::SRV,
        ] {
            let m = reply("web", t);
            assert_eq!(m.metadata.response_code, ResponseCode::NoError, "{t}");
            assert!(m.answers.is_empty(), "{t}: NODATA expected");
        }
    }

    #[test]
    fn name_dot_network_as_docker_does() {
        assert_eq!(addrs(&reply("web.backend", RecordType::A)), ["172.30.0.2"]);
        assert_eq!(ask("web.frontend", RecordType::A), Outcome::Relay);
        assert_eq!(ask("web.example.com", RecordType::A), Outcome::Relay);
    }

    #[test]
    fn unknown_names_are_relayed() {
        assert_eq!(ask("example.com", RecordType::A), Outcome::Relay);
        assert_eq!(ask("webx", RecordType::A), Outcome::Relay);
        assert_eq!(
            ask("1.0.0.10.in-addr.arpa", RecordType::PTR),
            Outcome::Relay
        );
        assert_eq!(ask(".", RecordType::NS), Outcome::Relay);
    }

    #[test]
    fn ptr_for_known_addresses() {
        let m = reply("2.0.30.172.in-addr.arpa.", RecordType::PTR);
        assert_eq!(addrs(&m), ["web."]);
        let m = reply("2.0.30.172.IN-ADDR.ARPA", RecordType::PTR);
        assert_eq!(addrs(&m), ["web."]);
    }

    #[test]
    fn reverse_names() {
        assert_eq!(
            reverse_ip("4.3.2.1.in-addr.arpa"),
            Some("1.2.3.4".parse().unwrap())
        );
        assert_eq!(reverse_ip("3.2.1.in-addr.arpa"), None);
        assert_eq!(reverse_ip("04.3.2.1.in-addr.arpa"), None);
        assert_eq!(reverse_ip("256.3.2.1.in-addr.arpa"), None);
        let v6 = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa";
        assert_eq!(reverse_ip(v6), Some("fd00::1".parse().unwrap()));
        assert_eq!(reverse_ip("1.0.ip6.arpa"), None);
        assert_eq!(reverse_ip("web"), None);
    }

    #[test]
    fn bad_messages() {
        // Runts and responses get no answer at all.
        assert_eq!(
            handle(&table(), "c1", &[1, 2, 3], Transport::Udp),
            Outcome::Ignore
        );
        let mut resp = query("web", RecordType::A);
        resp[2] |= 0x80;
        assert_eq!(
            handle(&table(), "c1", &resp, Transport::Udp),
            Outcome::Ignore
        );
        // A header announcing a question that is not there: FORMERR.
        let mut broken = query("web", RecordType::A);
        broken.truncate(14);
        let Outcome::Reply(b) = handle(&table(), "c1", &broken, Transport::Udp) else {
            panic!("formerr expected");
        };
        assert_eq!(&b[..2], &[0x12, 0x34]);
        assert_eq!(b[3] & 0x0f, 1);
        // Not a query opcode: NOTIMP.
        let mut m = Message::new(7, MessageType::Query, OpCode::Notify);
        m.add_query(Query::query(
            Name::from_ascii("web").unwrap(),
            RecordType::SOA,
        ));
        let Outcome::Reply(b) = handle(&table(), "c1", &m.to_vec().unwrap(), Transport::Udp) else {
            panic!("notimp expected");
        };
        assert_eq!(
            Message::from_vec(&b).unwrap().metadata.response_code,
            ResponseCode::NotImp
        );
        // Two questions: FORMERR.
        let mut m = Message::query();
        m.add_query(Query::query(
            Name::from_ascii("web").unwrap(),
            RecordType::A,
        ));
        m.add_query(Query::query(Name::from_ascii("db").unwrap(), RecordType::A));
        let Outcome::Reply(b) = handle(&table(), "c1", &m.to_vec().unwrap(), Transport::Udp) else {
            panic!("formerr expected");
        };
        assert_eq!(
            Message::from_vec(&b).unwrap().metadata.response_code,
            ResponseCode::FormErr
        );
    }

    #[test]
    fn big_answers_are_truncated_over_udp_only() {
        let many: Vec<IpAddr> = (1..=60u8).map(|i| IpAddr::from([10, 0, 0, i])).collect();
        let mut m = HashMap::new();
        m.insert("many", many);
        let t = Table(m);
        let q = query("many", RecordType::A);
        let Outcome::Reply(b) = handle(&t, "c1", &q, Transport::Udp) else {
            panic!()
        };
        let udp = Message::from_vec(&b).unwrap();
        assert!(b.len() <= UDP_MIN);
        assert!(udp.metadata.truncation && udp.answers.is_empty());
        let Outcome::Reply(b) = handle(&t, "c1", &q, Transport::Tcp) else {
            panic!()
        };
        let tcp = Message::from_vec(&b).unwrap();
        assert!(!tcp.metadata.truncation);
        assert_eq!(tcp.answers.len(), 60);
    }

    #[test]
    fn servfail_reply_echoes_the_question() {
        let b = error_reply(&query("example.com", RecordType::A), ResponseCode::ServFail).unwrap();
        let m = Message::from_vec(&b).unwrap();
        assert_eq!(m.metadata.id, 0x1234);
        assert_eq!(m.metadata.response_code, ResponseCode::ServFail);
        assert_eq!(m.queries[0].name().to_ascii(), "example.com.");
        assert!(error_reply(&[0; 4], ResponseCode::ServFail).is_none());
    }
}

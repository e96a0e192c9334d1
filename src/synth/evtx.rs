//! A synthetic EVTX writer, byte-exact to the format (MS-EVEN6; the `evtx` crate and
//! libevtx's notes): a 4 KiB file header, 64 KiB chunks with their header, CRC32s,
//! string names and templates defined inline on first use in each chunk, and records
//! that are a `TemplateInstance` of them, as Windows writes. For fixtures no public
//! log holds (an RDP client log, a denied mstsc.exe audit) and for big inputs. Every
//! file it writes is SYNTHETIC.

use std::collections::HashMap;
use std::io::{self, Write};

const FILE_HEADER: usize = 4096;
const CHUNK: usize = 65536;
const CHUNK_HEADER: usize = 512;

/// One substitution value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    Str(String),
    U32(u32),
    Hex32(u32),
    Hex64(u64),
    Binary(Vec<u8>),
}

impl Val {
    fn kind(&self) -> u8 {
        match self {
            Val::Str(_) => 0x01,
            Val::U32(_) => 0x08,
            Val::Hex32(_) => 0x14,
            Val::Hex64(_) => 0x15,
            Val::Binary(_) => 0x0E,
        }
    }
    fn bytes(&self) -> Vec<u8> {
        match self {
            Val::Str(s) => utf16(s),
            Val::U32(v) | Val::Hex32(v) => v.to_le_bytes().to_vec(),
            Val::Hex64(v) => v.to_le_bytes().to_vec(),
            Val::Binary(b) => b.clone(),
        }
    }
}

/// One event: its System header and its `EventData` (`<Data Name="...">`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub provider: String,
    pub event_id: u16,
    pub keywords: u64,
    /// UTC FILETIME (100 ns since 1601).
    pub filetime: u64,
    pub pid: u32,
    pub channel: String,
    pub computer: String,
    pub data: Vec<(String, Val)>,
}

/// FILETIME of a UTC civil time.
pub fn filetime(y: i32, mo: u8, d: u8, h: u8, mi: u8, s: u8, ticks: u32) -> u64 {
    let days = crate::model::days_from_civil(y, mo, d);
    let secs = days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s);
    (secs as u64 + 11_644_473_600) * 10_000_000 + u64::from(ticks)
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn crc(parts: &[&[u8]]) -> u32 {
    let mut c = flate2::Crc::new();
    for p in parts {
        c.update(p);
    }
    c.sum()
}

/// The chunk being filled.
struct Chunk {
    buf: Vec<u8>,
    names: HashMap<String, u32>,
    templates: HashMap<Vec<u8>, u32>,
    first_id: u64,
    last_id: u64,
    last_record: u32,
    records: u64,
}

impl Chunk {
    fn new() -> Chunk {
        let mut buf = vec![0u8; CHUNK_HEADER];
        buf[..8].copy_from_slice(b"ElfChnk\0");
        Chunk {
            buf,
            names: HashMap::new(),
            templates: HashMap::new(),
            first_id: 0,
            last_id: 0,
            last_record: 0,
            records: 0,
        }
    }

    /// A name reference at the current end; the name is written inline on first use.
    fn name(&mut self, out: &mut Vec<u8>, base: usize, name: &str) {
        let here = (base + out.len() + 4) as u32;
        match self.names.get(name) {
            Some(&at) => out.extend_from_slice(&at.to_le_bytes()),
            None => {
                self.names.insert(name.to_string(), here);
                out.extend_from_slice(&here.to_le_bytes());
                out.extend_from_slice(&0u32.to_le_bytes()); // next string
                let hash = name.encode_utf16().fold(0u32, |h, c| {
                    h.wrapping_mul(65599).wrapping_add(u32::from(c))
                });
                out.extend_from_slice(&(hash as u16).to_le_bytes());
                out.extend_from_slice(&(name.encode_utf16().count() as u16).to_le_bytes());
                out.extend_from_slice(&utf16(name));
                out.extend_from_slice(&[0, 0]);
            }
        }
    }
}

/// A node of a template definition.
enum Node<'a> {
    /// Element with attributes (name, literal or substitution) and children.
    Elem(&'a str, Vec<(&'a str, Leaf<'a>)>, Vec<Node<'a>>),
    /// Text content.
    Text(Leaf<'a>),
}

enum Leaf<'a> {
    Lit(&'a str),
    /// Substitution index and value type.
    Sub(u16, u8),
}

impl Chunk {
    fn leaf(&mut self, out: &mut Vec<u8>, leaf: &Leaf<'_>, more: bool) {
        match leaf {
            Leaf::Lit(s) => {
                out.push(if more { 0x45 } else { 0x05 });
                out.push(0x01);
                out.extend_from_slice(&(s.encode_utf16().count() as u16).to_le_bytes());
                out.extend_from_slice(&utf16(s));
            }
            Leaf::Sub(i, t) => {
                out.push(0x0E); // optional substitution
                out.extend_from_slice(&i.to_le_bytes());
                out.push(*t);
            }
        }
    }

    fn node(&mut self, out: &mut Vec<u8>, base: usize, n: &Node<'_>) {
        match n {
            Node::Text(l) => self.leaf(out, l, false),
            Node::Elem(name, attrs, kids) => {
                out.push(if attrs.is_empty() { 0x01 } else { 0x41 });
                out.extend_from_slice(&0xFFFFu16.to_le_bytes()); // dependency
                let size_at = out.len();
                out.extend_from_slice(&[0; 4]);
                self.name(out, base, name);
                let attr_size_at = out.len();
                if !attrs.is_empty() {
                    out.extend_from_slice(&[0; 4]);
                }
                let attr_start = out.len();
                for (i, (an, av)) in attrs.iter().enumerate() {
                    out.push(if i + 1 < attrs.len() { 0x46 } else { 0x06 });
                    self.name(out, base, an);
                    self.leaf(out, av, false);
                }
                if !attrs.is_empty() {
                    let n = (out.len() - attr_start) as u32;
                    out[attr_size_at..attr_size_at + 4].copy_from_slice(&n.to_le_bytes());
                }
                if kids.is_empty() {
                    out.push(0x03); // close empty element
                } else {
                    out.push(0x02);
                    for k in kids {
                        self.node(out, base, k);
                    }
                    out.push(0x04);
                }
                let n = (out.len() - size_at - 4) as u32;
                out[size_at..size_at + 4].copy_from_slice(&n.to_le_bytes());
            }
        }
    }

    /// The record's BinXML, its template defined inline when new to this chunk.
    fn record_xml(&mut self, e: &Event, id: u64, record_at: usize) -> Vec<u8> {
        let base = record_at + 24;
        let mut values = vec![
            Val::U32(u32::from(e.event_id)),
            Val::Hex64(e.keywords),
            Val::Binary(e.filetime.to_le_bytes().to_vec()),
            Val::Binary(id.to_le_bytes().to_vec()),
            Val::U32(e.pid),
        ];
        let mut types = vec![0x06u8, 0x15, 0x11, 0x0A, 0x08];
        for (_, v) in &e.data {
            types.push(v.kind());
            values.push(v.clone());
        }
        // The template's identity: everything it holds literally.
        let mut key = format!("{}\0{}\0{}\0", e.provider, e.channel, e.computer).into_bytes();
        for (n, v) in &e.data {
            key.extend_from_slice(n.as_bytes());
            key.push(0);
            key.push(v.kind());
        }
        let mut out = vec![0x0F, 1, 1, 0, 0x0C, 0x01];
        let tid = crc(&[&key]);
        out.extend_from_slice(&tid.to_le_bytes());
        match self.templates.get(&key) {
            Some(&at) => out.extend_from_slice(&at.to_le_bytes()),
            None => {
                let def_at = (base + out.len() + 4) as u32;
                self.templates.insert(key, def_at);
                out.extend_from_slice(&def_at.to_le_bytes());
                out.extend_from_slice(&0u32.to_le_bytes()); // next template
                out.extend_from_slice(&tid.to_le_bytes());
                out.extend_from_slice(&[0x5A; 12]); // rest of the GUID
                let size_at = out.len();
                out.extend_from_slice(&[0; 4]);
                let body_start = out.len();
                out.extend_from_slice(&[0x0F, 1, 1, 0]);
                let data: Vec<Node<'_>> = e
                    .data
                    .iter()
                    .enumerate()
                    .map(|(i, (n, v))| {
                        Node::Elem(
                            "Data",
                            vec![("Name", Leaf::Lit(n))],
                            vec![Node::Text(Leaf::Sub(5 + i as u16, v.kind()))],
                        )
                    })
                    .collect();
                let tree = Node::Elem(
                    "Event",
                    vec![(
                        "xmlns",
                        Leaf::Lit("http://schemas.microsoft.com/win/2004/08/events/event"),
                    )],
                    vec![
                        Node::Elem(
                            "System",
                            vec![],
                            vec![
                                Node::Elem(
                                    "Provider",
                                    vec![("Name", Leaf::Lit(&e.provider))],
                                    vec![],
                                ),
                                Node::Elem("EventID", vec![], vec![Node::Text(Leaf::Sub(0, 0x06))]),
                                Node::Elem(
                                    "Keywords",
                                    vec![],
                                    vec![Node::Text(Leaf::Sub(1, 0x15))],
                                ),
                                Node::Elem(
                                    "TimeCreated",
                                    vec![("SystemTime", Leaf::Sub(2, 0x11))],
                                    vec![],
                                ),
                                Node::Elem(
                                    "EventRecordID",
                                    vec![],
                                    vec![Node::Text(Leaf::Sub(3, 0x0A))],
                                ),
                                Node::Elem(
                                    "Execution",
                                    vec![("ProcessID", Leaf::Sub(4, 0x08))],
                                    vec![],
                                ),
                                Node::Elem(
                                    "Channel",
                                    vec![],
                                    vec![Node::Text(Leaf::Lit(&e.channel))],
                                ),
                                Node::Elem(
                                    "Computer",
                                    vec![],
                                    vec![Node::Text(Leaf::Lit(&e.computer))],
                                ),
                            ],
                        ),
                        Node::Elem("EventData", vec![], data),
                    ],
                );
                self.node(&mut out, base, &tree);
                out.push(0x00);
                let n = (out.len() - body_start) as u32;
                out[size_at..size_at + 4].copy_from_slice(&n.to_le_bytes());
            }
        }
        out.extend_from_slice(&(values.len() as u32).to_le_bytes());
        let raw: Vec<Vec<u8>> = values.iter().map(Val::bytes).collect();
        for (r, t) in raw.iter().zip(&types) {
            out.extend_from_slice(&(r.len() as u16).to_le_bytes());
            out.push(*t);
            out.push(0);
        }
        for r in &raw {
            out.extend_from_slice(r);
        }
        out.push(0x00);
        out
    }

    /// Adds a record; `false` (nothing written) when it does not fit.
    fn push(&mut self, e: &Event, id: u64) -> bool {
        let (names, templates) = (self.names.len(), self.templates.len());
        let at = self.buf.len();
        let xml = self.record_xml(e, id, at);
        let size = 24 + xml.len() + 4;
        if at + size > CHUNK {
            // Forget what this record defined: it goes to the next chunk.
            if self.names.len() != names || self.templates.len() != templates {
                let end = at as u32;
                self.names.retain(|_, &mut o| o < end);
                self.templates.retain(|_, &mut o| o < end);
            }
            return false;
        }
        self.buf.extend_from_slice(b"\x2a\x2a\x00\x00");
        self.buf.extend_from_slice(&(size as u32).to_le_bytes());
        self.buf.extend_from_slice(&id.to_le_bytes());
        self.buf.extend_from_slice(&e.filetime.to_le_bytes());
        self.buf.extend_from_slice(&xml);
        self.buf.extend_from_slice(&(size as u32).to_le_bytes());
        if self.records == 0 {
            self.first_id = id;
        }
        self.last_id = id;
        self.last_record = at as u32;
        self.records += 1;
        true
    }

    /// The finished 64 KiB chunk, header and checksums filled in.
    fn finish(mut self, first_number: u64) -> Vec<u8> {
        let free = self.buf.len() as u32;
        let h = &mut self.buf;
        h[8..16].copy_from_slice(&first_number.to_le_bytes());
        h[16..24].copy_from_slice(&(first_number + self.records - 1).to_le_bytes());
        h[24..32].copy_from_slice(&self.first_id.to_le_bytes());
        h[32..40].copy_from_slice(&self.last_id.to_le_bytes());
        h[40..44].copy_from_slice(&128u32.to_le_bytes());
        h[44..48].copy_from_slice(&self.last_record.to_le_bytes());
        h[48..52].copy_from_slice(&free.to_le_bytes());
        let records_crc = crc(&[&h[CHUNK_HEADER..]]);
        h[52..56].copy_from_slice(&records_crc.to_le_bytes());
        h.resize(CHUNK, 0);
        let header_crc = crc(&[&h[..120], &h[128..CHUNK_HEADER]]);
        h[124..128].copy_from_slice(&header_crc.to_le_bytes());
        self.buf
    }
}

fn file_header(chunks: u64, next_id: u64) -> Vec<u8> {
    let mut h = vec![0u8; FILE_HEADER];
    h[..8].copy_from_slice(b"ElfFile\0");
    h[8..16].copy_from_slice(&0u64.to_le_bytes());
    h[16..24].copy_from_slice(&chunks.saturating_sub(1).to_le_bytes());
    h[24..32].copy_from_slice(&next_id.to_le_bytes());
    h[32..36].copy_from_slice(&128u32.to_le_bytes());
    h[36..38].copy_from_slice(&2u16.to_le_bytes()); // minor version
    h[38..40].copy_from_slice(&3u16.to_le_bytes()); // major version
    h[40..42].copy_from_slice(&4096u16.to_le_bytes());
    h[42..44].copy_from_slice(&(chunks.min(u64::from(u16::MAX)) as u16).to_le_bytes());
    let c = crc(&[&h[..120]]);
    h[124..128].copy_from_slice(&c.to_le_bytes());
    h
}

/// Writes `events` as an EVTX file (record ids from 1), streaming: one chunk in
/// memory at a time. The file header is written last, so `out` must seek; returns
/// the number of records.
pub fn write_evtx<W: Write + io::Seek>(
    mut out: W,
    events: impl IntoIterator<Item = Event>,
) -> io::Result<u64> {
    out.write_all(&vec![0u8; FILE_HEADER])?;
    let (mut chunk, mut chunks, mut id) = (Chunk::new(), 0u64, 1u64);
    let mut number = 1u64;
    for e in events {
        if !chunk.push(&e, id) {
            let full = std::mem::replace(&mut chunk, Chunk::new());
            let n = full.records;
            out.write_all(&full.finish(number))?;
            number += n;
            chunks += 1;
            if !chunk.push(&e, id) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "an event larger than a chunk",
                ));
            }
        }
        id += 1;
    }
    if chunk.records > 0 {
        out.write_all(&chunk.finish(number))?;
        chunks += 1;
    }
    out.seek(io::SeekFrom::Start(0))?;
    out.write_all(&file_header(chunks, id))?;
    out.flush()?;
    Ok(id - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(i: u32) -> Event {
        Event {
            provider: "Microsoft-Windows-Security-Auditing".into(),
            event_id: 4656,
            keywords: 0x8010_0000_0000_0000,
            filetime: filetime(2026, 11, 24, 7, 15, 31, i),
            pid: 4,
            channel: "Security".into(),
            computer: "PC01".into(),
            data: vec![
                ("ObjectName".into(), Val::Str(format!("C:\\x\\{i}.txt"))),
                ("AccessMask".into(), Val::Hex32(2)),
            ],
        }
    }

    /// The evtx crate reads back every record, field for field, across chunks.
    #[test]
    fn the_evtx_crate_reads_back_every_record() {
        let mut cur = io::Cursor::new(Vec::new());
        let n = write_evtx(&mut cur, (0..2000).map(sample)).unwrap();
        assert_eq!(n, 2000);
        let bytes = cur.into_inner();
        assert!(bytes.len() > FILE_HEADER + CHUNK, "spans several chunks");
        assert_eq!((bytes.len() - FILE_HEADER) % CHUNK, 0);
        let settings = evtx::ParserSettings::new().validate_checksums(true);
        let mut p = evtx::EvtxParser::from_buffer(bytes)
            .unwrap()
            .with_configuration(settings);
        let mut seen = 0;
        for (i, r) in p.records_json_value().enumerate() {
            let r = r.unwrap();
            let e = &r.data["Event"];
            assert_eq!(r.event_record_id, i as u64 + 1);
            assert_eq!(e["System"]["EventID"], 4656);
            assert_eq!(e["System"]["Keywords"], "0x8010000000000000");
            assert_eq!(e["System"]["EventRecordID"], i as u64 + 1);
            assert_eq!(
                e["System"]["Provider"]["#attributes"]["Name"],
                "Microsoft-Windows-Security-Auditing"
            );
            assert_eq!(e["EventData"]["ObjectName"], format!("C:\\x\\{i}.txt"));
            assert_eq!(e["EventData"]["AccessMask"], "0x2");
            assert!(
                e["System"]["TimeCreated"]["#attributes"]["SystemTime"]
                    .as_str()
                    .unwrap()
                    .starts_with("2026-11-24T07:15:31.")
            );
            seen += 1;
        }
        assert_eq!(seen, 2000);
    }
}

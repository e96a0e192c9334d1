//! SYNTHETIC PML (version 9, 64-bit) captures: the same rows as the CSV generator,
//! in Procmon's native layout (`shared/design/pml-format.md`), so the PML reader can be
//! tested on denials (no public capture has any) and benchmarked on large files.
//! A test reads these files with procmon-parser too, when it is installed, so the
//! layout is checked against an independent reader, not only against culprit's.

use std::collections::HashMap;
use std::io::{self, Seek, SeekFrom, Write};

use super::{Config, Row, Sink, Truth, generate};
use crate::codes;
use crate::intent::field;

const HEADER: usize = 0x3A8;
/// Fixed block of a file-system detail structure on 64-bit (pointer size 8).
const FS_BLOCK: usize = 8 * 5 + 0x14;
/// 2026-11-24 00:00 local, as a FILETIME (local taken as UTC).
const DAY_FILETIME: u64 = 134_084_160_000_000_000;

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Collects events and writes the tables at the end.
struct PmlSink<'w, W: Write + Seek> {
    out: &'w mut W,
    pos: u64,
    offsets: Vec<u32>,
    strings: Vec<String>,
    string_ix: HashMap<String, u32>,
    /// Process name -> (index, pid).
    processes: Vec<(String, u32)>,
    buf: Vec<u8>,
}

impl<W: Write + Seek> PmlSink<'_, W> {
    fn string(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.string_ix.get(s) {
            return i;
        }
        let i = self.strings.len() as u32;
        self.strings.push(s.to_string());
        self.string_ix.insert(s.to_string(), i);
        i
    }

    fn process(&mut self, name: &str, pid: u32) -> u32 {
        match self
            .processes
            .iter()
            .position(|(n, p)| n == name && *p == pid)
        {
            Some(i) => i as u32,
            None => {
                self.processes.push((name.to_string(), pid));
                (self.processes.len() - 1) as u32
            }
        }
    }
}

/// Detail structure of a row: (class, operation, detail bytes).
fn details(r: &Row<'_>) -> (u32, u16, Vec<u8>) {
    let path = utf16(r.path);
    let info = (r.path.encode_utf16().count() as u16) & 0x7FFF;
    let access = field(r.detail, "Desired Access").unwrap_or("");
    let reg = |op: u16, pre: &[u8], tail: &[u8]| {
        let mut d = info.to_le_bytes().to_vec();
        d.extend_from_slice(pre);
        d.extend_from_slice(&path);
        d.extend_from_slice(tail);
        (2, op, d)
    };
    let fs = |op: u16, sub: u8, block: &[(usize, u32)], tail: &[u8]| {
        let mut d = vec![sub, 0, 0, 0];
        let mut b = vec![0u8; FS_BLOCK];
        for &(at, v) in block {
            b[at..at + 4].copy_from_slice(&v.to_le_bytes());
        }
        d.extend_from_slice(&b);
        d.extend_from_slice(&info.to_le_bytes());
        d.extend_from_slice(&[0, 0]);
        d.extend_from_slice(&path);
        d.extend_from_slice(tail);
        (3, op, d)
    };
    match r.operation {
        "RegOpenKey" | "RegCreateKey" => {
            let mask: u32 = if access.contains("Read") {
                0x2_0019
            } else {
                0x2_0006
            };
            let mut pre = vec![0, 0];
            pre.extend_from_slice(&mask.to_le_bytes());
            reg(if r.operation == "RegOpenKey" { 0 } else { 1 }, &pre, &[])
        }
        "RegCloseKey" => reg(2, &[], &[]),
        // Length, KeyValuePartialInformation.
        "RegQueryValue" => reg(5, &[0, 0, 144, 0, 0, 0, 2, 0, 0, 0], &[]),
        "RegSetValue" => {
            let data = utf16(field(r.detail, "Data").unwrap_or(""));
            let len = data.len() as u32;
            let mut pre = vec![0, 0];
            for v in [1u32, len, len] {
                pre.extend_from_slice(&v.to_le_bytes());
            }
            reg(4, &pre, &data)
        }
        "CreateFile" => {
            let mask: u32 = if access.contains("Generic Write") {
                0x4000_0080
            } else {
                0x8000_0000
            };
            let disposition = crate::sources::procmon::pml_names::DISPOSITIONS
                .iter()
                .position(|d| Some(*d) == field(r.detail, "Disposition"))
                .unwrap_or(1) as u32;
            // Disposition and options at 0x14 of the block (64-bit), Synchronous IO Non-Alert + Non-Directory File.
            let mut tail = mask.to_le_bytes().to_vec();
            tail.extend_from_slice(&[0, 0, 0, 0]); // no impersonation SID, padding
            fs(20, 0, &[(0x14, (disposition << 24) | 0x60)], &tail)
        }
        "Process Exit" => {
            // Exit status, kernel and user time, then four memory counters.
            let status = field(r.detail, "Exit Status")
                .and_then(|v| v.trim().parse::<i32>().ok())
                .unwrap_or(0);
            let mut d = (status as u32).to_le_bytes().to_vec();
            d.extend_from_slice(&[0u8; 8 * 6]);
            (1, 2, d)
        }
        "ReadFile" => fs(23, 0, &[], &[]),
        "WriteFile" => fs(24, 0, &[], &[]),
        "QueryBasicInformationFile" => fs(25, 0x04, &[], &[]),
        "SetDispositionInformationEx" => fs(26, 0x40, &[], &[]),
        // FileDirectoryInformation at 0x1C of the block; an empty filter string.
        "QueryDirectory" => fs(32, 0x01, &[(0x1C, 1)], &[0, 0]),
        _ => fs(38, 0, &[], &[]), // CloseFile
    }
}

impl<W: Write + Seek> Sink for PmlSink<'_, W> {
    fn row(&mut self, r: &Row<'_>) -> io::Result<u64> {
        let proc_ix = self.process(r.process, r.pid);
        let (class, op, d) = details(r);
        let result = codes::procmon_result(r.result.as_bytes()).unwrap_or(0);
        let b = &mut self.buf;
        b.clear();
        for v in [proc_ix, r.pid + 4, class] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(&op.to_le_bytes());
        b.extend_from_slice(&[0; 6]);
        b.extend_from_slice(&161u64.to_le_bytes()); // duration
        b.extend_from_slice(&(DAY_FILETIME + r.clock_ns / 100).to_le_bytes());
        b.extend_from_slice(&result.to_le_bytes());
        b.extend_from_slice(&[0; 4]); // stack depth 0, unknown
        b.extend_from_slice(&(d.len() as u32).to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes()); // no extra detail
        b.extend_from_slice(&d);
        self.offsets.push(self.pos as u32);
        self.out.write_all(b)?;
        self.pos += b.len() as u64;
        Ok(b.len() as u64)
    }
}

/// Writes a synthetic PML capture of the rows [`super::write_procmon_csv`] would write
/// for the same `cfg`.
pub fn write_procmon_pml<W: Write + Seek>(out: &mut W, cfg: &Config) -> io::Result<Truth> {
    out.write_all(&[0u8; HEADER])?;
    let mut sink = PmlSink {
        out,
        pos: HEADER as u64,
        offsets: Vec::new(),
        strings: Vec::new(),
        string_ix: HashMap::new(),
        processes: Vec::new(),
        buf: Vec::with_capacity(512),
    };
    let truth = generate(&mut sink, cfg)?;
    let events_end = sink.pos;
    // Event offsets: u32 offset + u8 flags each.
    let mut t = Vec::with_capacity(sink.offsets.len() * 5 + 1);
    for &o in &sink.offsets {
        t.extend_from_slice(&o.to_le_bytes());
        t.push(0);
    }
    let offsets_at = events_end;
    let process_at = offsets_at + t.len() as u64;
    // Process table: count, indexes, relative offsets, then the records.
    let procs = sink.processes.clone();
    let mut records = Vec::new();
    let mut rel = Vec::new();
    let head = 4 + 8 * procs.len();
    for (i, (name, pid)) in procs.iter().enumerate() {
        rel.push((head + records.len()) as u32);
        let strs = [
            "System",
            "CONTOSO\\alice",
            name.as_str(),
            &format!("C:\\Windows\\System32\\{name}"),
            name.as_str(),
            "Microsoft Corporation",
            "10.0.22621.1",
            "",
        ];
        let ix: Vec<u32> = strs.iter().map(|s| sink.string(s)).collect();
        let mut p = Vec::new();
        for v in [i as u32, *pid, 4, 0] {
            p.extend_from_slice(&v.to_le_bytes());
        }
        p.extend_from_slice(&0x3e7u64.to_le_bytes()); // authentication id
        p.extend_from_slice(&[0; 8]); // session, unknown
        p.extend_from_slice(&DAY_FILETIME.to_le_bytes());
        p.extend_from_slice(&0u64.to_le_bytes());
        p.extend_from_slice(&0u32.to_le_bytes()); // virtualized
        p.extend_from_slice(&1u32.to_le_bytes()); // 64-bit
        for v in ix {
            p.extend_from_slice(&v.to_le_bytes());
        }
        p.extend_from_slice(&[0; 8]); // icons
        p.extend_from_slice(&[0; 8]); // unknown pointer
        p.extend_from_slice(&0u32.to_le_bytes()); // no modules
        records.extend_from_slice(&p);
    }
    let mut ptab = (procs.len() as u32).to_le_bytes().to_vec();
    for i in 0..procs.len() as u32 {
        ptab.extend_from_slice(&i.to_le_bytes());
    }
    for r in rel {
        ptab.extend_from_slice(&r.to_le_bytes());
    }
    ptab.extend_from_slice(&records);
    let strings_at = process_at + ptab.len() as u64;
    let mut stab = (sink.strings.len() as u32).to_le_bytes().to_vec();
    let mut body = Vec::new();
    let shead = 4 + 4 * sink.strings.len();
    for s in &sink.strings {
        stab.extend_from_slice(&((shead + body.len()) as u32).to_le_bytes());
        let w = utf16(s);
        body.extend_from_slice(&(w.len() as u32).to_le_bytes());
        body.extend_from_slice(&w);
    }
    stab.extend_from_slice(&body);
    let icons_at = strings_at + stab.len() as u64;
    let hosts_at = icons_at + 4;
    let out = sink.out;
    out.write_all(&t)?;
    out.write_all(&ptab)?;
    out.write_all(&stab)?;
    out.write_all(&0u32.to_le_bytes())?; // no icons
    out.write_all(&[0u8; 8])?; // no hosts, no ports
    // Header.
    let mut h = vec![0u8; HEADER];
    h[..4].copy_from_slice(b"PML_");
    h[4..8].copy_from_slice(&9u32.to_le_bytes());
    h[8..12].copy_from_slice(&1u32.to_le_bytes());
    let name = utf16("SYNTHETIC-PC");
    h[0xC..0xC + name.len()].copy_from_slice(&name);
    let root = utf16("C:\\Windows");
    h[0x2C..0x2C + root.len()].copy_from_slice(&root);
    h[0x234..0x238].copy_from_slice(&(sink.offsets.len() as u32).to_le_bytes());
    for (at, v) in [
        (0x240, HEADER as u64),
        (0x248, offsets_at),
        (0x250, process_at),
        (0x258, strings_at),
        (0x260, icons_at),
        (0x398, HEADER as u64),
        (0x3A0, hosts_at),
    ] {
        h[at..at + 8].copy_from_slice(&v.to_le_bytes());
    }
    for (at, v) in [(0x274, 10u32), (0x278, 0), (0x27C, 22621), (0x280, 2)] {
        h[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }
    out.seek(SeekFrom::Start(0))?;
    out.write_all(&h)?;
    out.seek(SeekFrom::End(0))?;
    Ok(truth)
}

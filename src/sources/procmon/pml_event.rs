//! Decoding one PML event record: the fixed part, the detail structures of each event
//! class (registry, file system, process, network, profiling), and the names Procmon
//! prints for them. Layout from `shared/design/pml-format.md`.

use std::collections::HashMap;

use super::pml_names as names;

/// Fixed part of an event record.
const EVENT_HEAD: usize = 0x34;

pub(crate) fn u16_at(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(o..o + 2)?.try_into().ok()?))
}
pub(crate) fn u32_at(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?))
}
pub(crate) fn u64_at(b: &[u8], o: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(o..o + 8)?.try_into().ok()?))
}

/// UTF-16LE text up to its first NUL, unpaired surrogates replaced (as
/// `String::from_utf16_lossy`), decoded straight into the string.
pub(crate) fn utf16(b: &[u8]) -> String {
    let units = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0);
    let mut out = String::with_capacity(b.len() / 2);
    out.extend(char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)));
    out
}

/// One event's fixed part and where its detail structures are.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Raw<'a> {
    pub process: u32,
    pub tid: u32,
    pub class: u32,
    pub op: u16,
    pub filetime: u64,
    pub result: u32,
    pub details: &'a [u8],
    /// The offset just past the event (used to walk a capture without its table).
    pub end: usize,
}

pub(crate) fn raw_event(b: &[u8], off: usize, ptr: usize) -> Option<Raw<'_>> {
    if off >= b.len() {
        return None;
    }
    let depth = u16_at(b, off + 0x28)? as usize;
    let size = u32_at(b, off + 0x2C)? as usize;
    let extra = u32_at(b, off + 0x30)? as usize;
    let start = off + EVENT_HEAD + depth * ptr;
    let details = b.get(start..start.checked_add(size)?)?;
    let mut end = start + size;
    if extra > 0 {
        let x = off + extra;
        end = end.max(x + 2 + u16_at(b, x)? as usize);
        if end > b.len() {
            return None;
        }
    }
    Some(Raw {
        process: u32_at(b, off)?,
        tid: u32_at(b, off + 4)?,
        class: u32_at(b, off + 8)?,
        op: u16_at(b, off + 0xC)?,
        filetime: u64_at(b, off + 0x1C)?,
        result: u32_at(b, off + 0x24)?,
        details,
        end,
    })
}

/// A detail string: a `u16` info (bit 15 = ASCII, low bits = characters) then the text.
pub(crate) fn detail_string(d: &[u8], info: u16, pos: usize) -> Option<(String, usize)> {
    let ascii = info >> 15 == 1;
    let chars = (info & 0x7FFF) as usize;
    let len = if ascii { chars } else { chars * 2 };
    let raw = d.get(pos..pos + len)?;
    let s = if ascii {
        raw.iter().map(|&c| c as char).collect()
    } else {
        utf16(raw)
    };
    Some((s, pos + len))
}

/// What decoding an event needs besides the event: pointer size, version, and the
/// host and port names network paths are printed with.
pub(crate) struct Ctx {
    pub ptr: usize,
    pub version: u32,
    pub hosts: HashMap<[u8; 16], String>,
    pub ports: HashMap<(u16, bool), String>,
}

/// Host names by IP (16 bytes, IPv4 in the first 4) and port names by (port, TCP).
pub(crate) type Names = (HashMap<[u8; 16], String>, HashMap<(u16, bool), String>);

/// Reads the hosts and ports tables (absent or damaged tables give empty maps: IPs and
/// port numbers are printed instead, as Procmon does for unresolved ones).
pub(crate) fn hosts_and_ports(b: &[u8], at: usize) -> Names {
    let (mut hosts, mut ports) = (HashMap::new(), HashMap::new());
    let mut p = at;
    let Some(n) = u32_at(b, p) else {
        return (hosts, ports);
    };
    p += 4;
    for _ in 0..n {
        let (Some(ip), Some(len)) = (b.get(p..p + 16), u32_at(b, p + 16)) else {
            return (hosts, ports);
        };
        let Some(name) = b.get(p + 20..p + 20 + len as usize) else {
            return (hosts, ports);
        };
        hosts.insert(ip.try_into().unwrap_or([0; 16]), utf16(name));
        p += 20 + len as usize;
    }
    let Some(n) = u32_at(b, p) else {
        return (hosts, ports);
    };
    p += 4;
    for _ in 0..n {
        let (Some(port), Some(tcp), Some(len)) = (u16_at(b, p), u16_at(b, p + 2), u32_at(b, p + 4))
        else {
            return (hosts, ports);
        };
        let Some(name) = b.get(p + 8..p + 8 + len as usize) else {
            return (hosts, ports);
        };
        ports.insert((port, tcp != 0), utf16(name));
        p += 8 + len as usize;
    }
    (hosts, ports)
}

/// `host:port` as Procmon prints a network endpoint.
pub(crate) fn endpoint(ctx: &Ctx, ip: &[u8], ipv4: bool, port: u16, tcp: bool) -> String {
    let key: [u8; 16] = ip.try_into().unwrap_or([0; 16]);
    let host = match ctx.hosts.get(&key).filter(|h| !h.is_empty()) {
        Some(h) => h.clone(),
        None if ipv4 => std::net::Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3]).to_string(),
        // Procmon writes every IPv6 group, without leading zeros and without `::`.
        None => ip
            .chunks(2)
            .map(|g| format!("{:x}", u16::from_be_bytes([g[0], g[1]])))
            .collect::<Vec<_>>()
            .join(":"),
    };
    let port = ctx
        .ports
        .get(&(port, tcp))
        .cloned()
        .unwrap_or_else(|| port.to_string());
    format!("{host}:{port}")
}

/// Operation name, path and the detail text the write-intent rules read.
pub(crate) fn describe(r: &Raw<'_>, ctx: &Ctx) -> (String, String, String) {
    let (path, after) = path(r, ctx);
    (operation(r, ctx), path, detail(r, ctx, after))
}

/// The path of an event, and where its detail structures go on after it (what
/// [`detail`] needs).
pub(crate) fn path(r: &Raw<'_>, ctx: &Ctx) -> (String, usize) {
    let ptr = ctx.ptr;
    let d = r.details;
    match r.class {
        names::CLASS_REGISTRY => {
            let info = u16_at(d, 0).unwrap_or(0);
            let skip = match r.op {
                names::REG_LOAD_KEY | names::REG_RENAME_KEY => 2,
                names::REG_OPEN_KEY | names::REG_CREATE_KEY => 6,
                names::REG_QUERY_KEY | names::REG_QUERY_VALUE => 10,
                names::REG_ENUM_VALUE | names::REG_ENUM_KEY => 14,
                names::REG_SET_INFO_KEY => 14,
                names::REG_SET_VALUE => 14,
                _ => 0,
            };
            let path = detail_string(d, info, 2 + skip)
                .map(|x| x.0)
                .unwrap_or_default();
            (path, 0)
        }
        names::CLASS_FILE_SYSTEM | names::CLASS_IPC => {
            let sub = subclass(r);
            let fixed = 4 + ptr * 5 + 0x14;
            let info = u16_at(d, fixed).unwrap_or(0);
            let (mut path, after) =
                detail_string(d, info, fixed + 4).unwrap_or_else(|| (String::new(), d.len()));
            // QueryDirectory: the filter follows the path and Procmon shows it appended.
            if r.op == names::FS_DIRECTORY_CONTROL
                && sub == 1
                && let Some((filter, _)) =
                    u16_at(d, after).and_then(|i| detail_string(d, i, after + 2))
                && !filter.is_empty()
            {
                if !path.ends_with('\\') {
                    path.push('\\');
                }
                path.push_str(&filter);
            }
            (path, after)
        }
        names::CLASS_PROCESS => {
            let path = match r.op {
                // Load Image: image base, size, path info, 2 unknown bytes, path.
                5 => u16_at(d, ptr + 4)
                    .and_then(|i| detail_string(d, i, ptr + 8))
                    .map(|x| x.0),
                // Process Defined / Create: ..., two sizes, path info, command-line info, 2 + sizes, path.
                0 | 1 => {
                    let (s1, s2) = (
                        *d.get(0x2C).unwrap_or(&0) as usize,
                        *d.get(0x2D).unwrap_or(&0) as usize,
                    );
                    u16_at(d, 0x2E)
                        .and_then(|i| detail_string(d, i, 0x32 + 2 + s1 + s2))
                        .map(|x| x.0)
                }
                _ => None,
            };
            (path.unwrap_or_default(), 0)
        }
        names::CLASS_PROFILING if r.op == 0 => (format!("Thread {}", r.tid), 0),
        names::CLASS_NETWORK => {
            let flags = u16_at(d, 0).unwrap_or(0);
            let tcp = flags & 4 != 0;
            let path = match (d.get(8..24), d.get(24..40), u16_at(d, 40), u16_at(d, 42)) {
                (Some(src), Some(dst), Some(sp), Some(dp)) => {
                    format!(
                        "{} -> {}",
                        endpoint(ctx, src, flags & 1 != 0, sp, tcp),
                        endpoint(ctx, dst, flags & 2 != 0, dp, tcp)
                    )
                }
                _ => String::new(),
            };
            (path, 0)
        }
        _ => (String::new(), 0),
    }
}

/// The detail text of an event the write-intent rules read (`after`: where [`path`]
/// said its path ended).
pub(crate) fn detail(r: &Raw<'_>, ctx: &Ctx, after: usize) -> String {
    let ptr = ctx.ptr;
    let d = r.details;
    match r.class {
        names::CLASS_REGISTRY => match r.op {
            names::REG_OPEN_KEY | names::REG_CREATE_KEY => u32_at(d, 4)
                .filter(|&a| a != 0)
                .map(|a| format!("Desired Access: {}", names::registry_access(a)))
                .unwrap_or_default(),
            _ => String::new(),
        },
        names::CLASS_FILE_SYSTEM | names::CLASS_IPC if r.op == names::FS_CREATE_FILE => {
            let access = u32_at(d, after).map(names::file_access).unwrap_or_default();
            let dispo_opts = u32_at(d, 4 + 0x10 + if ptr == 8 { 4 } else { 0 }).unwrap_or(0);
            let mut s = format!(
                "Desired Access: {access}, Disposition: {}",
                names::disposition(dispo_opts >> 24)
            );
            if dispo_opts & 0x1000 != 0 {
                s.push_str(", Options: Delete On Close");
            }
            s
        }
        // Process Exit: the exit status first (Procmon prints it signed).
        names::CLASS_PROCESS => match (r.op, u32_at(d, 0)) {
            (names::PROCESS_EXIT, Some(status)) => format!("Exit Status: {}", status as i32),
            _ => String::new(),
        },
        _ => String::new(),
    }
}

/// The sub-operation byte of file-system and IPC events (0 for other classes).
pub(crate) fn subclass(r: &Raw<'_>) -> u8 {
    match r.class {
        names::CLASS_FILE_SYSTEM | names::CLASS_IPC => r.details.first().copied().unwrap_or(0),
        _ => 0,
    }
}

/// The operation name of an event, as [`describe`] gives it, without decoding its
/// path or detail (what the recovery pass rules most events out by).
pub(crate) fn operation(r: &Raw<'_>, ctx: &Ctx) -> String {
    let protocol = match r.class {
        names::CLASS_NETWORK if u16_at(r.details, 0).unwrap_or(0) & 4 != 0 => "TCP ",
        names::CLASS_NETWORK => "UDP ",
        _ => "",
    };
    let op = match (ctx.version, r.class, r.op, subclass(r)) {
        // Procmon 2.x (PML version 7) printed FileAllocationInformation this way.
        (7, names::CLASS_FILE_SYSTEM, 26, 0x13) => "SetAllInformationFile".to_string(),
        (_, class, op, sub) => names::operation(class, op, sub),
    };
    format!("{protocol}{op}")
}

/// The image name in a `Process Start` event's command line (for captures whose
/// process table was lost).
pub(crate) fn name_from_process_start(r: &Raw<'_>) -> Option<String> {
    if r.class != names::CLASS_PROCESS || r.op != 7 {
        return None;
    }
    let (cmd, _) = detail_string(r.details, u16_at(r.details, 4)?, 12)?;
    let cmd = cmd.trim();
    let exe = match cmd.strip_prefix('"') {
        Some(q) => q.split('"').next()?,
        None => cmd.split(' ').next()?,
    };
    exe.rsplit(['\\', '/'])
        .next()
        .filter(|n| !n.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_strings_ascii_and_utf16() {
        let d = [b'a', b'b', b'c'];
        assert_eq!(
            detail_string(&d, 0x8000 | 3, 0),
            Some(("abc".to_string(), 3))
        );
        let w: Vec<u8> = "hé".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        assert_eq!(detail_string(&w, 2, 0), Some(("hé".to_string(), 4)));
        assert_eq!(detail_string(&w, 9, 0), None);
    }

    #[test]
    fn image_names_from_command_lines() {
        let cmd: Vec<u8> = "\"C:\\Windows\\system32\\mstsc.exe\" /v:x"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        let mut d = vec![0u8; 12];
        d[4..6].copy_from_slice(&((cmd.len() / 2) as u16).to_le_bytes());
        d.extend_from_slice(&cmd);
        let r = Raw {
            process: 1,
            tid: 0,
            class: names::CLASS_PROCESS,
            op: 7,
            filetime: 0,
            result: 0,
            details: &d,
            end: 0,
        };
        assert_eq!(name_from_process_start(&r).as_deref(), Some("mstsc.exe"));
    }
}

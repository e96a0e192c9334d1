//! SYNTHETIC event logs: the example ticket's Security and RDP client logs, and a
//! Security log of any size for benchmarks. No public log holds a denied mstsc.exe
//! audit or an RDP client disconnect (`../shared/design/evtx-evidence.md`, section 3);
//! these follow the providers' documented fields.

use super::evtx::{Event, Val, filetime};

const SECURITY: &str = "Microsoft-Windows-Security-Auditing";
const RDP_CLIENT: &str = "Microsoft-Windows-TerminalServices-ClientActiveXCore";
const RDP_CHANNEL: &str = "Microsoft-Windows-TerminalServices-RDPClient/Operational";
/// Audit success and failure `Keywords`.
pub const SUCCESS: u64 = 0x8020_0000_0000_0000;
pub const FAILURE: u64 = 0x8010_0000_0000_0000;
/// alice's SID on PC01.
pub const ALICE: &str = "S-1-5-21-3623811015-3361044348-30300820-1001";

fn s(v: &str) -> Val {
    Val::Str(v.to_string())
}

fn security(id: u16, keywords: u64, ft: u64, data: Vec<(&str, Val)>) -> Event {
    Event {
        provider: SECURITY.into(),
        event_id: id,
        keywords,
        filetime: ft,
        pid: 4,
        channel: "Security".into(),
        computer: "PC01.contoso.com".into(),
        data: data.into_iter().map(|(n, v)| (n.to_string(), v)).collect(),
    }
}

/// A 4656 handle request on a file: who, what, which rights and why.
struct Request<'a> {
    keywords: u64,
    ft: u64,
    object: &'a str,
    list: &'a str,
    reason: &'a str,
    mask: u32,
    pid: u64,
    process: &'a str,
}

fn handle_request(r: Request<'_>) -> Event {
    let Request {
        keywords,
        ft,
        object,
        list,
        reason,
        mask,
        pid,
        process,
    } = r;
    security(
        4656,
        keywords,
        ft,
        vec![
            ("SubjectUserSid", s(ALICE)),
            ("SubjectUserName", s("alice")),
            ("SubjectDomainName", s("CONTOSO")),
            ("SubjectLogonId", Val::Hex64(0x3_a1f2)),
            ("ObjectServer", s("Security")),
            ("ObjectType", s("File")),
            ("ObjectName", s(object)),
            ("HandleId", Val::Hex64(0)),
            ("TransactionId", s("{00000000-0000-0000-0000-000000000000}")),
            ("AccessList", s(list)),
            ("AccessReason", s(reason)),
            ("AccessMask", Val::Hex32(mask)),
            ("PrivilegeList", s("-")),
            ("RestrictedSidCount", Val::U32(0)),
            ("ProcessId", Val::Hex64(pid)),
            ("ProcessName", s(process)),
            ("ResourceAttributes", s("-")),
        ],
    )
}

const SEP: &str = "\r\n\t\t\t\t";

/// The example ticket's Security log (PC01, 2026-11-24 07:15 UTC): a logon, an audit
/// success of the servicing stack on WinSxS (noise), and mstsc.exe (PID 7720) refused
/// WriteData and AppendData on `Default.rdp`, the file its Procmon capture shows.
pub fn ticket_security() -> Vec<Event> {
    let mstsc = "C:\\Windows\\System32\\mstsc.exe";
    vec![
        security(
            4624,
            SUCCESS,
            filetime(2026, 11, 24, 7, 14, 2, 1_250_000),
            vec![
                ("TargetUserSid", s(ALICE)),
                ("TargetUserName", s("alice")),
                ("TargetDomainName", s("CONTOSO")),
                ("LogonType", Val::U32(2)),
                ("ProcessName", s("C:\\Windows\\System32\\svchost.exe")),
            ],
        ),
        security(
            4907,
            SUCCESS,
            filetime(2026, 11, 24, 7, 14, 40, 3_000_000),
            vec![
                ("SubjectUserSid", s("S-1-5-18")),
                ("ObjectServer", s("Security")),
                ("ObjectType", s("File")),
                (
                    "ObjectName",
                    s(
                        "C:\\Windows\\WinSxS\\amd64_microsoft-windows-t..services-mstsc-exe_31bf3856ad364e35_10.0.22621.4391_none_5f1c0a1b8d2e3f40\\mstsc.exe",
                    ),
                ),
                ("ProcessId", Val::Hex64(0x1b5c)),
                (
                    "ProcessName",
                    s(
                        "C:\\Windows\\WinSxS\\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.22621.4385_none_7c3f2a1e9b1d2c44\\TiWorker.exe",
                    ),
                ),
            ],
        ),
        handle_request(Request {
            keywords: FAILURE,
            ft: filetime(2026, 11, 24, 7, 15, 30, 2_120_455),
            object: "C:\\Users\\alice\\Documents\\Default.rdp",
            list: &[
                "%%1538", "%%1541", "%%4416", "%%4417", "%%4418", "%%4423", "%%4424",
            ]
            .join(SEP),
            reason: &[
                "%%1538:\t%%1801\tD:(A;;FA;;;OW)",
                "%%1541:\t%%1801\tD:(A;;FA;;;OW)",
                "%%4416:\t%%1801\tD:(A;;FA;;;OW)",
                "%%4417:\t%%1805",
                "%%4418:\t%%1805",
                "%%4423:\t%%1801\tD:(A;;FA;;;OW)",
                "%%4424:\t%%1805",
                "",
            ]
            .join(SEP),
            mask: 0x0012_019F,
            pid: 7720,
            process: mstsc,
        }),
        handle_request(Request {
            keywords: SUCCESS,
            ft: filetime(2026, 11, 24, 7, 15, 30, 2_121_870),
            object: "C:\\Users\\alice\\Documents\\Default.rdp",
            list: &["%%1538", "%%1541", "%%4416", "%%4423"].join(SEP),
            reason: "-",
            mask: 0x0012_0089,
            pid: 7720,
            process: mstsc,
        }),
    ]
}

/// The example ticket's RDP client log: mstsc.exe connecting to rdsh01, then
/// disconnected with reason 2308 (0x904, "socket closed").
pub fn ticket_rdp_client() -> Vec<Event> {
    let ev = |id: u16, ft: u64, data: Vec<(&str, Val)>| Event {
        provider: RDP_CLIENT.into(),
        event_id: id,
        keywords: 0x4000_0000_0000_0000,
        filetime: ft,
        pid: 7720,
        channel: RDP_CHANNEL.into(),
        computer: "PC01.contoso.com".into(),
        data: data.into_iter().map(|(n, v)| (n.to_string(), v)).collect(),
    };
    vec![
        ev(
            1024,
            filetime(2026, 11, 24, 7, 15, 30, 9_000_000),
            vec![
                ("Name", s("Server Name")),
                ("Value", s("rdsh01.contoso.com")),
            ],
        ),
        ev(
            1026,
            filetime(2026, 11, 24, 7, 15, 31, 9_876_000),
            vec![("Name", s("Disconnect Reason")), ("Value", Val::U32(2308))],
        ),
    ]
}

/// A Security log of `n` events for benchmarks: mostly logon successes and
/// servicing-stack audit successes (records that cannot match), one 4656 failure of
/// mstsc.exe every `every` events, on a few distinct files.
pub fn big_security(n: u64, every: u64) -> impl Iterator<Item = Event> {
    (0..n).map(move |i| {
        let ft = filetime(2026, 11, 24, 0, 0, 0, 0) + i * 10_000;
        if every > 0 && i % every == every - 1 {
            return handle_request(Request {
                keywords: FAILURE,
                ft,
                object: &format!("C:\\Users\\alice\\Documents\\Default{}.rdp", i % 7),
                list: "%%4417",
                reason: &["%%4417:\t%%1805", ""].join(SEP),
                mask: 0x2,
                pid: 7720,
                process: "C:\\Windows\\System32\\mstsc.exe",
            });
        }
        match i % 3 {
            0 => security(
                4624,
                SUCCESS,
                ft,
                vec![
                    ("TargetUserSid", s(ALICE)),
                    ("TargetUserName", s("alice")),
                    ("LogonType", Val::U32(3)),
                    ("IpAddress", s("10.0.0.12")),
                    ("ProcessName", s("-")),
                ],
            ),
            _ => security(
                4907,
                SUCCESS,
                ft,
                vec![
                    ("SubjectUserSid", s("S-1-5-18")),
                    ("ObjectType", s("File")),
                    (
                        "ObjectName",
                        s(&format!("C:\\Windows\\WinSxS\\amd64_component_{i}\\f.dll")),
                    ),
                    ("ProcessId", Val::Hex64(0x1b5c)),
                    (
                        "ProcessName",
                        s("C:\\Windows\\servicing\\TrustedInstaller.exe"),
                    ),
                ],
            ),
        }
    })
}

//! `culprit explain`: what a code means, in every table where it means something.
//!
//! Tickets arrive with codes and folklore about them ("0x904 is
//! STATUS_MEDIA_WRITE_PROTECTED": it is not). This answers from the generated tables
//! only: NTSTATUS, Win32, HRESULT, Remote Desktop disconnect reasons, servicing codes
//! and Procmon's result words, plus the related forms (HRESULT_FROM_WIN32,
//! HRESULT_FROM_NT, NTSTATUS to Win32) and culprit's classification.

use serde::Serialize;

use crate::codes::{self, Code, Entry, Fields, Space, StatusClass, tables};

/// The tables a value is looked up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Table {
    Ntstatus,
    Win32,
    Hresult,
    RdpDisconnect,
    RdpExtendedDisconnect,
    Servicing,
    SetupUpgrade,
    Procmon,
}

impl Table {
    pub fn as_str(self) -> &'static str {
        match self {
            Table::Ntstatus => "ntstatus",
            Table::Win32 => "win32",
            Table::Hresult => "hresult",
            Table::RdpDisconnect => "rdp-disconnect",
            Table::RdpExtendedDisconnect => "rdp-extended-disconnect",
            Table::Servicing => "servicing",
            Table::SetupUpgrade => "setup-upgrade",
            Table::Procmon => "procmon",
        }
    }

    /// A human title.
    pub fn title(self) -> &'static str {
        match self {
            Table::Ntstatus => "NTSTATUS",
            Table::Win32 => "Win32 error",
            Table::Hresult => "HRESULT",
            Table::RdpDisconnect => "Remote Desktop disconnect reason",
            Table::RdpExtendedDisconnect => "Remote Desktop extended disconnect reason",
            Table::Servicing => "Servicing (CBS/DISM) code",
            Table::SetupUpgrade => "Windows Setup (upgrade) code",
            Table::Procmon => "Procmon result",
        }
    }

    fn rows(self) -> &'static [Entry] {
        match self {
            Table::Ntstatus => tables::NTSTATUS,
            Table::Win32 => tables::WIN32,
            Table::Hresult => tables::HRESULT,
            Table::RdpDisconnect => tables::RDP_DISCONNECT,
            Table::RdpExtendedDisconnect => tables::RDP_EXTENDED_DISCONNECT,
            Table::Servicing => tables::SERVICING,
            Table::SetupUpgrade => tables::SETUP_UPGRADE,
            Table::Procmon => &[],
        }
    }

    fn space(self) -> Option<Space> {
        match self {
            Table::Ntstatus | Table::Procmon => Some(Space::NtStatus),
            Table::Win32 => Some(Space::Win32),
            Table::Hresult | Table::Servicing | Table::SetupUpgrade => Some(Space::HResult),
            _ => None,
        }
    }
}

const ENTRY_TABLES: [Table; 7] = [
    Table::Ntstatus,
    Table::Win32,
    Table::Hresult,
    Table::RdpDisconnect,
    Table::RdpExtendedDisconnect,
    Table::Servicing,
    Table::SetupUpgrade,
];

/// What one table says about a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Meaning {
    pub table: Table,
    #[serde(serialize_with = "as_hex")]
    pub value: u32,
    /// Every name the table gives the value (aliases included), preferred first.
    pub names: Vec<String>,
    pub message: String,
    /// Source or evidence where the table has one (`documented`, `KB947821`).
    pub source: Option<String>,
    pub note: Option<String>,
    /// How this form relates to the queried value (`HRESULT_FROM_WIN32`, ...); null
    /// for the value itself.
    pub relation: Option<String>,
}

/// The answer for one query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub query: String,
    /// `0x%08X`.
    pub value: String,
    pub unsigned: u32,
    pub signed: i32,
    /// How the query was read (`hex`, `decimal`, `name in hresult`, ...).
    pub read_as: String,
    /// Tables that define the value itself.
    pub meanings: Vec<Meaning>,
    /// The same failure in the other numbering spaces.
    pub related: Vec<Meaning>,
    /// Of NTSTATUS, Win32 and HRESULT, those where neither the value nor a related
    /// form is defined: what a ticket must not claim.
    pub undefined_in: Vec<Table>,
    /// HRESULT layout, when the value has the failure bit set and is not an NTSTATUS.
    pub hresult_fields: Option<Fields>,
    /// NTSTATUS layout, when the NTSTATUS table defines the value.
    pub ntstatus_fields: Option<Fields>,
    /// culprit's class, from the value or a related form.
    pub class: Option<StatusClass>,
    /// Why it is not a denial, for the common confusions.
    pub not_a_denial: Option<String>,
}

/// A query that could not be read or is defined nowhere.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExplainError {
    #[error("{0:?}: not a number (hex 0x904 or 904h, decimal, negative decimal) nor a known name")]
    Unreadable(String),
    #[error(
        "{query:?} = {value}: undefined in every table culprit has (NTSTATUS, Win32, HRESULT, Remote Desktop, servicing, Procmon)"
    )]
    Unknown { query: String, value: String },
}

/// Reads a query as a number: `0x904`, `0X904`, `904h`, `2308`, `-2147024891`, or an
/// 8-digit hex value without prefix whose high bit is set or that has a hex letter
/// (`80070BC9`, `80070005`, as DISM's summary prints HRESULTs).
pub fn parse_number(q: &str) -> Option<(u32, &'static str)> {
    let t = q.trim().replace('_', "");
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u32::from_str_radix(h, 16).ok().map(|v| (v, "hex"));
    }
    if let Some(h) = t.strip_suffix('h').or_else(|| t.strip_suffix('H')) {
        return u32::from_str_radix(h, 16).ok().map(|v| (v, "hex"));
    }
    if let Some(n) = t.strip_prefix('-') {
        let n: i64 = n.parse().ok()?;
        return i32::try_from(-n)
            .ok()
            .map(|v| (v as u32, "negative decimal"));
    }
    let high_bit_hex = t.len() == 8
        && t.bytes().all(|b| b.is_ascii_hexdigit())
        && (t.bytes().any(|b| b.is_ascii_alphabetic()) || matches!(t.as_bytes()[0], b'8' | b'9'));
    if high_bit_hex {
        return u32::from_str_radix(&t, 16)
            .ok()
            .map(|v| (v, "hex (8 digits, no prefix)"));
    }
    t.parse::<u32>().ok().map(|v| (v, "decimal"))
}

/// Finds a name (case-insensitive) or a Procmon word in every table.
pub fn find_name(q: &str) -> Option<(u32, Table)> {
    let q = q.trim();
    for t in ENTRY_TABLES {
        if let Some(e) = t
            .rows()
            .iter()
            .find(|e| !e.name.is_empty() && e.name.eq_ignore_ascii_case(q))
        {
            return Some((e.value, t));
        }
    }
    let upper = q.to_ascii_uppercase();
    codes::procmon_result(upper.as_bytes())
        .filter(|_| !upper.is_empty() && !upper.starts_with("0X"))
        .map(|v| (v, Table::Procmon))
}

fn meaning(table: Table, value: u32, relation: Option<String>) -> Option<Meaning> {
    if table == Table::Procmon {
        let word = codes::procmon_word(value).filter(|w| !w.is_empty())?;
        return Some(Meaning {
            table,
            value,
            names: vec![word.to_string()],
            message: "the word Procmon prints in its Result column for this NTSTATUS".to_string(),
            source: None,
            note: None,
            relation,
        });
    }
    let start = table.rows().partition_point(|e| e.value < value);
    let rows: Vec<&Entry> = table.rows()[start..]
        .iter()
        .take_while(|e| e.value == value)
        .collect();
    let Some(first) = rows.first() else {
        // The HRESULT table lists 0x8007xxxx only where a name exists; the others
        // decode through the Win32 table.
        let w = value & 0xFFFF;
        let win = codes::entries(Space::Win32, w)
            .first()
            .filter(|_| table == Table::Hresult && value & 0xFFFF_0000 == 0x8007_0000)?;
        return Some(Meaning {
            table,
            value,
            names: Vec::new(),
            message: format!("HRESULT_FROM_WIN32({w}) = {}: {}", win.name, win.message),
            source: None,
            note: None,
            relation,
        });
    };
    let mut names: Vec<String> = rows
        .iter()
        .map(|e| e.name.to_string())
        .filter(|n| !n.is_empty())
        .collect();
    names.dedup();
    Some(Meaning {
        table,
        value,
        names,
        message: rows
            .iter()
            .map(|e| e.message)
            .find(|m| !m.is_empty())
            .unwrap_or("")
            .to_string(),
        source: Some(first.extra.to_string()).filter(|s| !s.is_empty()),
        note: Some(first.note.to_string()).filter(|s| !s.is_empty()),
        relation,
    })
}

/// Windows Setup codes carry one text per extend code (`0xC1900101 - 0x4000D`): one
/// meaning per row, each row's note naming its extend code.
fn setup_meanings(value: u32) -> Vec<Meaning> {
    let rows = Table::SetupUpgrade.rows();
    let start = rows.partition_point(|e| e.value < value);
    rows[start..]
        .iter()
        .take_while(|e| e.value == value)
        .map(|e| Meaning {
            table: Table::SetupUpgrade,
            value,
            names: Some(e.name.to_string())
                .filter(|n| !n.is_empty())
                .into_iter()
                .collect(),
            message: e.message.to_string(),
            source: Some(e.extra.to_string()).filter(|s| !s.is_empty()),
            note: Some(e.note.to_string()).filter(|s| !s.is_empty()),
            relation: None,
        })
        .collect()
}

fn push(out: &mut Vec<Meaning>, value: u32, t: Table, v: u32, why: String) {
    if v != value
        && let Some(m) = meaning(t, v, Some(why))
        && !out.iter().any(|o| o.table == m.table && o.value == m.value)
    {
        out.push(m);
    }
}

/// Pushes the NTSTATUS values that map to Win32 code `w`.
fn push_ntstatus_of_win32(out: &mut Vec<Meaning>, value: u32, w: u32) {
    for nt in codes::ntstatus_of_win32(w) {
        push(
            out,
            value,
            Table::Ntstatus,
            nt,
            format!("NTSTATUS that maps to Win32 {w}"),
        );
    }
}

/// Serializes a code as `0x%08X`, the form every table prints.
fn as_hex<S: serde::Serializer>(v: &u32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("0x{v:08X}"))
}

/// The same failure in the other spaces.
fn related(value: u32) -> Vec<Meaning> {
    let mut out = Vec::new();
    // Win32 code -> HRESULT and NTSTATUS.
    if value > 0 && value < 0x1_0000 && !codes::entries(Space::Win32, value).is_empty() {
        push(
            &mut out,
            value,
            Table::Hresult,
            codes::hresult_from_win32(value),
            format!("HRESULT_FROM_WIN32({value})"),
        );
        push_ntstatus_of_win32(&mut out, value, value);
    }
    // HRESULT_FROM_WIN32 -> Win32 (and on to NTSTATUS).
    if value & 0xFFFF_0000 == 0x8007_0000 {
        let w = value & 0xFFFF;
        push(
            &mut out,
            value,
            Table::Win32,
            w,
            format!("the Win32 code inside (HRESULT_FROM_WIN32({w}))"),
        );
        push_ntstatus_of_win32(&mut out, value, w);
    }
    // NTSTATUS -> Win32, HRESULT_FROM_NT.
    if value >> 30 != 0 && !codes::entries(Space::NtStatus, value).is_empty() {
        if let Some(w) = codes::ntstatus_to_win32(value).filter(|&w| w != value) {
            push(
                &mut out,
                value,
                Table::Win32,
                w,
                "the Win32 code it maps to (RtlNtStatusToDosError)".to_string(),
            );
            push(
                &mut out,
                value,
                Table::Hresult,
                codes::hresult_from_win32(w),
                format!("HRESULT_FROM_WIN32({w})"),
            );
        }
        push(
            &mut out,
            value,
            Table::Hresult,
            codes::hresult_from_nt(value),
            "HRESULT_FROM_NT".to_string(),
        );
    }
    // HRESULT_FROM_NT -> NTSTATUS.
    if value >> 31 == 1 && value & 0x1000_0000 != 0 {
        push(
            &mut out,
            value,
            Table::Ntstatus,
            value & !0x1000_0000,
            "the NTSTATUS inside (HRESULT_FROM_NT)".to_string(),
        );
    }
    // How Procmon would print a related NTSTATUS.
    let nts: Vec<u32> = out
        .iter()
        .filter(|m| m.table == Table::Ntstatus)
        .map(|m| m.value)
        .collect();
    for nt in nts {
        push(
            &mut out,
            value,
            Table::Procmon,
            nt,
            format!("what Procmon prints for 0x{nt:08X}"),
        );
    }
    out
}

/// Explains one query.
pub fn explain(query: &str) -> Result<Explanation, ExplainError> {
    let (value, read_as) = match parse_number(query) {
        Some((v, how)) => (v, how.to_string()),
        None => match find_name(query) {
            Some((v, t)) => (v, format!("name in {}", t.as_str())),
            None => return Err(ExplainError::Unreadable(query.to_string())),
        },
    };
    let mut tables: Vec<Table> = ENTRY_TABLES.to_vec();
    tables.push(Table::Procmon);
    let meanings: Vec<Meaning> = tables
        .iter()
        .flat_map(|&t| match t {
            Table::SetupUpgrade => setup_meanings(value),
            _ => meaning(t, value, None).into_iter().collect(),
        })
        .collect();
    let related = related(value);
    let is_nt = meanings.iter().any(|m| m.table == Table::Ntstatus);
    if meanings.is_empty() && related.is_empty() {
        return Err(ExplainError::Unknown {
            query: query.to_string(),
            value: format!("0x{value:08X}"),
        });
    }
    let covered = |t: Table| {
        meanings
            .iter()
            .chain(&related)
            .any(|m| m.table.space() == t.space() && m.table != Table::Procmon)
    };
    let undefined_in = [Table::Win32, Table::Ntstatus, Table::Hresult]
        .into_iter()
        .filter(|&t| !covered(t))
        .collect();
    let codes_of = |m: &Meaning| {
        m.table.space().map(|space| Code {
            space,
            value: m.value,
        })
    };
    let all: Vec<Code> = meanings
        .iter()
        .chain(&related)
        .filter_map(codes_of)
        .collect();
    let class = all.iter().find_map(|&c| codes::classify(c));
    let not_a_denial = if class.is_none() {
        all.iter()
            .find_map(|&c| codes::not_a_denial(c))
            .map(str::to_string)
    } else {
        None
    };
    Ok(Explanation {
        query: query.to_string(),
        value: format!("0x{value:08X}"),
        unsigned: value,
        signed: value as i32,
        read_as,
        hresult_fields: (value >> 31 == 1 && !is_nt).then(|| codes::hresult_fields(value)),
        ntstatus_fields: is_nt.then(|| codes::ntstatus_fields(value)),
        meanings,
        related,
        undefined_in,
        class,
        not_a_denial,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_every_spelling() {
        assert_eq!(parse_number("0x904"), Some((0x904, "hex")));
        assert_eq!(parse_number("904h"), Some((0x904, "hex")));
        assert_eq!(parse_number("0XC00000A2"), Some((0xC000_00A2, "hex")));
        assert_eq!(parse_number("2308"), Some((2308, "decimal")));
        assert_eq!(
            parse_number("-2147024891"),
            Some((0x8007_0005, "negative decimal"))
        );
        assert_eq!(parse_number("80070BC9").map(|x| x.0), Some(0x8007_0BC9));
        assert_eq!(parse_number("80070005").map(|x| x.0), Some(0x8007_0005));
        assert_eq!(parse_number("12345678"), Some((12_345_678, "decimal")));
        assert_eq!(parse_number("E_ACCESSDENIED"), None);
        assert_eq!(parse_number("-99999999999"), None);
    }

    #[test]
    fn names_and_words() {
        assert_eq!(
            find_name("e_accessdenied"),
            Some((0x8007_0005, Table::Hresult))
        );
        assert_eq!(
            find_name("STATUS_MEDIA_WRITE_PROTECTED"),
            Some((0xC000_00A2, Table::Ntstatus))
        );
        assert_eq!(find_name("ERROR_WRITE_PROTECT"), Some((19, Table::Win32)));
        assert_eq!(
            find_name("access denied"),
            Some((0xC000_0022, Table::Procmon))
        );
        assert_eq!(find_name("nonsense words"), None);
    }

    #[test]
    fn folklore_0x904_is_a_socket_closed_disconnect() {
        let e = explain("0x904").unwrap();
        assert_eq!(e.meanings.len(), 1);
        assert_eq!(e.meanings[0].table, Table::RdpDisconnect);
        assert_eq!(
            e.undefined_in,
            vec![Table::Win32, Table::Ntstatus, Table::Hresult]
        );
        assert_eq!(e.class, None);
        let text = serde_json::to_string(&e).unwrap();
        assert!(!text.contains("WRITE_PROTECTED"));
    }

    #[test]
    fn aliases_are_all_listed() {
        let e = explain("0").unwrap();
        let nt = e
            .meanings
            .iter()
            .find(|m| m.table == Table::Ntstatus)
            .unwrap();
        assert!(
            nt.names.contains(&"STATUS_SUCCESS".to_string())
                && nt.names.contains(&"STATUS_WAIT_0".to_string())
        );
    }

    #[test]
    fn unnamed_win32_hresults_decode_through_win32() {
        let e = explain("0x80070013").unwrap();
        assert_eq!(e.meanings[0].table, Table::Hresult);
        assert!(e.meanings[0].message.contains("ERROR_WRITE_PROTECT"));
        assert_eq!(e.class, Some(StatusClass::WriteProtect));
        assert!(e.undefined_in.is_empty());
        let wp = explain("STATUS_MEDIA_WRITE_PROTECTED").unwrap();
        assert!(wp.related.iter().any(|m| m.value == 0x8007_0013));
        assert!(wp.hresult_fields.is_none() && wp.ntstatus_fields.is_some());
    }

    #[test]
    fn servicing_codes_count_as_hresults() {
        let e = explain("0x800f081f").unwrap();
        assert_eq!(e.meanings[0].table, Table::Servicing);
        assert!(!e.undefined_in.contains(&Table::Hresult));
    }

    #[test]
    fn setup_codes_list_every_extend_code() {
        let e = explain("0xC1900101").unwrap();
        let setup: Vec<&Meaning> = e
            .meanings
            .iter()
            .filter(|m| m.table == Table::SetupUpgrade)
            .collect();
        let rows = tables::SETUP_UPGRADE
            .iter()
            .filter(|r| r.value == 0xC190_0101)
            .count();
        assert!(rows > 1);
        assert_eq!(setup.len(), rows);
        assert!(setup.iter().any(|m| {
            m.note
                .as_deref()
                .unwrap_or("")
                .starts_with("extend 0x4000D")
        }));
        assert!(!e.undefined_in.contains(&Table::Hresult));
    }

    #[test]
    fn unnamed_servicing_success_codes_decode() {
        let e = explain("0xf0801").unwrap();
        let m = e
            .meanings
            .iter()
            .find(|m| m.table == Table::Servicing)
            .unwrap();
        assert!(m.names.is_empty() && m.message.contains("Trusted Installer"));
    }

    #[test]
    fn unknown_and_unreadable() {
        assert!(matches!(
            explain("0x7FFFFFFE"),
            Err(ExplainError::Unknown { .. })
        ));
        assert!(matches!(explain("what"), Err(ExplainError::Unreadable(_))));
    }
}

//! The human rendering of `culprit explain`.

use std::io::{self, Write};

use crate::explain::{Explanation, Meaning};

/// Writes an explanation for people.
pub fn write_text(e: &Explanation, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "{} = {} (unsigned {}, signed {}; read as {})",
        e.query, e.value, e.unsigned, e.signed, e.read_as
    )?;
    let line = |out: &mut dyn Write, m: &Meaning, lead: &str| -> io::Result<()> {
        let names = if m.names.is_empty() {
            "(no name)".to_string()
        } else {
            m.names.join(" = ")
        };
        let msg = if m.message.is_empty() {
            String::new()
        } else {
            format!(": {}", m.message)
        };
        let src = m
            .source
            .as_deref()
            .map(|s| format!(" [{s}]"))
            .unwrap_or_default();
        writeln!(
            out,
            "  {lead}{} 0x{:08X} {names}{msg}{src}",
            m.table.title(),
            m.value
        )?;
        if let Some(r) = &m.relation {
            writeln!(out, "      ({r})")?;
        }
        if let Some(n) = &m.note {
            writeln!(out, "      note: {n}")?;
        }
        Ok(())
    };
    for m in &e.meanings {
        line(out, m, "")?;
    }
    if let Some(f) = &e.ntstatus_fields {
        const SEV: [&str; 4] = ["success", "informational", "warning", "error"];
        writeln!(
            out,
            "  as NTSTATUS: severity {} ({}), facility 0x{:03X}, code 0x{:04X}",
            f.severity,
            SEV[f.severity as usize & 3],
            f.facility,
            f.code
        )?;
    }
    if let Some(f) = &e.hresult_fields {
        let fac = f.facility_name.map(|n| format!(" {n}")).unwrap_or_default();
        writeln!(
            out,
            "  as HRESULT: severity {} (failure), facility {}{fac}, code {} (0x{:04X}){}",
            f.severity,
            f.facility,
            f.code,
            f.code,
            if f.nt {
                ", N bit: wraps an NTSTATUS"
            } else {
                ""
            }
        )?;
    }
    for m in &e.related {
        line(out, m, "related: ")?;
    }
    if !e.undefined_in.is_empty() {
        let names: Vec<&str> = e.undefined_in.iter().map(|t| t.title()).collect();
        writeln!(
            out,
            "  not defined as: {} (no table of those has {} nor a related form)",
            names.join(", "),
            e.value
        )?;
    }
    match (&e.class, &e.not_a_denial) {
        (Some(c), _) => writeln!(out, "  culprit class: {}", c.as_str())?,
        (None, Some(why)) => writeln!(out, "  culprit class: not a denial: {why}")?,
        (None, None) => writeln!(
            out,
            "  culprit class: none (not an access-denied or write-protect failure)"
        )?,
    }
    Ok(())
}

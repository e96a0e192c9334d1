//! A SYNTHETIC CBS.log of any size, in the exact grammar of real ones (UTF-8 BOM,
//! CRLF, level padded to 22, component to 7): CBS and CSI progress records, SFC-style
//! records with continuation lines, HRESULTs that are not denials, and one
//! `[HRESULT = 0x80070005 - E_ACCESSDENIED]` failure on a WinSxS file every `every`
//! records (13 distinct files).

use std::io::{self, Write};

/// What was written: bytes, records, planted denials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub bytes: u64,
    pub records: u64,
    pub denials: u64,
}

/// Writes records until at least `size` bytes are written.
pub fn write_cbs<W: Write>(w: &mut W, size: u64, every: u64) -> io::Result<Written> {
    w.write_all(b"\xEF\xBB\xBF")?;
    let (mut written, mut records, mut denials) = (3u64, 0u64, 0u64);
    while written < size {
        let s = records % 86_400;
        let t = format!(
            "2026-11-24 {:02}:{:02}:{:02}",
            s / 3600,
            s / 60 % 60,
            s % 60
        );
        let line = if every > 0 && records % every == every - 1 {
            denials += 1;
            format!(
                "{t}, Info                  CBS    Failed to open file for write: \\\\?\\C:\\Windows\\WinSxS\\amd64_microsoft-windows-t..services-mstsc-exe_31bf3856ad364e35_10.0.22621.{}_none_5f1c0a1b8d2e3f40\\mstsc.exe [HRESULT = 0x80070005 - E_ACCESSDENIED]\r\n",
                records % 13
            )
        } else {
            match records % 6 {
                0 => format!(
                    "{t}, Info                  CBS    Exec: Processing complete, session(Corruption Detecting): 30792633_{records} [HRESULT = 0x00000000 - S_OK]\r\n"
                ),
                1 => format!(
                    "{t}, Info                  CSI    {records:08x} Hashes for file member [l:24]'amd64_component_{records}.dll' do not match.\r\n Expected: {{l:32 ml:33 b:26c1af7892ebf9ca8e4ac25841825bbdfb67437f22a04d499d791c0aaf8d081f}}.\r\n Actual: {{l:32 b:8539028138337f64466798f5389b36ae932601cdcc9fa75e1e4ab830e77bb1f0}}.\r\n"
                ),
                2 => format!(
                    "{t}, Info                  CBS    Failed to get next package [HRESULT = 0x800f081f - CBS_E_SOURCE_MISSING]\r\n"
                ),
                3 => format!(
                    "{t}, Info                  CSI    {records:08x} [SR] Verifying 100 components\r\n"
                ),
                4 => format!(
                    "{t}, Info                  CBS    Read out cached package applicability for package: Package_for_RollupFix~31bf3856ad364e35~amd64~~22621.{records}, ApplicableState: 112, CurrentState:112\r\n"
                ),
                _ => format!(
                    "{t}, Info                  CBS    Loaded Servicing Stack v10.0.22621.4385 with Core: C:\\Windows\\winsxs\\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.22621.4385_none_7c3f2a1e9b1d2c44\\cbscore.dll\r\n"
                ),
            }
        };
        w.write_all(line.as_bytes())?;
        written += line.len() as u64;
        records += 1;
    }
    Ok(Written {
        bytes: written,
        records,
        denials,
    })
}

//! Which process wrote a servicing record (`../shared/design/text-formats.md` §3.5):
//! CBS and CSI lines are the servicing stack's worker (TiWorker.exe); in dism.log,
//! `DISM.EXE:`, `DISM Manager: PID=a`, `DismHostLib:` and `API:` lines are dism.exe,
//! `DISM Image Session: PID=b` and the provider lines with that PID are DismHost.exe;
//! setup lines name their process in brackets (`[SetupPlatform.exe]`).

use super::line::Header;

/// Most PIDs remembered per role (a hostile log cannot grow memory through them).
const MAX_PIDS: usize = 64;

/// Message prefixes of lines written by dism.exe itself.
const DISM_EXE: &[&str] = &["DISM.EXE:", "DISM Manager:", "DismHostLib:", "API:"];
/// The line that names DismHost.exe's PID.
const SESSION: &str = "DISM Image Session:";
/// The image name of the servicing stack's worker.
pub const WORKER: &str = "TiWorker.exe";
/// A record whose writer the log does not say.
pub const UNKNOWN: &str = "(unknown process)";

/// The PIDs seen so far for dism.exe and for DismHost.exe.
#[derive(Debug, Default)]
pub struct Pids {
    dism: Vec<u32>,
    host: Vec<u32>,
}

/// `PID=1804` in a message.
pub fn pid_of(message: &str) -> Option<u32> {
    let at = message.find("PID=")?;
    let digits: &str = &message[at + 4..];
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse().ok()
}

impl Pids {
    /// Learns a PID's role from a line that declares it.
    pub fn learn(&mut self, h: &Header<'_>) {
        let Some(pid) = pid_of(h.message) else { return };
        let list = if h.message.starts_with(SESSION) {
            &mut self.host
        } else if DISM_EXE.iter().any(|p| h.message.starts_with(p)) {
            &mut self.dism
        } else {
            return;
        };
        if !list.contains(&pid) && list.len() < MAX_PIDS {
            list.push(pid);
        }
    }

    /// The image name and PID of a record's writer.
    pub fn of(&self, h: &Header<'_>) -> (String, Option<u32>) {
        let m = h.message;
        if let Some(rest) = m.strip_prefix('[')
            && let Some(end) = rest.find(']')
            && rest[..end].to_ascii_lowercase().ends_with(".exe")
        {
            return (rest[..end].to_string(), None);
        }
        let pid = pid_of(m);
        match h.component {
            "CBS" | "CSI" | "SXS" => return (WORKER.to_string(), pid),
            "DISM" => {}
            _ if pid.is_none() => return (UNKNOWN.to_string(), None),
            _ => {}
        }
        let name = if m.starts_with(SESSION) || pid.is_some_and(|p| self.host.contains(&p)) {
            "DismHost.exe"
        } else if DISM_EXE.iter().any(|p| m.starts_with(p))
            || pid.is_none_or(|p| self.dism.contains(&p))
        {
            "dism.exe"
        } else {
            // A provider line of a PID that is not dism.exe's: the image session's.
            "DismHost.exe"
        };
        (name.to_string(), pid)
    }
}

#[cfg(test)]
mod tests {
    use super::super::line::header;
    use super::*;

    fn h(msg: &str, comp: &str) -> String {
        format!("2019-06-05 13:04:18, Info                  {comp:<7}{msg}")
    }

    #[test]
    fn dism_and_its_host_are_told_apart_by_pid() {
        let mut p = Pids::default();
        for l in [
            h(
                "DISM Manager: PID=1804 TID=1796 Successfully loaded",
                "DISM",
            ),
            h(
                "DISM Image Session: PID=2220 TID=2216 Instantiating",
                "DISM",
            ),
        ] {
            p.learn(&header(&l).unwrap());
        }
        let of = |msg: &str, comp: &str| p.of(&header(&h(msg, comp)).unwrap());
        assert_eq!(
            of("DISM Provider Store: PID=2220 TID=1 x", "DISM").0,
            "DismHost.exe"
        );
        assert_eq!(
            of("DISM Provider Store: PID=1804 TID=1 x", "DISM").0,
            "dism.exe"
        );
        assert_eq!(
            of("DISM.EXE: <----- Starting Dism.exe session ----->", "DISM").0,
            "dism.exe"
        );
        assert_eq!(
            of("DISM Provider Store: PID=9999 TID=1 x", "DISM").0,
            "DismHost.exe"
        );
        assert_eq!(
            of("DISM Manager: PID=1804 TID=1 x", "DISM"),
            ("dism.exe".into(), Some(1804))
        );
        assert_eq!(of("Failed to unload offline registry", "CBS").0, WORKER);
        assert_eq!(of("00000032@2019/7/29 (F) x", "CSI").0, WORKER);
        assert_eq!(
            of(
                "[SetupPlatform.exe] SetFirmwareEnvironmentVariableW() error = 0x5",
                ""
            )
            .0,
            "SetupPlatform.exe"
        );
        assert_eq!(of("RunDlls:An error occurred", "SYSPRP").0, UNKNOWN);
    }
}

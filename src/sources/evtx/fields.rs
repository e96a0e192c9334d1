//! Reading one rendered record (the `evtx` crate's JSON): the System header and the
//! event's data, whether the provider names its fields (`EventData` keys, `UserData`)
//! or not (classic `Data` arrays).

use std::borrow::Cow;

use serde_json::{Map, Value};

/// The audit-failure bit of `Keywords` (Security log).
pub const AUDIT_FAILURE: u64 = 0x0010_0000_0000_0000;

/// One record's System header and data.
pub struct Fields<'v> {
    pub provider: &'v str,
    pub event_id: Option<u32>,
    pub keywords: u64,
    /// `System.Execution.ProcessID`: the process that logged it.
    pub pid: Option<u32>,
    /// `System.EventRecordID`: the id Event Viewer shows.
    pub record_id: Option<u64>,
    /// `System.TimeCreated.@SystemTime` as rendered (ISO-8601 UTC).
    pub system_time: Option<&'v str>,
    named: Option<&'v Map<String, Value>>,
    unnamed: Vec<&'v Value>,
    /// `Binary` (classic events), hex text.
    pub binary: Option<&'v str>,
}

impl<'v> Fields<'v> {
    /// The header and data of a rendered record (`{"Event": {...}}`).
    pub fn of(record: &'v Value) -> Option<Fields<'v>> {
        let event = record.get("Event")?;
        let system = event.get("System")?;
        let provider_attrs = system.get("Provider").and_then(|p| p.get("#attributes"));
        let provider = provider_attrs
            .and_then(|a| a.get("Name"))
            .and_then(Value::as_str)
            .unwrap_or("");
        // A number, or `{"#attributes": {"Qualifiers": 0}, "#text": 10016}`.
        let event_id = system.get("EventID").and_then(|e| {
            let v = e.get("#text").unwrap_or(e);
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                .and_then(|n| u32::try_from(n).ok())
        });
        let keywords = system
            .get("Keywords")
            .and_then(Value::as_str)
            .and_then(|k| {
                let k = k.trim();
                let hex = k.strip_prefix("0x").or_else(|| k.strip_prefix("0X"))?;
                u64::from_str_radix(hex, 16).ok()
            })
            .unwrap_or(0);
        let pid = system
            .get("Execution")
            .and_then(|e| e.get("#attributes"))
            .and_then(|a| a.get("ProcessID"))
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok());
        let record_id = system.get("EventRecordID").and_then(Value::as_u64);
        let system_time = system
            .get("TimeCreated")
            .and_then(|t| t.get("#attributes"))
            .and_then(|a| a.get("SystemTime"))
            .and_then(Value::as_str);
        let mut f = Fields {
            provider,
            event_id,
            keywords,
            pid,
            record_id,
            system_time,
            named: None,
            unnamed: Vec::new(),
            binary: None,
        };
        if let Some(data) = event.get("EventData").and_then(Value::as_object) {
            f.binary = data.get("Binary").and_then(Value::as_str);
            match data.get("Data") {
                // Classic: `{"Data": {"#text": [..]}}` or one `{"#text": "x"}`.
                Some(d) if data.len() <= 2 => {
                    let items = d.get("#text").unwrap_or(d);
                    match items {
                        Value::Array(a) => f.unnamed = a.iter().collect(),
                        Value::Null => {}
                        other => f.unnamed = vec![other],
                    }
                }
                _ => f.named = Some(data),
            }
        } else if let Some(user) = event.get("UserData").and_then(Value::as_object) {
            // `UserData.<Element>.<fields>`: the one element holds the named fields.
            f.named = user.values().find_map(Value::as_object);
        }
        Some(f)
    }

    /// Whether the Security audit-failure bit is set.
    pub fn audit_failure(&self) -> bool {
        self.keywords & AUDIT_FAILURE != 0
    }

    /// A field by name (`ObjectName`) or, for classic events, by position (`#3`).
    /// Numbers are given as their decimal text.
    pub fn get(&self, name: &str) -> Option<Cow<'v, str>> {
        let v = match name.strip_prefix('#') {
            Some(i) => *self.unnamed.get(i.parse::<usize>().ok()?)?,
            None => self.named?.get(name)?,
        };
        text(v)
    }

    /// The first of `names` that is present and not blank.
    pub fn first(&self, names: &[&str]) -> Option<Cow<'v, str>> {
        names
            .iter()
            .find_map(|n| self.get(n).filter(|v| !v.trim().is_empty()))
    }

    /// Every field with its name (`#N` for classic positions), in record order.
    pub fn all(&self) -> Vec<(Cow<'v, str>, Cow<'v, str>)> {
        let mut out = Vec::new();
        if let Some(m) = self.named {
            for (k, v) in m {
                if k.starts_with('#') {
                    continue;
                }
                if let Some(t) = text(v) {
                    out.push((Cow::Borrowed(k.as_str()), t));
                }
            }
        }
        for (i, v) in self.unnamed.iter().enumerate() {
            if let Some(t) = text(v) {
                out.push((Cow::Owned(format!("#{i}")), t));
            }
        }
        out
    }
}

/// A scalar as text (strings as they are, numbers in decimal).
fn text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(s.as_str())),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Owned(b.to_string())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Value {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn named_data_and_numeric_event_ids() {
        let v = parse(
            r##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},"EventID":4656,"Keywords":"0x8010000000000000","Channel":"Security","Execution":{"#attributes":{"ProcessID":4}}},"EventData":{"ObjectName":"C:\\x","AccessMask":"0x2"}}}"##,
        );
        let f = Fields::of(&v).unwrap();
        assert_eq!(f.provider, "Microsoft-Windows-Security-Auditing");
        assert_eq!(f.event_id, Some(4656));
        assert!(f.audit_failure());
        assert_eq!(f.pid, Some(4));
        assert_eq!(f.get("ObjectName").as_deref(), Some("C:\\x"));
        assert_eq!(f.get("Missing"), None);
    }

    #[test]
    fn classic_data_arrays_and_qualified_event_ids() {
        let v = parse(
            r##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"NETLOGON"}},"EventID":{"#attributes":{"Qualifiers":0},"#text":5805},"Keywords":"0x80000000000000"},"EventData":{"Data":{"#text":["a","%%5"]},"Binary":"220000C0"}}}"##,
        );
        let f = Fields::of(&v).unwrap();
        assert_eq!(f.event_id, Some(5805));
        assert!(!f.audit_failure());
        assert_eq!(f.get("#1").as_deref(), Some("%%5"));
        assert_eq!(f.get("#2"), None);
        assert_eq!(f.binary, Some("220000C0"));
        assert_eq!(f.all().len(), 2);
    }

    #[test]
    fn user_data_fields_are_named() {
        let v = parse(
            r##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Servicing"}},"EventID":"4"},"UserData":{"CbsPackageChangeState":{"#attributes":{"xmlns":"x"},"ErrorCode":"0x80070005","Client":"DISM"}}}}"##,
        );
        let f = Fields::of(&v).unwrap();
        assert_eq!(f.event_id, Some(4));
        assert_eq!(f.get("ErrorCode").as_deref(), Some("0x80070005"));
        assert_eq!(f.all().len(), 2);
    }
}

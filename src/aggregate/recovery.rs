//! A path's recovery state. While its input is read: the recovery keys, (lower-case
//! process, operation, refused access), each with its denials and its last denial.
//! Once the input is settled: the last unrecovered failure per (input, lower-case
//! process), what process exits are linked to. A path holds one or the other, never
//! both, so they share one slot (hundreds of thousands of paths pay for one).

use std::sync::Arc;

use crate::intent::Access;
use crate::intern::Text;
use crate::model::Moment;
use crate::tally::Tally;

/// (lower-case process, operation, access refused): the unit of "recovery".
pub type KeyId = (Text, Text, Access);

/// What is known of one recovery key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyState {
    /// Denials seen for this key.
    pub denials: u64,
    /// The last denial (its `offset` is the latest byte offset, in the decoded
    /// input, of any denial): what a process exit is linked to when it never recovers.
    pub last: Stamp,
}

/// Where and when one record was: a key's last denial (its process and operation are
/// the key's).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stamp {
    pub input: u32,
    pub pid: Option<u32>,
    pub offset: u64,
    pub line: u64,
    pub time: Arc<Moment>,
}

/// Where and when a key was last refused.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LastFailure {
    pub input: u32,
    pub offset: u64,
    pub line: u64,
    pub pid: Option<u32>,
    /// The image name as logged (its first spelling on the path).
    pub process: Text,
    pub operation: Text,
    pub time: Arc<Moment>,
}

/// The recovery state of one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery {
    /// The input is being read: its keys (at most [`crate::tally::TALLY_CAP`]).
    Open(Tally<KeyId, KeyState>),
    /// The input is settled: the last unrecovered failure per (input, process).
    Settled(Tally<(u32, Text), LastFailure>),
}

impl Default for Recovery {
    fn default() -> Self {
        Recovery::Open(Tally::default())
    }
}

impl Recovery {
    /// The open keys (none once settled).
    pub fn keys(&self) -> impl Iterator<Item = (&KeyId, &KeyState)> {
        match self {
            Recovery::Open(t) => Some(t),
            Recovery::Settled(_) => None,
        }
        .into_iter()
        .flat_map(|t| t.iter())
    }

    /// The last unrecovered failures (none before settling).
    pub fn unrecovered_last(&self) -> impl Iterator<Item = (&(u32, Text), &LastFailure)> {
        match self {
            Recovery::Settled(t) => Some(t),
            Recovery::Open(_) => None,
        }
        .into_iter()
        .flat_map(|t| t.iter())
    }

    fn is_empty(&self) -> bool {
        match self {
            Recovery::Open(t) => t.is_empty(),
            Recovery::Settled(t) => t.is_empty(),
        }
    }

    /// Counts a denial of `id` at `offset` (`stamp` makes its record). `false` when
    /// it is not tracked (past the key cap, or already settled): it then counts as
    /// unrecovered.
    pub(super) fn deny(&mut self, id: KeyId, offset: u64, stamp: impl FnOnce() -> Stamp) -> bool {
        let Recovery::Open(keys) = self else {
            return false;
        };
        let Some(k) = keys.slot(&id, || (id.clone(), KeyState::default())) else {
            return false;
        };
        k.denials += 1;
        if k.denials == 1 || offset >= k.last.offset {
            k.last = stamp();
        }
        true
    }

    /// Shifts chunk-relative lines and offsets.
    pub(super) fn shift(&mut self, lines: u64, bytes: u64) {
        if let Recovery::Open(keys) = self {
            for (_, k) in keys.iter_mut() {
                k.last.offset += bytes;
                k.last.line += lines;
            }
        }
    }

    /// Adds a later state of the same path. Gives the denials it could not track.
    pub(super) fn absorb(&mut self, q: Recovery) -> u64 {
        if self.is_empty() {
            *self = q;
            return 0;
        }
        match (&mut *self, q) {
            (Recovery::Open(a), Recovery::Open(b)) => a
                .absorb(b, |mine, v| {
                    if mine.denials == 0 || v.last.offset >= mine.last.offset {
                        mine.last = v.last;
                    }
                    mine.denials += v.denials;
                })
                .iter()
                .map(|(_, v)| v.denials)
                .sum(),
            (Recovery::Settled(a), Recovery::Settled(b)) => {
                a.absorb(b, |mine, v| {
                    if v.offset >= mine.offset {
                        *mine = v;
                    }
                });
                0
            }
            // A settled and an open state of one path are never merged (each input
            // is settled before it joins the scan); were they, the open denials
            // would count as unrecovered.
            (_, q) => q.keys().map(|(_, st)| st.denials).sum(),
        }
    }

    /// Settles the open keys: those for which `recovered(process, operation,
    /// access)` fails stand, and the last of each (input, process) is kept with the
    /// process spelling `shown` gives. Returns their denials; `None` if already
    /// settled.
    pub(super) fn settle(
        &mut self,
        recovered: impl Fn(&str, &str, Access) -> bool,
        shown: impl Fn(&Text) -> Text,
    ) -> Option<u64> {
        let Recovery::Open(keys) = self else {
            return None;
        };
        let keys = std::mem::take(keys);
        let mut denials = 0;
        let mut last: Tally<(u32, Text), LastFailure> = Tally::default();
        for ((process, operation, access), st) in keys {
            if recovered(&process, &operation, access) {
                continue;
            }
            denials += st.denials;
            let id = (st.last.input, process.clone());
            let lf = LastFailure {
                input: st.last.input,
                offset: st.last.offset,
                line: st.last.line,
                pid: st.last.pid,
                process: shown(&process),
                operation,
                time: st.last.time,
            };
            if let Some(l) = last.slot(&id, || (id.clone(), lf.clone()))
                && l.offset <= lf.offset
            {
                *l = lf;
            }
        }
        *self = Recovery::Settled(last);
        Some(denials)
    }
}

//! One capture, one source: a PML and its own CSV or XML export, given in the same
//! run, are recognised by their events and counted once.
//!
//! Every kept event leaves a signature: a hash of (PID, operation, path, status, time
//! of day modulo 15 minutes). The modulo makes a PML (UTC) and its CSV export (local
//! time of the machine that exported it) agree: every time zone and daylight-saving
//! shift is a whole number of quarter hours, and both formats print 100 ns ticks.
//! Two inputs are twins when the signatures of one are all among the other's.
//!
//! Memory stays bounded: an input keeps at most [`MAX_SIGNATURES`]; past that it keeps
//! only the signatures whose low `level` bits are zero, raising the level as needed.
//! Two inputs are compared at the higher of their levels, where both samples are
//! exact (a signature sampled at a level is sampled at every lower one).

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use crate::model::Event;

/// Most signatures one input keeps.
pub const MAX_SIGNATURES: usize = 1 << 16;
/// A quarter hour in nanoseconds: every UTC offset is a multiple of it.
const QUARTER_HOUR_NS: u64 = 15 * 60 * 1_000_000_000;

/// The sampled signatures of one input's kept events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signatures {
    /// Only signatures whose low `level` bits are zero are kept.
    pub level: u32,
    pub set: HashSet<u64>,
    /// Kept events that had no signature (no PID or no time of day).
    pub unsigned: u64,
}

fn sampled(h: u64, level: u32) -> bool {
    level == 0 || h.trailing_zeros() >= level
}

/// The signature of an event whose path grouping key is `path_key`, when it has a
/// PID and a time of day. FNV-1a over the fields: stable across runs and platforms.
pub fn signature(ev: &Event<'_>, path_key: &str) -> Option<u64> {
    struct Fnv(u64);
    impl Hasher for Fnv {
        fn finish(&self) -> u64 {
            self.0
        }
        fn write(&mut self, bytes: &[u8]) {
            for &b in bytes {
                self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
            }
        }
    }
    let pid = ev.pid?;
    let tod = ev.time.time_of_day_ns? % QUARTER_HOUR_NS;
    let mut h = Fnv(0xCBF2_9CE4_8422_2325);
    pid.hash(&mut h);
    ev.operation.trim().to_ascii_lowercase().hash(&mut h);
    path_key.hash(&mut h);
    ev.code.value.hash(&mut h);
    tod.hash(&mut h);
    Some(h.finish())
}

impl Signatures {
    /// Adds one kept event (`path_key`: its path's grouping key).
    pub fn add(&mut self, ev: &Event<'_>, path_key: &str) {
        match signature(ev, path_key) {
            Some(h) => self.insert(h),
            None => self.unsigned += 1,
        }
    }

    fn insert(&mut self, h: u64) {
        if !sampled(h, self.level) {
            return;
        }
        self.set.insert(h);
        while self.set.len() > MAX_SIGNATURES {
            self.level += 1;
            let level = self.level;
            self.set.retain(|&h| sampled(h, level));
        }
    }

    /// Adds another part of the same input.
    pub fn absorb(&mut self, other: Signatures) {
        self.unsigned += other.unsigned;
        if other.level > self.level {
            self.level = other.level;
            let level = self.level;
            self.set.retain(|&h| sampled(h, level));
        }
        for h in other.set {
            self.insert(h);
        }
    }

    /// The sample at `level` (at least this input's own level).
    fn at(&self, level: u32) -> impl Iterator<Item = &u64> {
        self.set.iter().filter(move |&&h| sampled(h, level))
    }
}

/// Whether every signature of `small` is among `large`'s (compared at the higher
/// level). An empty sample, or one with unsigned events, proves nothing.
pub fn contained(small: &Signatures, large: &Signatures) -> bool {
    let level = small.level.max(large.level);
    let mut any = false;
    for h in small.at(level) {
        if !large.set.contains(h) {
            return false;
        }
        any = true;
    }
    any && small.unsigned == 0
}

/// For each input, the input it duplicates (`None` for the one kept). `prefer` ranks
/// the copy to keep among identical twins (lower is kept; ties keep the earlier input).
pub fn detect(sigs: &[&Signatures], prefer: &[u8]) -> Vec<Option<usize>> {
    let mut twin_of: Vec<Option<usize>> = vec![None; sigs.len()];
    // Inputs that share at least one signature are candidates.
    let mut by_sig: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, s) in sigs.iter().enumerate() {
        for &h in &s.set {
            by_sig.entry(h).or_default().push(i);
        }
    }
    let mut pairs: Vec<(usize, usize)> = by_sig
        .values()
        .flat_map(|ins| {
            ins.iter()
                .flat_map(move |&a| ins.iter().filter(move |&&b| a < b).map(move |&b| (a, b)))
        })
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    for (a, b) in pairs {
        if twin_of[a].is_some() || twin_of[b].is_some() {
            continue;
        }
        let (ab, ba) = (contained(sigs[a], sigs[b]), contained(sigs[b], sigs[a]));
        let drop = match (ab, ba) {
            (true, true) => Some(if prefer[b] < prefer[a] { a } else { b }),
            (true, false) => Some(a),
            (false, true) => Some(b),
            (false, false) => None,
        };
        if let Some(d) = drop {
            twin_of[d] = Some(if d == a { b } else { a });
        }
    }
    twin_of
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sigs(hs: &[u64]) -> Signatures {
        let mut s = Signatures::default();
        hs.iter().for_each(|&h| s.insert(h));
        s
    }

    #[test]
    fn subsets_and_equal_sets_are_twins() {
        let big = sigs(&[1, 2, 3, 4]);
        let sub = sigs(&[2, 4]);
        let other = sigs(&[2, 9]);
        assert!(contained(&sub, &big));
        assert!(!contained(&other, &big));
        assert!(!contained(&Signatures::default(), &big));
        // Equal: the preferred kind is kept.
        assert_eq!(detect(&[&big, &big.clone()], &[1, 0]), vec![Some(1), None]);
        assert_eq!(
            detect(&[&big, &sub, &other], &[0, 0, 0]),
            vec![None, Some(0), None]
        );
    }

    #[test]
    fn sampling_keeps_memory_bounded_and_comparisons_exact() {
        let mut a = Signatures::default();
        let mut b = Signatures::default();
        // splitmix64: well-mixed low bits, like FNV signatures (an LCG's low bits
        // alternate, so every other output would share them).
        let mix = |mut z: u64| {
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        for i in 0..(MAX_SIGNATURES as u64 * 3) {
            let x = mix(i);
            a.insert(x);
            if i % 2 == 0 {
                b.insert(x);
            }
        }
        assert!(a.set.len() <= MAX_SIGNATURES && a.level > 0);
        assert!(
            contained(&b, &a),
            "a half of the events is inside the whole"
        );
        assert!(!contained(&a, &b));
    }
}

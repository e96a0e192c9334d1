//! Shared immutable strings for per-path state.
//!
//! Hundreds of thousands of offending paths repeat a handful of process names,
//! operations, results and details. Each distinct one is stored once per aggregate
//! and shared by reference count, so a path's state holds pointers, not copies. The
//! table is bounded: past [`MAX_INTERNED`] distinct strings a string is still
//! returned, only not shared, so hostile input cannot grow the table without bound.

use std::collections::HashSet;
use std::sync::Arc;

/// An immutable, cheaply cloned string.
pub type Text = Arc<str>;

/// Most distinct strings one interner shares.
pub const MAX_INTERNED: usize = 1 << 16;

/// A bounded set of shared strings.
#[derive(Debug, Clone, Default)]
pub struct Interner {
    set: HashSet<Text>,
}

impl Interner {
    /// The shared copy of `s` (made and kept on first sight while there is room).
    pub fn get(&mut self, s: &str) -> Text {
        if let Some(t) = self.set.get(s) {
            return t.clone();
        }
        let t: Text = Arc::from(s);
        if self.set.len() < MAX_INTERNED {
            self.set.insert(t.clone());
        }
        t
    }

    /// Distinct strings shared.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_copy_per_distinct_string_and_the_table_is_bounded() {
        let mut i = Interner::default();
        let a = i.get("CreateFile");
        let b = i.get("CreateFile");
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(i.len(), 1);
        for n in 0..MAX_INTERNED + 10 {
            i.get(&n.to_string());
        }
        assert_eq!(i.len(), MAX_INTERNED);
        let late = i.get("past the cap");
        assert_eq!(&*late, "past the cap");
        assert!(!Arc::ptr_eq(&late, &i.get("past the cap")), "not shared");
    }
}

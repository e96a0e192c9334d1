//! Small counting maps kept as vectors. An offending path sees one or two spellings,
//! statuses, operations, processes and inputs: the first pair is kept inline and more
//! grow an exact allocation, where a hash or B-tree map costs hundreds of bytes, which
//! is what keeps hundreds of thousands of distinct paths affordable. A tally holds at most
//! [`TALLY_CAP`] distinct keys (a hostile log cannot make lookups quadratic); what
//! does not fit is refused ([`Tally::slot`] gives `None`, [`Tally::absorb`] gives
//! it back), for the owner to count where it matters.

use std::borrow::Borrow;

use smallvec::SmallVec;

/// Most distinct keys one tally keeps.
pub const TALLY_CAP: usize = 64;

/// A map from keys to values, in insertion order, with at most [`TALLY_CAP`] keys,
/// the first `N` of them inline (0 for large values that are often absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally<K, V = u64, const N: usize = 1> {
    items: SmallVec<[(K, V); N]>,
}

impl<K, V, const N: usize> Default for Tally<K, V, N> {
    fn default() -> Self {
        Tally {
            items: SmallVec::new(),
        }
    }
}

impl<K, V, const N: usize> Tally<K, V, N> {
    /// The value of `key`, inserted with `make` when absent; `None` when it is absent
    /// and the tally is full.
    pub fn slot<Q>(&mut self, key: &Q, make: impl FnOnce() -> (K, V)) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: PartialEq + ?Sized,
    {
        match self.items.iter().position(|(k, _)| k.borrow() == key) {
            Some(i) => Some(&mut self.items[i].1),
            None if self.items.len() < TALLY_CAP => {
                // Exact growth: most tallies of a path hold one or two keys, and
                // hundreds of thousands of paths must not each pay for four.
                self.items.reserve_exact(1);
                self.items.push(make());
                self.items.last_mut().map(|(_, v)| v)
            }
            None => None,
        }
    }

    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: PartialEq + ?Sized,
    {
        self.items
            .iter()
            .find(|(k, _)| k.borrow() == key)
            .map(|(_, v)| v)
    }

    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: PartialEq + ?Sized,
    {
        self.get(key).is_some()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.items.iter().map(|(k, v)| (k, v))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.items.iter_mut().map(|(k, v)| (&*k, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.items.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.items.iter().map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn clear(&mut self) {
        self.items = SmallVec::new();
    }

    /// Folds `other` in: `combine` merges the values of a key both hold. Gives back
    /// the entries that did not fit.
    pub fn absorb(
        &mut self,
        other: Tally<K, V, N>,
        mut combine: impl FnMut(&mut V, V),
    ) -> Vec<(K, V)>
    where
        K: PartialEq,
    {
        let mut refused = Vec::new();
        for (k, v) in other.items {
            match self.items.iter().position(|(mine, _)| *mine == k) {
                Some(i) => combine(&mut self.items[i].1, v),
                None if self.items.len() < TALLY_CAP => {
                    self.items.reserve_exact(1);
                    self.items.push((k, v));
                }
                None => refused.push((k, v)),
            }
        }
        refused
    }
}

impl<K, V, const N: usize> IntoIterator for Tally<K, V, N> {
    type Item = (K, V);
    type IntoIter = smallvec::IntoIter<[(K, V); N]>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<K> Tally<K, u64> {
    /// Adds `n` to the count of `key`.
    pub fn add<Q>(&mut self, key: &Q, n: u64)
    where
        K: Borrow<Q>,
        Q: PartialEq + ToOwned<Owned = K> + ?Sized,
    {
        if let Some(v) = self.slot(key, || (key.to_owned(), 0)) {
            *v += n;
        }
    }

    /// Adds every count of `other`.
    pub fn absorb_counts(&mut self, other: Tally<K, u64>)
    where
        K: PartialEq,
    {
        self.absorb(other, |a, b| *a += b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_merge_and_cap() {
        let mut t: Tally<String> = Tally::default();
        t.add("a", 1);
        t.add("a", 2);
        t.add("b", 1);
        assert_eq!(t.get("a"), Some(&3));
        let mut u: Tally<String> = Tally::default();
        u.add("b", 5);
        u.add("c", 1);
        t.absorb_counts(u);
        let got: Vec<(&String, &u64)> = t.iter().collect();
        assert_eq!(got.len(), 3);
        assert_eq!(t.get("b"), Some(&6));
        let mut full: Tally<u32> = Tally::default();
        for i in 0..(TALLY_CAP as u32 + 10) {
            full.add(&i, 1);
        }
        assert_eq!(full.len(), TALLY_CAP);
        assert!(full.slot(&u32::MAX, || (u32::MAX, 0)).is_none());
        let mut more: Tally<u32> = Tally::default();
        more.add(&0, 1);
        more.add(&u32::MAX, 7);
        assert_eq!(full.absorb(more, |a, b| *a += b), vec![(u32::MAX, 7)]);
        assert_eq!(full.get(&0), Some(&2));
    }
}

//! Small counting maps kept as vectors. An offending path sees one or two spellings,
//! statuses, operations, processes and inputs: a vector of pairs costs one small
//! allocation where a hash or B-tree map costs hundreds of bytes, which is what keeps
//! hundreds of thousands of distinct paths affordable. A tally holds at most
//! [`TALLY_CAP`] distinct keys (a hostile log cannot make lookups quadratic); what
//! does not fit is counted in `dropped`.

use std::borrow::Borrow;

/// Most distinct keys one tally keeps.
pub const TALLY_CAP: usize = 64;

/// A map from keys to values, in insertion order, with at most [`TALLY_CAP`] keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally<K, V = u64> {
    items: Vec<(K, V)>,
    /// Additions of keys past the cap.
    pub dropped: u64,
}

impl<K, V> Default for Tally<K, V> {
    fn default() -> Self {
        Tally {
            items: Vec::new(),
            dropped: 0,
        }
    }
}

impl<K, V> Tally<K, V> {
    /// The value of `key`, inserted with `make` when absent; `None` (and counted as
    /// dropped) when the tally is full.
    pub fn slot<Q>(&mut self, key: &Q, make: impl FnOnce() -> (K, V)) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: PartialEq + ?Sized,
    {
        match self.items.iter().position(|(k, _)| k.borrow() == key) {
            Some(i) => Some(&mut self.items[i].1),
            None if self.items.len() < TALLY_CAP => {
                self.items.push(make());
                self.items.last_mut().map(|(_, v)| v)
            }
            None => {
                self.dropped += 1;
                None
            }
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
        self.items = Vec::new();
        self.dropped = 0;
    }

    /// Folds `other` in: `combine` merges the values of a key both hold.
    pub fn absorb(&mut self, other: Tally<K, V>, mut combine: impl FnMut(&mut V, V))
    where
        K: PartialEq,
    {
        self.dropped += other.dropped;
        for (k, v) in other.items {
            match self.items.iter().position(|(mine, _)| *mine == k) {
                Some(i) => combine(&mut self.items[i].1, v),
                None if self.items.len() < TALLY_CAP => self.items.push((k, v)),
                None => self.dropped += 1,
            }
        }
    }
}

impl<K, V> IntoIterator for Tally<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;
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
        assert_eq!(full.dropped, 10);
    }
}

//! A tiny deterministic PRNG (SplitMix64) and the value generators the seed builds on.
//!
//! Every seed area starts its own stream from a fixed label, so adding objects to one area never changes the
//! UIDs of another.

use crate::data_values::model::{days_from_civil, format_millis};

const UID_FIRST: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const UID_REST: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// SplitMix64: small, fast and good enough for realistic-looking test data.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    /// A stream seeded from a label (FNV-1a of the label).
    pub(crate) fn new(label: &str) -> Rng {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in label.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        Rng(h)
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A number in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + i64::try_from(self.below(u64::try_from(hi - lo + 1).unwrap_or(1))).unwrap_or(0)
    }

    /// True with probability `num/den`.
    pub(crate) fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }

    /// One element of a non-empty slice.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[usize::try_from(self.below(items.len() as u64)).unwrap_or(0)]
    }

    /// A valid DHIS2 UID: a letter, then ten letters or digits.
    pub(crate) fn uid(&mut self) -> String {
        let mut s = String::with_capacity(11);
        s.push(char::from(
            UID_FIRST[usize::try_from(self.below(52)).unwrap_or(0)],
        ));
        for _ in 0..10 {
            s.push(char::from(
                UID_REST[usize::try_from(self.below(62)).unwrap_or(0)],
            ));
        }
        s
    }

    /// A timestamp in epoch ms between two years (inclusive start, exclusive end).
    pub(crate) fn millis_between(&mut self, from_year: i64, to_year: i64) -> i64 {
        let lo = days_from_civil(from_year, 1, 1) * 86_400_000;
        let hi = days_from_civil(to_year, 1, 1) * 86_400_000;
        self.range(lo, hi - 1)
    }

    /// A metadata date string (`yyyy-MM-ddTHH:mm:ss.SSS`) between two years.
    pub(crate) fn date_between(&mut self, from_year: i64, to_year: i64) -> String {
        format_millis(self.millis_between(from_year, to_year))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_deterministic_and_uids_valid() {
        let mut a = Rng::new("x");
        let mut b = Rng::new("x");
        for _ in 0..100 {
            let u = a.uid();
            assert_eq!(u, b.uid());
            assert!(crate::data_values::model::Uid::parse(&u).is_some(), "{u}");
        }
        assert_ne!(Rng::new("x").next_u64(), Rng::new("y").next_u64());
    }
}

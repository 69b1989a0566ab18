//! A monotone priority queue on integer keys (radix heap, Ahuja, Mehlhorn, Orlin and
//! Tarjan 1990): every key pushed must be at least the last key popped, which holds in
//! Dijkstra with non-negative reduced costs. Push is O(1), pop amortised O(log C).

/// Radix heap of `(key, value)` with `i64` keys.
#[derive(Debug)]
pub(crate) struct RadixHeap {
    last: u64,
    len: usize,
    buckets: [Vec<(u64, u32)>; 65],
}

impl Default for RadixHeap {
    fn default() -> Self {
        Self {
            last: 0,
            len: 0,
            buckets: std::array::from_fn(|_| Vec::new()),
        }
    }
}

/// Order-preserving map from `i64` to `u64`.
#[inline]
fn to_u(k: i64) -> u64 {
    (k as u64) ^ (1 << 63)
}

#[inline]
fn bucket(k: u64, last: u64) -> usize {
    (64 - (k ^ last).leading_zeros()) as usize
}

impl RadixHeap {
    #[inline]
    pub(crate) fn push(&mut self, key: i64, value: u32) {
        let k = to_u(key);
        debug_assert!(k >= self.last, "radix heap keys must be monotone");
        self.buckets[bucket(k, self.last)].push((k, value));
        self.len += 1;
    }

    #[inline]
    pub(crate) fn pop(&mut self) -> Option<(i64, u32)> {
        if self.len == 0 {
            return None;
        }
        if self.buckets[0].is_empty() {
            let i = (1..65).find(|&i| !self.buckets[i].is_empty())?;
            let items = std::mem::take(&mut self.buckets[i]);
            self.last = items.iter().map(|&(k, _)| k).min()?;
            for &(k, v) in &items {
                self.buckets[bucket(k, self.last)].push((k, v));
            }
            // Give the emptied bucket its allocation back.
            let mut items = items;
            items.clear();
            if self.buckets[i].is_empty() {
                self.buckets[i] = items;
            }
        }
        self.len -= 1;
        let (k, v) = self.buckets[0].pop()?;
        Some(((k ^ (1 << 63)) as i64, v))
    }

    pub(crate) fn clear(&mut self) {
        for b in &mut self.buckets {
            b.clear();
        }
        self.last = 0;
        self.len = 0;
    }
}

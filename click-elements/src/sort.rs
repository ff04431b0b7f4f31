//! Sorting for the cold paths (configuration, handlers, table dumps) with one shared copy of
//! the sort code: each `sort_by_key` of the standard library is a separate instance of its
//! sort algorithm for every element type and key, several KiB each in the guest image.

use alloc::vec::Vec;

/// Sorts `v` by `key`, stably: the order `v.sort_by_key(key)` gives (and, for elements that
/// equal keys cannot tell apart, the order of `v.sort_unstable()`). The keys are computed
/// once each; what is sorted is a vector of (key, index) pairs, by the one instance of the
/// sort code, and `v` is then put in that order.
pub fn by_key<T>(v: &mut Vec<T>, key: impl FnMut(&T) -> u128) {
    let mut order: Vec<(u128, usize)> = v.iter().map(key).zip(0..).collect();
    sort_pairs(&mut order);
    let mut items: Vec<Option<T>> = v.drain(..).map(Some).collect();
    // Every index is in `order` once, so every item is taken once.
    v.extend(order.into_iter().filter_map(|(_, i)| items[i].take()));
}

/// The one instance of the sort code. The indices are distinct, so the unstable sort keeps
/// the items of equal keys in their order.
#[inline(never)]
fn sort_pairs(pairs: &mut [(u128, usize)]) {
    pairs.sort_unstable();
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn sorts_like_the_stable_sort_of_the_standard_library() {
        let items = vec![
            (3, 'a'),
            (1, 'b'),
            (3, 'c'),
            (0, 'd'),
            (1, 'e'),
            (3, 'f'),
            (2, 'g'),
        ];
        let mut ours = items.clone();
        by_key(&mut ours, |&(k, _)| k);
        let mut std = items;
        std.sort_by_key(|&(k, _)| k);
        assert_eq!(ours, std);
        let mut empty: Vec<u8> = Vec::new();
        by_key(&mut empty, |&b| u128::from(b));
        assert!(empty.is_empty());
    }
}

"""A coach's queue of booked conversations: a min-heap of unboxed 64-bit keys (issue 30).

The keys are ``deadline << SEQ_BITS | seq`` (``model``): unique, so the heap pops them in one order
whatever its layout — the order :mod:`heapq` gave on a list of ints, to the bit. On a list each
key is a boxed int somewhere in memory, and a pop compares ~2 log n of them: on a large area
(Helsinki: 550 coaches, ~100 bookings each) most of those reads missed the cache, and the cost
per customer rose with the area's size. Here the keys lie side by side in one ``librt.vecs.vec``
(mypyc's native array): a pop reads a few adjacent cache lines. Sifting as :mod:`heapq` does.
"""

from __future__ import annotations

from librt.vecs import append, pop, vec
from mypy_extensions import i64


class KeyHeap:
    """A min-heap of distinct int64 keys."""

    __slots__ = ("keys",)

    def __init__(self) -> None:
        self.keys: vec[i64] = vec[i64]()

    def __len__(self) -> int:
        return len(self.keys)

    def first(self) -> i64:
        """The smallest key (the heap is not empty)."""
        return self.keys[0]

    def push(self, key: i64) -> None:
        keys = append(self.keys, key)
        _place(keys, len(keys) - 1, key)
        self.keys = keys

    def pop(self) -> i64:
        """Remove and return the smallest key (the heap is not empty)."""
        keys, last = pop(self.keys)
        n: i64 = len(keys)
        if n == 0:
            self.keys = keys
            return last
        top = keys[0]
        # heapq's way: the smaller child moves up to the root's place down to a leaf, then the
        # last key sifts up from there
        i: i64 = 0
        child: i64 = 1
        while child < n:
            right = child + 1
            if right < n and not keys[child] < keys[right]:
                child = right
            keys[i] = keys[child]
            i = child
            child = 2 * i + 1
        _place(keys, i, last)
        self.keys = keys
        return top


def _place(keys: vec[i64], i: i64, key: i64) -> None:
    """Put ``key`` at hole ``i`` or above it: up while the parent is larger (heapq's _siftdown)."""
    while i > 0:
        parent = (i - 1) >> 1
        up = keys[parent]
        if key < up:
            keys[i] = up
            i = parent
        else:
            break
    keys[i] = key

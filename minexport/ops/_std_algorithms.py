"""Replays of the C++ standard library's sorting and selection algorithms, as GCC's libstdc++ implements
them, which torch's CPU kernels call (topk: nth_element, partial_sort and sort; mode: sort).

The algorithms are not stable, so which of several equal elements ends up where is theirs to decide; torch's
Linux builds use libstdc++, and reproducing its steps is the only way to report the same indices among equal
values.  Everything works in place on a Python list `q` between positions `first` and `last` (exclusive)
with a strict-weak-order `less(x, y)`; callers use it only for the (usually few) rows where ties matter.
"""
_THRESHOLD = 16          # below this many elements introsort leaves the rest to insertion sort


def _depth_limit(n):
    """Twice floor(log2(n)): the partitioning depth before introsort/introselect fall back to heaps."""
    return 2 * (n.bit_length() - 1)


def _insertion_sort(q, first, last, less):
    for i in range(first + 1, last):
        val = q[i]
        if less(val, q[first]):
            q[first + 1:i + 1] = q[first:i]
            q[first] = val
            continue
        j = i
        while less(val, q[j - 1]):
            q[j] = q[j - 1]
            j -= 1
        q[j] = val


def _unguarded_insertion_sort(q, first, last, less):
    # a smaller element is known to sit before `first`: the inner walk needs no bound check
    for i in range(first, last):
        val, j = q[i], i
        while less(val, q[j - 1]):
            q[j] = q[j - 1]
            j -= 1
        q[j] = val


def _median_to_first(q, result, a, b, c, less):
    """Swap the median of q[a], q[b], q[c] into q[result]."""
    if less(q[a], q[b]):
        pick = b if less(q[b], q[c]) else (c if less(q[a], q[c]) else a)
    else:
        pick = a if less(q[a], q[c]) else (c if less(q[b], q[c]) else b)
    q[result], q[pick] = q[pick], q[result]


def _partition_around_first(q, first, last, less):
    """Hoare partition of q[first+1:last] around the median-of-three moved to q[first]; returns the cut."""
    _median_to_first(q, first, first + 1, first + (last - first) // 2, last - 1, less)
    lo, hi, pivot = first + 1, last, q[first]
    while True:
        while less(q[lo], pivot):
            lo += 1
        hi -= 1
        while less(pivot, q[hi]):
            hi -= 1
        if lo >= hi:
            return lo
        q[lo], q[hi] = q[hi], q[lo]
        lo += 1


def _sift(q, first, hole, length, value, less):
    """Place `value` into the max-heap q[first:first+length] starting from the empty slot `hole`."""
    top = child = hole
    # move the hole down to a leaf along the larger children
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if less(q[first + child], q[first + child - 1]):
            child -= 1
        q[first + hole] = q[first + child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        q[first + hole] = q[first + child - 1]
        hole = child - 1
    # then bubble the value back up
    parent = (hole - 1) // 2
    while hole > top and less(q[first + parent], value):
        q[first + hole] = q[first + parent]
        hole, parent = parent, (parent - 1) // 2
    q[first + hole] = value


def _make_heap(q, first, last, less):
    length = last - first
    for parent in range((length - 2) // 2, -1, -1) if length >= 2 else ():
        _sift(q, first, parent, length, q[first + parent], less)


def _pop_heap_into(q, first, last, result, less):
    """Move the heap's top to q[result] and re-heap q[first:last] with the old q[result]."""
    value, q[result] = q[result], q[first]
    _sift(q, first, 0, last - first, value, less)


def _heap_select(q, first, middle, last, less):
    """Leave the (middle - first) least elements in q[first:middle], as a max-heap."""
    _make_heap(q, first, middle, less)
    for i in range(middle, last):
        if less(q[i], q[first]):
            _pop_heap_into(q, first, middle, i, less)


def _sort_heap(q, first, last, less):
    while last - first > 1:
        last -= 1
        _pop_heap_into(q, first, last, last, less)


def _introsort_loop(q, first, last, depth, less):
    while last - first > _THRESHOLD:
        if depth == 0:
            _heap_select(q, first, last, last, less)
            _sort_heap(q, first, last, less)
            return
        depth -= 1
        cut = _partition_around_first(q, first, last, less)
        _introsort_loop(q, cut, last, depth, less)
        last = cut


def sort(q, first, last, less):
    """std::sort."""
    if last - first < 2:
        return
    _introsort_loop(q, first, last, _depth_limit(last - first), less)
    if last - first > _THRESHOLD:
        _insertion_sort(q, first, first + _THRESHOLD, less)
        _unguarded_insertion_sort(q, first + _THRESHOLD, last, less)
    else:
        _insertion_sort(q, first, last, less)


def nth_element(q, first, nth, last, less):
    """std::nth_element (introselect)."""
    if first == last or nth == last:
        return
    depth = _depth_limit(last - first)
    while last - first > 3:
        if depth == 0:
            _heap_select(q, first, nth + 1, last, less)
            q[first], q[nth] = q[nth], q[first]
            return
        depth -= 1
        cut = _partition_around_first(q, first, last, less)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(q, first, last, less)


def partial_sort(q, first, middle, last, less):
    """std::partial_sort."""
    _heap_select(q, first, middle, last, less)
    _sort_heap(q, first, middle, less)

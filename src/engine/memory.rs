//! Heap bytes held, counted per thread, so that a run's memory budget is a property of the
//! run and not of the process.
//!
//! A run holds everything it allocates on the one thread it runs on (the engine never
//! spawns work), and allocation sizes follow from the scenario and the code alone. So the
//! bytes a run has allocated and not freed are the same on every machine, whatever else the
//! process holds: other runs of a sweep on other threads, what an earlier run left to the
//! allocator, the page size. The process's resident size would depend on all of those.
//!
//! The global allocator is the system one plus a thread-local counter: an add per
//! allocation, which the hot loop barely pays (it allocates little).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    /// Bytes allocated minus bytes freed on this thread. A constant initializer and no
    /// destructor, so the allocator may touch it at any time without allocating.
    static HELD: Cell<i64> = const { Cell::new(0) };
}

#[inline]
fn add(bytes: i64) {
    // `try_with` fails only while the thread is being torn down; nothing is measured then.
    let _ = HELD.try_with(|held| held.set(held.get() + bytes));
}

/// The bytes this thread has allocated and not freed since it started.
pub fn thread_held_bytes() -> i64 {
    HELD.try_with(Cell::get).unwrap_or(0)
}

/// The system allocator, counting per thread.
pub struct CountingAllocator;

// SAFETY: every call is forwarded unchanged to `System`, which upholds `GlobalAlloc`'s
// contract; the counting only reads sizes from the layouts.
unsafe impl GlobalAlloc for CountingAllocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            add(layout.size() as i64);
        }
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            add(layout.size() as i64);
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) };
        add(-(layout.size() as i64));
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            add(new_size as i64 - layout.size() as i64);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[cfg(test)]
mod tests {
    use super::thread_held_bytes;

    #[test]
    fn a_thread_counts_what_it_holds_and_not_what_others_hold() {
        let before = thread_held_bytes();
        let block = vec![0u8; 1 << 20];
        assert!(thread_held_bytes() - before >= 1 << 20);
        // Another thread's allocation is not this thread's.
        let other = std::thread::spawn(|| {
            let start = thread_held_bytes();
            let v = vec![0u8; 4 << 20];
            (thread_held_bytes() - start, v.len())
        });
        let held_now = thread_held_bytes();
        let (theirs, _) = other.join().unwrap();
        assert!(theirs >= 4 << 20);
        assert!(thread_held_bytes() - held_now < 1 << 20, "the other thread's 4 MiB are not counted here");
        drop(block);
        assert!(thread_held_bytes() - before < 1 << 20);
    }
}

//! Argon2 work memory: at most `max_in_flight` hashes at once, each on
//! memory kept for reuse and wiped when released.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use argon2::Block;
use zeroize::Zeroize;

/// Bounds the hashes in flight and keeps their work memory for reuse.
#[derive(Debug)]
pub(super) struct MemoryPool {
    pub(super) max_in_flight: usize,
    /// Argon2 runs started through this pool (for equal-cost checks and
    /// metrics).
    pub(super) runs: AtomicU64,
    state: Mutex<PoolState>,
    released: Condvar,
}

#[derive(Debug, Default)]
pub(super) struct PoolState {
    in_flight: usize,
    pub(super) idle: Vec<WorkMemory>,
}

/// Argon2 work memory, wiped when dropped.
#[derive(Debug, Default)]
pub(super) struct WorkMemory(pub(super) Vec<Block>);

impl Drop for WorkMemory {
    fn drop(&mut self) {
        self.0.iter_mut().for_each(Zeroize::zeroize);
    }
}

impl MemoryPool {
    pub(super) fn new(max_in_flight: usize) -> Self {
        Self {
            max_in_flight,
            runs: AtomicU64::new(0),
            state: Mutex::new(PoolState::default()),
            released: Condvar::new(),
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for a free slot and takes work memory of at least `blocks`.
    /// `keep_blocks` is the size worth keeping for reuse afterwards.
    pub(super) fn acquire(&self, blocks: usize, keep_blocks: usize) -> Lease<'_> {
        let mut state = self.lock();
        while state.in_flight >= self.max_in_flight {
            state = self
                .released
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.in_flight += 1;
        self.runs.fetch_add(1, Ordering::Relaxed);
        let memory = state.idle.pop().unwrap_or_default();
        drop(state);
        let mut lease = Lease {
            pool: self,
            memory,
            keep_blocks,
        };
        if lease.memory.0.len() < blocks {
            lease.memory.0.resize(blocks, Block::default());
        }
        lease
    }
}

/// A slot of the in-flight bound and its work memory, given back on drop.
pub(super) struct Lease<'a> {
    pool: &'a MemoryPool,
    memory: WorkMemory,
    keep_blocks: usize,
}

impl Lease<'_> {
    pub(super) fn blocks(&mut self, n: usize) -> &mut [Block] {
        &mut self.memory.0[..n]
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let memory = std::mem::take(&mut self.memory);
        // Memory grown for an unusually expensive stored hash is wiped and
        // freed rather than kept.
        let keep = memory.0.len() <= self.keep_blocks;
        let mut state = self.pool.lock();
        state.in_flight -= 1;
        if keep {
            state.idle.push(memory);
        }
        drop(state);
        self.pool.released.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;

    use super::*;

    #[test]
    fn in_flight_bound_holds_under_contention() {
        let pool = Arc::new(MemoryPool::new(2));
        let current = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (pool, current, peak) = (pool.clone(), current.clone(), peak.clone());
                std::thread::spawn(move || {
                    for _ in 0..20 {
                        let _lease = pool.acquire(8, 8);
                        let now = current.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::yield_now();
                        current.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(peak.load(Ordering::SeqCst) <= 2);
        assert!(pool.lock().idle.len() <= 2);
    }
}

//! What every component instance lives under, so that a guest can neither hang nor exhaust the
//! host: a bounded linear memory (`StoreLimits`), a budget of time spent computing (epoch
//! interruption: a guest that spins is stopped, one that waits on I/O is not), and wasmtime's
//! pooling allocator, which keeps instance slots ready so that instantiating costs microseconds.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ResourceLimiter, StoreLimits,
    StoreLimitsBuilder,
};

/// Largest linear memory one instance may grow to: room for a 32 MiB upload decoded from base64
/// next to its multipart body and JSON copies.
pub const GUEST_MEMORY_BYTES: usize = 512 << 20;

/// How long one call may compute (not wait) before it is stopped, by default.
pub const GUEST_COMPUTE: Duration = Duration::from_secs(60);

/// The epoch tick: the resolution of [`GUEST_COMPUTE`].
pub const TICK: Duration = Duration::from_millis(10);

/// Memory of a pooled slot kept resident between calls (a call that sends a request touches
/// about 1 MiB).
pub const KEEP_RESIDENT_BYTES: usize = 4 << 20;

/// Instance slots kept by the pooling allocator: the most calls in flight at once.
pub const POOL_INSTANCES: u32 = 1000;

/// Sets the engine-wide parts: epoch interruption and, when `pooling`, the pooling allocator
/// (otherwise wasmtime allocates each instance on demand; the benchmark compares the two). The
/// address space each memory reserves is [`GUEST_MEMORY_BYTES`] plus a 32 MiB guard (about
/// 0.5 TiB of virtual memory for the pool; nothing is committed until used).
pub fn configure(config: &mut Config, pooling: bool) {
    config.epoch_interruption(true);
    config.memory_reservation(GUEST_MEMORY_BYTES as u64);
    config.memory_guard_size(32 << 20);
    if !pooling {
        return;
    }
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(POOL_INSTANCES)
        .total_core_instances(POOL_INSTANCES * 4)
        .total_memories(POOL_INSTANCES * 2)
        .total_tables(POOL_INSTANCES * 4)
        .max_memory_size(GUEST_MEMORY_BYTES)
        // A slot's memory is reset by rewriting only the pages the last call dirtied (found
        // with Linux's PAGEMAP_SCAN where the kernel has it, 6.7+), up to this much, instead of
        // unmapping it: the next call then takes no page faults on them.
        .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
        .table_keep_resident(64 << 10)
        .pagemap_scan(wasmtime::Enabled::Auto);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
}

/// Starts the thread that ticks `engine`'s epoch every [`TICK`]; it ends with the engine.
pub fn start_ticking(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("qlik-harness-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(TICK);
            }
        })
        .expect("spawning the epoch thread");
}

/// The limits of one store: its memory bounded by [`GUEST_MEMORY_BYTES`], and the largest size
/// its memory reached reported to a shared high-water mark when the store ends.
pub struct GuestLimits {
    limits: StoreLimits,
    peak: usize,
    high_water: Arc<AtomicUsize>,
}

impl GuestLimits {
    /// Limits reporting their peak to `high_water`.
    pub fn new(high_water: Arc<AtomicUsize>) -> Self {
        let limits = StoreLimitsBuilder::new().memory_size(GUEST_MEMORY_BYTES).trap_on_grow_failure(false).build();
        GuestLimits { limits, peak: 0, high_water }
    }
}

impl ResourceLimiter for GuestLimits {
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        let allowed = self.limits.memory_growing(current, desired, maximum)?;
        self.peak = self.peak.max(if allowed { desired } else { current });
        Ok(allowed)
    }

    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

impl Drop for GuestLimits {
    fn drop(&mut self) {
        self.high_water.fetch_max(self.peak, Ordering::Relaxed);
    }
}

/// Ticks a call may spend computing: `compute` in [`TICK`]s, at least one.
pub fn compute_ticks(compute: Duration) -> u64 {
    (compute.as_millis() / TICK.as_millis()).max(1) as u64
}

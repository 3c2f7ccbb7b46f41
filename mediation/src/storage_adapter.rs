//! What the ingest pipeline needs from storage, as a small trait: the pipeline is tested
//! against [`MemoryStore`], the engine runs on RocksDB (`storage`).
use crate::engine::Input;
use callscope_shared::analysis::assemble::AssembledCall;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub trait EngineStore: Send {
    /// Highest stored sequence number of a probe spool.
    fn cursor(&self, spool: u64) -> anyhow::Result<Option<u64>>;
    /// Inputs stored but not yet part of a stored call (to rebuild open calls at restart);
    /// the store remembers them as open, so the call that finishes them links them.
    fn open_inputs(&mut self) -> anyhow::Result<Vec<(Arc<str>, Input)>>;
    /// One durable write: the inputs and the new cursors. When it returns Ok, a crash loses
    /// none of it.
    fn ingest(&mut self, items: &[(Arc<str>, Input)], cursors: &[(u64, u64)])
    -> anyhow::Result<()>;
    /// Stores finished calls and closes their inputs (one durable write).
    fn finish_calls(&mut self, calls: &[AssembledCall]) -> anyhow::Result<()>;
}

/// In-memory store for tests: everything in a shared map, inspectable from the test.
#[derive(Clone, Default)]
pub struct MemoryStore {
    pub inner: Arc<Mutex<MemoryInner>>,
}

#[derive(Default)]
pub struct MemoryInner {
    pub cursors: HashMap<u64, u64>,
    pub open: Vec<(Arc<str>, Input)>,
    pub calls: Vec<callscope_shared::analysis::report::Report>,
    pub fail_writes: bool,
}

impl EngineStore for MemoryStore {
    fn cursor(&self, spool: u64) -> anyhow::Result<Option<u64>> {
        Ok(self.lock().cursors.get(&spool).copied())
    }
    fn open_inputs(&mut self) -> anyhow::Result<Vec<(Arc<str>, Input)>> {
        Ok(self.lock().open.clone())
    }
    fn ingest(
        &mut self,
        items: &[(Arc<str>, Input)],
        cursors: &[(u64, u64)],
    ) -> anyhow::Result<()> {
        let mut g = self.lock();
        anyhow::ensure!(!g.fail_writes, "simulated write failure");
        g.open.extend(items.iter().cloned());
        g.cursors.extend(cursors.iter().copied());
        Ok(())
    }
    fn finish_calls(&mut self, calls: &[AssembledCall]) -> anyhow::Result<()> {
        let mut g = self.lock();
        anyhow::ensure!(!g.fail_writes, "simulated write failure");
        for c in calls {
            g.open.retain(|(_, i)| match i {
                Input::Sip(m) => !c.messages.contains(m),
                Input::Report(r) => !r
                    .call_id
                    .as_ref()
                    .is_some_and(|id| c.group.call_ids.contains(id)),
                Input::SbcQos(q) => !c.group.call_ids.contains(&q.inc_call_id),
                Input::Rtcp { call_id, .. } => !c.group.call_ids.contains(call_id),
            });
            g.calls.push(c.report.clone());
        }
        Ok(())
    }
}

impl MemoryStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryInner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

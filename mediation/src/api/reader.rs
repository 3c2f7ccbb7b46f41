//! [`CallReader`] over the engine's [`Store`]: JSON documents for the API.
use super::routes::{CallReader, SearchParams};
use crate::auth::Tenant;
use crate::engine::rocks_adapter::is_pseudo;
use crate::storage::{CallId, CallQuery, CallSummary, Page, Store};
use anyhow::anyhow;
use callscope_shared::analysis::time::rfc3339;
use serde_json::{Value, json};
use std::sync::Arc;

pub struct StoreReader(pub Arc<dyn Store>);

fn bad(msg: String) -> anyhow::Error {
    anyhow!("bad query: {msg}")
}

/// RFC 3339 (`2026-11-23T10:00:00Z`) or seconds since the epoch.
fn time_param(name: &str, v: &str) -> anyhow::Result<u64> {
    if let Ok(secs) = v.parse::<f64>() {
        return Ok((secs * 1e9) as u64);
    }
    callscope_shared::analysis::time::parse_rfc3339(v).ok_or_else(|| {
        bad(format!(
            "{name}={v:?}: give RFC 3339 (2026-11-23T10:00:00Z) or seconds since 1970"
        ))
    })
}

fn summary(s: &CallSummary) -> Value {
    json!({
        "id": s.id.to_string(),
        "start": rfc3339(s.start),
        "end": rfc3339(s.end),
        "call_ids": s.call_ids,
        "from": s.from_user,
        "to": s.to_user,
        "ips": s.ips,
        "final_status": s.final_status,
        "duration_s": s.duration.map(|d| d.as_secs_f64()),
        "worst_mos": s.worst_mos,
        "source": s.source,
    })
}

fn call_id(id: &str) -> anyhow::Result<CallId> {
    id.parse().map_err(|_| {
        bad(format!(
            "{id:?} is not a call id (32 hex digits from a search)"
        ))
    })
}

/// Pages a tenant search reads before it returns a short page with `next` set.
const TENANT_SCAN_PAGES: usize = 20;

impl StoreReader {
    fn visible(&self, s: &CallSummary, tenant: Option<&Tenant>) -> bool {
        tenant.is_none_or(|t| {
            t.covers(s, || {
                self.0
                    .call(s.id)
                    .ok()
                    .flatten()
                    .and_then(|c| serde_json::from_str(&c.record_json).ok())
            })
        })
    }

    /// A search restricted to a tenant: storage pages filtered until `limit` calls are found.
    fn tenant_search(&self, mut query: CallQuery, t: &Tenant) -> anyhow::Result<Page<CallSummary>> {
        let limit = query.limit.unwrap_or(100).clamp(1, 10_000);
        // Pages of 200 to 500 summaries, 20 at most: a tenant search reads at most 10,000
        // summaries (and, for realm criteria, their records) before returning a short page.
        query.limit = Some(limit.clamp(200, 500));
        let mut items = Vec::new();
        for _ in 0..TENANT_SCAN_PAGES {
            let page = self.0.search(&query)?;
            for s in page.items {
                let id = s.id;
                if self.visible(&s, Some(t)) {
                    items.push(s);
                    if items.len() >= limit {
                        return Ok(Page {
                            items,
                            next: Some(id),
                        });
                    }
                }
            }
            match page.next {
                Some(n) => query.cursor = Some(n),
                None => return Ok(Page { items, next: None }),
            }
        }
        Ok(Page {
            items,
            next: query.cursor,
        })
    }
}

impl CallReader for StoreReader {
    fn search(&self, q: &SearchParams, tenant: Option<&Tenant>) -> anyhow::Result<Value> {
        let status_class = match q.status.as_deref() {
            None => None,
            Some(s) => {
                let c = s.trim_end_matches(['x', 'X']);
                Some(
                    c.parse::<u8>()
                        .ok()
                        .filter(|c| *c <= 6)
                        .ok_or_else(|| bad(format!("status={s:?}: write 2xx, 4xx, ... or 0")))?,
                )
            }
        };
        let query = CallQuery {
            from: q
                .from
                .as_deref()
                .map(|v| time_param("from", v))
                .transpose()?,
            to: q.to.as_deref().map(|v| time_param("to", v)).transpose()?,
            number: q.number.clone(),
            call_id: q.call_id.clone(),
            ip: q
                .ip
                .as_deref()
                .map(|v| {
                    v.parse()
                        .map_err(|_| bad(format!("ip={v:?} is not an address")))
                })
                .transpose()?,
            status_class,
            min_duration: q.min_duration_s.map(std::time::Duration::from_secs_f64),
            max_duration: q.max_duration_s.map(std::time::Duration::from_secs_f64),
            mos_below: q.mos_below,
            source: q.source.clone(),
            limit: q.limit,
            cursor: q.cursor.as_deref().map(call_id).transpose()?,
        };
        let page = match tenant {
            Some(t) => self.tenant_search(query, t)?,
            None => self.0.search(&query)?,
        };
        Ok(json!({
            "calls": page.items.iter().map(summary).collect::<Vec<_>>(),
            "next": page.next.map(|c| c.to_string()),
        }))
    }

    fn call(&self, id: &str, tenant: Option<&Tenant>) -> anyhow::Result<Option<Value>> {
        let id = call_id(id)?;
        let Some(c) = self.0.call(id)? else {
            return Ok(None);
        };
        if !self.visible(&c.summary, tenant) {
            return Ok(None);
        }
        let record: Value = serde_json::from_str(&c.record_json)?;
        let streams: Vec<Value> = self
            .0
            .streams_of_call(id)?
            .iter()
            .filter_map(|s| serde_json::from_str(s).ok())
            .collect();
        Ok(Some(json!({
            "summary": summary(&c.summary),
            "call": record,
            "streams": streams,
        })))
    }

    fn messages(&self, id: &str, tenant: Option<&Tenant>) -> anyhow::Result<Option<Value>> {
        let id = call_id(id)?;
        match self.0.call(id)? {
            Some(c) if self.visible(&c.summary, tenant) => {}
            _ => return Ok(None),
        }
        let msgs: Vec<Value> = self
            .0
            .messages_of_call(id)?
            .iter()
            .filter(|m| !is_pseudo(&m.raw))
            .map(|m| {
                json!({
                    "ts": rfc3339(m.ts),
                    "src": m.src,
                    "dst": m.dst,
                    "transport": m.transport,
                    "source": m.source,
                    "call_id": String::from_utf8_lossy(&m.call_id),
                    "raw": String::from_utf8_lossy(&m.raw),
                })
            })
            .collect();
        Ok(Some(json!({ "messages": msgs })))
    }

    fn raw_messages(
        &self,
        id: &str,
        tenant: Option<&Tenant>,
    ) -> anyhow::Result<Option<Vec<crate::storage::StoredMessage>>> {
        let id = call_id(id)?;
        match self.0.call(id)? {
            Some(c) if self.visible(&c.summary, tenant) => {}
            _ => return Ok(None),
        }
        Ok(Some(self.0.messages_of_call(id)?))
    }
}

//! Standard template-based IPFIX (RFC 7011 §3.4, §8): template and options template records,
//! withdrawals, a per-session template cache keyed by observation domain, and decoding of data
//! records into `(enterprise, element id, bytes)` fields, variable-length fields included.
use super::error::IpfixError;
use super::message::set_id;
use super::reader::Reader;
use std::collections::HashMap;

/// One field specifier (RFC 7011 §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldSpec {
    /// IANA Private Enterprise Number when the enterprise bit is set; 0 for IANA elements.
    pub enterprise: u32,
    /// Information element identifier (15 bits).
    pub id: u16,
    /// Field length in bytes, or `FieldSpec::VARIABLE`.
    pub len: u16,
}

impl FieldSpec {
    /// Field length marking a variable-length field (RFC 7011 §7).
    pub const VARIABLE: u16 = 65_535;

    pub fn is_variable(&self) -> bool {
        self.len == Self::VARIABLE
    }

    /// Bytes this field takes at least in a data record.
    fn min_len(&self) -> usize {
        if self.is_variable() {
            1
        } else {
            usize::from(self.len)
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, IpfixError> {
        const W: &str = "field specifier";
        let raw = r.u16(W)?;
        let len = r.u16(W)?;
        let enterprise = if raw & 0x8000 != 0 {
            r.u32("enterprise number")?
        } else {
            0
        };
        Ok(Self {
            enterprise,
            id: raw & 0x7fff,
            len,
        })
    }

    /// Appends the specifier (with the enterprise number when it is not 0).
    pub fn emit(&self, out: &mut Vec<u8>) {
        let e = if self.enterprise != 0 { 0x8000 } else { 0 };
        out.extend_from_slice(&((self.id & 0x7fff) | e).to_be_bytes());
        out.extend_from_slice(&self.len.to_be_bytes());
        if self.enterprise != 0 {
            out.extend_from_slice(&self.enterprise.to_be_bytes());
        }
    }
}

/// A template or options template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub id: u16,
    /// Scope fields at the head of `fields`; 0 for a (data) template, >= 1 for an options
    /// template.
    pub scope_count: u16,
    pub fields: Vec<FieldSpec>,
}

impl Template {
    pub fn is_options(&self) -> bool {
        self.scope_count > 0
    }

    /// Shortest data record this template describes (a variable-length field takes >= 1 byte).
    pub fn min_record_len(&self) -> usize {
        self.fields.iter().map(FieldSpec::min_len).sum()
    }
}

/// What a template record said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateItem {
    /// A template (set 2) or options template (set 3) definition.
    Define(Template),
    /// Field count 0: withdraw one template (RFC 7011 §8.1).
    Withdraw { id: u16 },
    /// Template ID 2 in set 2 (all templates) or 3 in set 3 (all options templates)
    /// with field count 0 (RFC 7011 §8.1).
    WithdrawAll { options: bool },
}

/// Parses the records of a Template Set (2) or Options Template Set (3) body. Trailing bytes
/// too short for a record, or all zero, are padding (RFC 7011 §3.3.1).
pub fn parse_template_set(set: u16, body: &[u8]) -> Result<Vec<TemplateItem>, IpfixError> {
    let options = set == set_id::OPTIONS_TEMPLATE;
    let mut r = Reader::new(body);
    let mut items = Vec::new();
    while r.remaining() >= 4 {
        if r.rest().iter().all(|&b| b == 0) {
            break;
        }
        let id = r.u16("template record")?;
        let count = r.u16("template record")?;
        if count == 0 {
            items.push(if id == set {
                TemplateItem::WithdrawAll { options }
            } else if id >= set_id::MIN_DATA {
                TemplateItem::Withdraw { id }
            } else {
                return Err(IpfixError::InvalidTemplateId {
                    set_id: set,
                    template_id: id,
                });
            });
            continue;
        }
        if id < set_id::MIN_DATA {
            return Err(IpfixError::InvalidTemplateId {
                set_id: set,
                template_id: id,
            });
        }
        let scope_count = if options {
            let scope = r.u16("options template record")?;
            if scope == 0 || scope > count {
                return Err(IpfixError::InvalidScopeCount {
                    template_id: id,
                    scope,
                    fields: count,
                });
            }
            scope
        } else {
            0
        };
        // Each specifier takes >= 4 bytes: refuse a count the set cannot hold before
        // allocating for it.
        let need = usize::from(count) * 4;
        if need > r.remaining() {
            return Err(IpfixError::Truncated {
                what: "template record field specifiers",
                needed: need,
                available: r.remaining(),
            });
        }
        let mut fields = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            fields.push(FieldSpec::read(&mut r)?);
        }
        items.push(TemplateItem::Define(Template {
            id,
            scope_count,
            fields,
        }));
    }
    Ok(items)
}

/// Appends a template record (set 2) or options template record (set 3, when `scope_count`
/// is not 0) to a set body.
pub fn emit_template_record(out: &mut Vec<u8>, t: &Template) {
    out.extend_from_slice(&t.id.to_be_bytes());
    out.extend_from_slice(&(t.fields.len() as u16).to_be_bytes());
    if t.scope_count > 0 {
        out.extend_from_slice(&t.scope_count.to_be_bytes());
    }
    for f in &t.fields {
        f.emit(out);
    }
}

/// One field of a decoded data record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataField<'a> {
    /// 0 for IANA elements, else the PEN.
    pub enterprise: u32,
    pub id: u16,
    /// The value bytes (without the length prefix of a variable-length field).
    pub value: &'a [u8],
}

/// Decodes the data records of a data set body with `t`, calling `f` with each record's
/// fields. Returns the number of records. Trailing bytes shorter than the shortest record are
/// padding (RFC 7011 §3.3.1); a record that starts but does not fit is an error.
pub fn decode_data_set<'a>(
    t: &Template,
    body: &'a [u8],
    fields: &mut Vec<DataField<'a>>,
    f: &mut dyn FnMut(&[DataField<'a>]),
) -> Result<u32, IpfixError> {
    let min = t.min_record_len();
    let mut r = Reader::new(body);
    let mut n = 0u32;
    if min == 0 {
        // Only zero-length fields: records take no bytes and cannot be counted.
        return Ok(0);
    }
    while r.remaining() >= min {
        fields.clear();
        for spec in &t.fields {
            let value = if spec.is_variable() {
                r.varlen("data record variable-length field")?
            } else {
                r.take(usize::from(spec.len), "data record field")?
            };
            fields.push(DataField {
                enterprise: spec.enterprise,
                id: spec.id,
                value,
            });
        }
        f(fields);
        n = n.wrapping_add(1);
    }
    Ok(n)
}

/// How a definition changed the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Defined {
    New,
    /// Same ID, same definition: a retransmission.
    Identical,
    /// Same ID, different definition without a withdrawal first (an exporter error on TCP,
    /// RFC 7011 §8); the new one replaces the old.
    Replaced,
}

/// Templates of one transport session, keyed by (observation domain, template ID)
/// (RFC 7011 §8: different domains may reuse an ID). Bounded in templates and in stored field
/// specifiers.
#[derive(Debug, Clone, Default)]
pub struct TemplateCache {
    map: HashMap<(u32, u16), Template>,
    fields: usize,
    max_templates: usize,
    max_fields: usize,
}

impl TemplateCache {
    pub fn new(max_templates: usize, max_fields: usize) -> Self {
        Self {
            map: HashMap::new(),
            fields: 0,
            max_templates,
            max_fields,
        }
    }

    pub fn get(&self, domain: u32, id: u16) -> Option<&Template> {
        self.map.get(&(domain, id))
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn define(&mut self, domain: u32, t: Template) -> Result<Defined, IpfixError> {
        let old = self.map.get(&(domain, t.id));
        let old_fields = old.map_or(0, |o| o.fields.len());
        if old == Some(&t) {
            return Ok(Defined::Identical);
        }
        let new_fields = self.fields - old_fields + t.fields.len();
        if (old.is_none() && self.map.len() >= self.max_templates) || new_fields > self.max_fields {
            return Err(IpfixError::TooManyTemplates {
                limit: self.max_templates,
            });
        }
        self.fields = new_fields;
        Ok(match self.map.insert((domain, t.id), t) {
            None => Defined::New,
            Some(_) => Defined::Replaced,
        })
    }

    /// Removes one template; false when it was not known (RFC 7011 §8.1: ignore and log).
    pub fn withdraw(&mut self, domain: u32, id: u16) -> bool {
        match self.map.remove(&(domain, id)) {
            Some(t) => {
                self.fields -= t.fields.len();
                true
            }
            None => false,
        }
    }

    /// Removes all templates (or all options templates) of a domain; returns how many.
    pub fn withdraw_all(&mut self, domain: u32, options: bool) -> usize {
        let before = self.map.len();
        let mut freed = 0;
        self.map.retain(|&(d, _), t| {
            let keep = d != domain || t.is_options() != options;
            if !keep {
                freed += t.fields.len();
            }
            keep
        });
        self.fields -= freed;
        before - self.map.len()
    }
}

//! A request body after parsing and coercion, before it is checked against the store.

use super::model::{Field, Resource};
use sb_store::Value;

/// One slot of a slot group that the request sets.
#[derive(Debug, Clone)]
pub struct SlotValue {
    /// Index of the group in [`Resource::slots`].
    pub group: usize,
    /// The slot number (e.g. 3 for `queue3`).
    pub slot: u8,
    /// The field within the group.
    pub field: &'static Field,
    /// The new value (NULL clears it).
    pub value: Value,
}

/// The parsed content of a create or update request.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// Plain fields the request sets, in the order they were met.
    pub values: Vec<(&'static Field, Value)>,
    /// Slot fields the request sets.
    pub slots: Vec<SlotValue>,
    /// List fields the request replaces: (index in [`Resource::lists`], items).
    pub lists: Vec<(usize, Vec<String>)>,
    /// Secrets generated for this request, shown once in its response.
    pub generated: Vec<(&'static str, String)>,
}

impl Draft {
    /// The value the request gives for a plain field.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.iter().find(|(f, _)| f.name == name).map(|(_, v)| v)
    }

    /// The text the request gives for a plain field.
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(Value::Text(s)) => Some(s),
            _ => None,
        }
    }

    /// Sets (or replaces) a plain field of `resource`. Unknown names are a catalogue bug
    /// and are ignored.
    pub fn set(&mut self, resource: &Resource, name: &str, value: Value) {
        let Some(field) = resource.field(name) else {
            tracing::error!(resource = resource.name, field = name, "catalogue has no such field");
            return;
        };
        match self.values.iter_mut().find(|(f, _)| f.name == name) {
            Some(slot) => slot.1 = value,
            None => self.values.push((field, value)),
        }
    }
}

//! How one step hands a typed result to the steps after it: a slot the producer fills once and
//! its dependents read, so no step reads another's result back from JSON or from the daemon.

use std::sync::{Arc, OnceLock};

use crate::error::{Error, Result};

/// A value one step produces for others. Clones share the one value.
#[derive(Debug)]
pub struct Slot<T> {
    producer: Arc<str>,
    value: Arc<OnceLock<T>>,
}

impl<T> Clone for Slot<T> {
    fn clone(&self) -> Self {
        Slot {
            producer: self.producer.clone(),
            value: self.value.clone(),
        }
    }
}

impl<T> Slot<T> {
    /// An empty slot that the step named `producer` fills.
    pub fn new(producer: &str) -> Self {
        Slot {
            producer: producer.into(),
            value: Arc::new(OnceLock::new()),
        }
    }
    /// Fill the slot (a second fill is ignored: a step produces its result once).
    pub fn fill(&self, value: T) {
        let _ = self.value.set(value);
    }
    /// The value, or an error naming the step that should have produced it.
    pub fn get(&self) -> Result<&T> {
        self.value.get().ok_or_else(|| {
            Error::failed(format!(
                "the {} step has not produced its result (it did not run in this pipeline)",
                self.producer
            ))
        })
    }
    /// The value if the producer has run.
    pub fn peek(&self) -> Option<&T> {
        self.value.get()
    }
}

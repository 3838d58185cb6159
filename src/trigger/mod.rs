//! The polling trigger's pure logic (connector.md §7): its state document (`state`) and the
//! classification of one poll's records into created, updated and skipped changes
//! (`classify`). The I/O (reading the state, walking the pages, writing the state only after
//! the result is built) comes with the trigger export.

pub mod classify;
pub mod state;

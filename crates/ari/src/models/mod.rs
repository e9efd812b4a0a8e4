//! The ARI data models (everything `api-docs/*.json` declares except the events and their
//! `Message`/`Event` bases) as serde types, one file per api-doc that declares them. Optional
//! fields are `Option`s left out when absent: some clients drop an event with a `null`.

mod applications;
mod asterisk;
mod bridges;
mod channels;
mod device_states;
mod endpoints;
mod events;
mod mailboxes;
mod playbacks;
mod recordings;
mod sounds;

pub use applications::*;
pub use asterisk::*;
pub use bridges::*;
pub use channels::*;
pub use device_states::*;
pub use endpoints::*;
pub use events::*;
pub use mailboxes::*;
pub use playbacks::*;
pub use recordings::*;
pub use sounds::*;

//! wharf-compose owns Compose: the typed model of the compose-spec
//! (`model`), loading (`load`: discovery, `.env`, interpolation, include,
//! extends, merge, profiles, validation), pure planning (`plan`: order,
//! config hash, create bodies), and convergence against an engine
//! (`engine`), which talks to the daemon only through `wharf-client`.
//! It must not know about command-line parsing (that is `src/cli/compose`)
//! nor about the daemon's crates.

pub mod canonical;
pub mod dockerjson;
pub mod engine;
pub mod error;
pub mod interp;
pub mod load;
pub mod model;
pub mod plan;
pub mod progress;

pub use error::{ComposeError, ErrorKind};
pub use load::{load, LoadOptions};
pub use model::Project;

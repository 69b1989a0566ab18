//! kompisd: the kompis service. One binary with an API role (`serve`) and a worker
//! role (`worker`); `main.rs` only parses the command line and calls into this library.

pub mod app;
pub mod cli;
pub mod console;
pub mod demo;
pub mod layers;
pub mod limits;
pub mod live;
pub mod metrics_server;
pub mod services;
pub mod settings;
pub mod telemetry;
pub mod worker;

pub use app::Application;
pub use settings::Settings;

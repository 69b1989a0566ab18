//! `kompisd`: parses the command line and hands over to the library.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    kompisd::cli::Cli::parse()
        .run(kompisd::cli::shutdown_signal())
        .await
}

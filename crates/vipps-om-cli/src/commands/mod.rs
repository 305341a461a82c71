//! The subcommands of `vipps-om`, one module each.

pub(crate) mod sim;

use clap::Subcommand;

/// A subcommand.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the local Order Management simulator.
    Sim(sim::SimArgs),
}

/// Runs a subcommand to completion.
pub(crate) fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Sim(args) => sim::run(args),
    }
}

//! `vipps-om`: command-line tools for the Vipps MobilePay Order Management
//! API. Each subcommand lives in its own module under `commands/`.

mod commands;

use clap::Parser;

/// Tools for the Vipps MobilePay Order Management API.
#[derive(Debug, Parser)]
#[command(name = "vipps-om", version, about)]
struct Cli {
    #[command(subcommand)]
    command: commands::Command,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match commands::run(cli.command) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}

//! `vipps-om`: command-line tools for the Vipps MobilePay Order Management
//! API, for developers and support staff. Each subcommand lives in its own
//! module under `commands/`; `cli` holds the argument definitions.

mod cli;
mod commands;
mod failed_lines;
mod failure;
mod logging;
mod profile;
mod render;
mod style;

use clap::{CommandFactory, Parser};
use serde_json::json;

use crate::cli::{
    CategoryArgs, Cli, Command, ImageArgs, ImageCommand, OrderArgs, OrderCommand, ReceiptCommand,
};
use crate::commands::Context;
use crate::failure::{ExitCode, Failure};

/// The global allocator with the `fast-alloc` feature (on by default):
/// mimalloc, cheaper than the system allocator for the simulator's
/// many small per-request allocations.
#[cfg(feature = "fast-alloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(error),
    };
    let json = cli.json;
    let result = match cli.command {
        // The simulator runs its own runtime and logging until stopped.
        Command::Sim(args) => commands::sim::run(args).map_err(|e| Failure::usage(chain(&e))),
        Command::Completions { shell } => {
            // Generated in memory: clap_complete panics when stdout closes.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "vipps-om", &mut script);
            commands::write_stdout(&script);
            Ok(())
        }
        command => {
            let reporting = match command {
                Command::Outbox(_) | Command::Console(_) => logging::Reporting::Service,
                _ => logging::Reporting::Command,
            };
            logging::init(cli.verbose, reporting);
            // Flags after the subcommand win over those before it.
            let connection = command
                .connection()
                .unwrap_or_default()
                .or_leading(cli.leading);
            let ctx = Context::new(json, connection);
            match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime.block_on(run(&ctx, command)),
                Err(e) => Err(Failure::usage(format!(
                    "cannot start the async runtime: {e}"
                ))),
            }
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(failure) => {
            failure.print(json);
            std::process::ExitCode::from(failure.code as u8)
        }
    }
}

async fn run(ctx: &Context, command: Command) -> Result<(), Failure> {
    match command {
        Command::Demo => commands::demo::run(ctx).await,
        Command::Order(OrderArgs {
            command:
                OrderCommand::Get {
                    order_id,
                    payment_type,
                },
            ..
        }) => commands::order::get(ctx, &order_id, payment_type).await,
        Command::Receipt(ReceiptCommand::Validate { file }) => {
            commands::receipt::validate(ctx, &file).map_err(|f| invalid_receipt(ctx, f))
        }
        Command::Receipt(ReceiptCommand::Add(args)) => match &args.bulk {
            Some(input) => commands::bulk::run(ctx, &args, input).await,
            None => commands::receipt::add(ctx, &args).await,
        },
        Command::Category(CategoryArgs { command, .. }) => {
            commands::category::run(ctx, &command).await
        }
        Command::Image(ImageArgs {
            command: ImageCommand::Upload { file, id },
            ..
        }) => commands::image::upload(ctx, &file, id.as_deref()).await,
        Command::Image(ImageArgs {
            command: ImageCommand::Check { file },
            ..
        }) => commands::image::check(ctx, &file),
        Command::Token { show_secret, .. } => commands::token::run(ctx, show_secret).await,
        Command::Doctor { .. } => commands::doctor::run(ctx).await,
        Command::Console(args) => commands::console::run(ctx, args).await,
        Command::Outbox(args) => commands::outbox::run(ctx, &args).await,
        Command::Checklist(args) => commands::checklist::run(ctx, &args).await,
        Command::Sim(_) | Command::Completions { .. } => Err(Failure {
            code: ExitCode::Usage,
            ..Failure::usage("internal: handled before the runtime starts")
        }),
    }
}

/// `receipt validate --json` of a receipt with problems prints the
/// documented `{valid: false, problems}` on stdout (exit 2), not an error
/// object; other failures (an unreadable file) stay errors.
fn invalid_receipt(ctx: &Context, failure: Failure) -> Failure {
    if !ctx.json || failure.kind != "validation" {
        return failure;
    }
    let problems: Vec<_> = failure
        .problems
        .iter()
        .map(|(path, message, severity)| {
            json!({"path": path, "message": message, "severity": severity})
        })
        .collect();
    ctx.emit(
        |_| String::new(),
        || json!({"valid": false, "problems": problems}),
    );
    Failure::reported(failure.code)
}

/// An error with its causes, each said once: a cause whose text the
/// message already holds (errors that print their source) is left out.
fn chain(error: &anyhow::Error) -> String {
    let mut message = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !message.contains(&cause) {
            message.push_str(&format!(": {cause}"));
        }
    }
    message
}

/// A command line clap refused. With `--json` it is reported as the
/// documented error object (exit 2); help and version print as usual.
fn usage_error(error: clap::Error) -> std::process::ExitCode {
    use clap::error::ErrorKind;
    let json_wanted = std::env::args_os()
        .skip(1)
        .take_while(|arg| arg != "--")
        .any(|arg| arg == "--json");
    if !json_wanted
        || matches!(
            error.kind(),
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
        )
    {
        error.exit();
    }
    // The plain text (no colours), without clap's "error: " and its
    // closing "For more information, try '--help'".
    let text = error.render().to_string();
    let usage = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("Usage: "))
        .map(str::to_owned);
    let message = match error.kind() {
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand => {
            format!(
                "a subcommand is missing{}; add --help to list them",
                usage
                    .as_deref()
                    .map(|u| format!(" (usage: {u})"))
                    .unwrap_or_default()
            )
        }
        _ => text
            .lines()
            .filter(|line| !line.starts_with("For more information"))
            .map(|line| line.strip_prefix("error: ").unwrap_or(line))
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_owned(),
    };
    Failure::usage(message).print(true);
    std::process::ExitCode::from(ExitCode::Usage as u8)
}

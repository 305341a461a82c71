//! `vipps-om`: command-line tools for the Vipps MobilePay Order Management
//! API, for developers and support staff. Each subcommand lives in its own
//! module under `commands/`; `cli` holds the argument definitions.

mod cli;
mod commands;
mod failure;
mod profile;
mod render;
mod style;

use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command, ImageCommand, OrderCommand, ReceiptCommand};
use crate::commands::Context;
use crate::failure::{ExitCode, Failure};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    let result = match cli.command {
        // The simulator runs its own runtime and logging until stopped.
        Command::Sim(args) => commands::sim::run(args).map_err(|e| {
            let mut message = e.to_string();
            for cause in e.chain().skip(1) {
                message.push_str(&format!(": {cause}"));
            }
            Failure::usage(message)
        }),
        Command::Completions { shell } => {
            // Generated in memory: clap_complete panics when stdout closes.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "vipps-om", &mut script);
            commands::write_stdout(&script);
            Ok(())
        }
        command => {
            init_logging(cli.verbose);
            let ctx = Context::new(json, cli.connection);
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
        Command::Order(OrderCommand::Get {
            order_id,
            payment_type,
        }) => commands::order::get(ctx, &order_id, payment_type).await,
        Command::Receipt(ReceiptCommand::Validate { file }) => {
            commands::receipt::validate(ctx, &file)
        }
        Command::Receipt(ReceiptCommand::Add(args)) => match &args.bulk {
            Some(input) => commands::bulk::run(ctx, &args, input).await,
            None => commands::receipt::add(ctx, &args).await,
        },
        Command::Category(command) => commands::category::run(ctx, &command).await,
        Command::Image(ImageCommand::Upload { file, id }) => {
            commands::image::upload(ctx, &file, id.as_deref()).await
        }
        Command::Token { show_secret } => commands::token::run(ctx, show_secret).await,
        Command::Doctor => commands::doctor::run(ctx).await,
        Command::Console(args) => commands::console::run(ctx, args).await,
        Command::Outbox(args) => commands::outbox::run(ctx, &args).await,
        Command::Sim(_) | Command::Completions { .. } => Err(Failure {
            code: ExitCode::Usage,
            ..Failure::usage("internal: handled before the runtime starts")
        }),
    }
}

/// `-v`: one line per API call and retry; `-vv`: everything of this tool
/// and its libraries at debug level. Secrets never reach these logs: the
/// client keeps them in types that do not print them.
fn init_logging(verbosity: u8) {
    let filter = match verbosity {
        0 => "warn",
        1 => "warn,vipps_om=info,vipps_om_cli=info",
        _ => "debug,vipps_om=trace,vipps_om_cli=trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

//! `vipps-om console`: the support console (`vipps_om_console`), a web
//! page where support staff see orders as customers see them and fix
//! their details; `console add-user` makes the accounts.

use std::net::{IpAddr, SocketAddr};

use clap::{Args, Subcommand, ValueEnum};
use vipps_om_console::vipps_om_outbox::{Outbox, redact_url};
use vipps_om_console::{
    AddUserError, Console, ConsoleConfig, ForwardedHeader, PasswordHasherConfig, Role, Store,
    demo::Demo,
};

use super::Context;
use crate::failure::Failure;

/// `console` arguments.
#[derive(Debug, Args)]
pub(crate) struct ConsoleArgs {
    /// Where to listen. Loopback by default; any other address needs
    /// --tls-proxy (the console must be served over HTTPS there).
    #[arg(long, default_value = "127.0.0.1:8088", value_name = "ADDR:PORT")]
    pub(crate) listen: SocketAddr,

    /// Start on an embedded simulator with a temporary database, sample
    /// orders and two accounts whose passwords are printed (nothing else needed).
    #[arg(long)]
    pub(crate) demo: bool,

    /// The console is reached over HTTPS through a reverse proxy: cookies
    /// get Secure and the __Host- prefix, and HSTS is sent. With
    /// =ADDR, that proxy's IP address is also trusted as with
    /// --trusted-proxy.
    #[arg(
        long,
        value_name = "ADDR",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = ""
    )]
    pub(crate) tls_proxy: Option<String>,

    /// The IP address of a reverse proxy (repeat for several): only for
    /// requests that come from it, the client's address (for the sign-in
    /// limits and the audit log) is read from the header the proxy sets
    /// (--forwarded-header). Without it, a proxy's clients all share its
    /// address and their failed sign-ins count together.
    #[arg(long, value_name = "ADDR")]
    pub(crate) trusted_proxy: Vec<IpAddr>,

    /// The header the trusted proxy writes the client's address to; the
    /// other one is never read (a proxy passes it on from the client).
    #[arg(long, value_enum, default_value_t = ForwardedHeaderArg::XForwardedFor, value_name = "HEADER")]
    pub(crate) forwarded_header: ForwardedHeaderArg,

    /// Also log every order a user opens (`order.view`) in the audit log.
    /// Off by default: the log holds sign-ins and changes.
    #[arg(long)]
    pub(crate) audit_page_views: bool,

    /// Show every time in this time zone (IANA name, e.g. Europe/Oslo),
    /// with UTC on hover. Default: each browser's region
    /// (Accept-Language, e.g. nb-NO → Europe/Oslo), else UTC.
    #[arg(long, value_name = "ZONE")]
    pub(crate) time_zone: Option<String>,

    /// The outbox database (shared with `vipps-om outbox`): sqlite://PATH?mode=rwc
    /// or postgres://USER:PASSWORD@HOST/DB (default: outbox.db in the user's data directory).
    #[arg(
        long,
        global = true,
        env = "VIPPS_OM_DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub(crate) database_url: Option<String>,

    // The API connection of the console (not for --demo or add-user).
    #[command(flatten)]
    pub(crate) connection: crate::cli::Connection,

    #[command(subcommand)]
    pub(crate) command: Option<ConsoleCommand>,
}

/// `console` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum ConsoleCommand {
    /// Add an account (password prompted, or the first line of stdin when
    /// it is not a terminal; at least 12 characters).
    AddUser {
        /// Login name: letters, digits and . - _ @.
        name: String,
        /// viewer: sees orders; editor: also retries deliveries, sets links, uploads images;
        /// admin: also manages the accounts.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Change the password and role of an existing account (ends its sessions,
        /// enables it again when it was disabled: the way back in for a locked-out admin).
        #[arg(long)]
        replace: bool,
    },
}

/// `--forwarded-header` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ForwardedHeaderArg {
    /// X-Forwarded-For: client, proxy (nginx, HAProxy, Caddy, Traefik).
    XForwardedFor,
    /// RFC 7239 Forwarded: for=client.
    Forwarded,
}

impl From<ForwardedHeaderArg> for ForwardedHeader {
    fn from(value: ForwardedHeaderArg) -> Self {
        match value {
            ForwardedHeaderArg::XForwardedFor => ForwardedHeader::XForwardedFor,
            ForwardedHeaderArg::Forwarded => ForwardedHeader::Forwarded,
        }
    }
}

impl ConsoleArgs {
    /// Whether --tls-proxy was given (with or without an address).
    fn behind_tls_proxy(&self) -> bool {
        self.tls_proxy.is_some()
    }

    /// The proxies to trust: --trusted-proxy, and --tls-proxy=ADDR.
    fn trusted_proxies(&self) -> Result<Vec<IpAddr>, Failure> {
        let mut proxies = self.trusted_proxy.clone();
        if let Some(addr) = self
            .tls_proxy
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
        {
            let ip = addr.parse::<IpAddr>().map_err(|_| {
                Failure::usage(format!(
                    "--tls-proxy={addr}: not an IP address; give the proxy's address as seen by the console, e.g. --tls-proxy=127.0.0.1, or --tls-proxy alone"
                ))
            })?;
            proxies.push(ip);
        }
        Ok(proxies)
    }
}

/// An account's role.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum RoleArg {
    /// Sees orders, deliveries and the audit log.
    Viewer,
    /// Also changes orders.
    Editor,
    /// Also manages accounts in the console (add, role, disable, reset).
    Admin,
}

impl From<RoleArg> for Role {
    fn from(value: RoleArg) -> Self {
        match value {
            RoleArg::Viewer => Role::Viewer,
            RoleArg::Editor => Role::Editor,
            RoleArg::Admin => Role::Admin,
        }
    }
}

/// Runs `console`.
pub(crate) async fn run(ctx: &Context, args: ConsoleArgs) -> Result<(), Failure> {
    if let Some(ConsoleCommand::AddUser {
        name,
        role,
        replace,
    }) = &args.command
    {
        return add_user(ctx, &args, name, (*role).into(), *replace).await;
    }
    let trusted_proxies = args.trusted_proxies()?;
    if !args.listen.ip().is_loopback() && !args.behind_tls_proxy() {
        return Err(Failure::usage(format!(
            "refusing to listen on {} without --tls-proxy: the console must be served over HTTPS when others can reach it (put a TLS reverse proxy in front and pass --tls-proxy), or listen on 127.0.0.1",
            args.listen
        )));
    }
    let hasher = PasswordHasherConfig::recommended().map_err(|e| Failure::usage(e.to_string()))?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| Failure::usage(format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::usage(format!("cannot read the listening address: {e}")))?;
    let url = format!("http://{addr}/");
    if args.demo {
        let demo = Demo::start(hasher)
            .await
            .map_err(|e| Failure::usage(e.to_string()))?;
        let mut text = format!("Support console: {url}\n");
        text.push_str(&format!("Simulator: {}\n", demo.sim.base_url()));
        text.push_str("Demo accounts (passwords for this run only):\n");
        for account in &demo.accounts {
            text.push_str(&format!(
                "  {} / {}  ({})\n",
                account.username, account.password, account.role
            ));
        }
        text.push_str("Sample orders:\n");
        for order in &demo.orders {
            text.push_str(&format!(
                "  {} ({}): {}\n",
                order.order_id, order.payment_type, order.about
            ));
        }
        text.push_str("Stop with Ctrl-C.\n");
        super::write_stdout(text.as_bytes());
        let router = demo.console.router();
        let served = vipps_om_console::serve(listener, router, shutdown_signal()).await;
        demo.shutdown().await;
        return served.map_err(|e| Failure::usage(format!("the console stopped: {e}")));
    }
    let db_url = database_url(args.database_url.as_deref())?;
    let outbox = Outbox::connect(&db_url).await.map_err(|e| {
        Failure::usage(format!(
            "cannot open the database {}: {e}",
            redact_url(&db_url)
        ))
    })?;
    let client = ctx.client()?;
    let config = ConsoleConfig {
        secure_cookies: args.behind_tls_proxy(),
        trusted_proxies,
        forwarded_header: args.forwarded_header.into(),
        audit_page_views: args.audit_page_views,
        time_zone: args.time_zone.clone(),
        ..ConsoleConfig::default()
    };
    let console = Console::new(outbox, client, hasher, config)
        .await
        .map_err(|e| Failure::usage(e.to_string()))?;
    let shown = if args.behind_tls_proxy() {
        format!("{url} (behind your HTTPS proxy)")
    } else {
        url
    };
    super::write_stdout(
        format!(
            "Support console: {shown}\nDatabase: {}\nAdd accounts with `vipps-om console add-user NAME --role viewer|editor|admin` (an admin adds the others in the console). Stop with Ctrl-C.\n",
            redact_url(&db_url)
        )
        .as_bytes(),
    );
    let served = vipps_om_console::serve(listener, console.router(), shutdown_signal()).await;
    console.outbox().close().await;
    served.map_err(|e| Failure::usage(format!("the console stopped: {e}")))
}

async fn add_user(
    ctx: &Context,
    args: &ConsoleArgs,
    name: &str,
    role: Role,
    replace: bool,
) -> Result<(), Failure> {
    if !vipps_om_console::valid_username(name) {
        return Err(Failure::usage(
            AddUserError::BadName(name.to_owned()).to_string(),
        ));
    }
    let db_url = database_url(args.database_url.as_deref())?;
    let password = vipps_om_console::read_new_password(name)
        .map_err(|e| Failure::usage(format!("cannot read the password: {e}")))?;
    let outbox = Outbox::connect(&db_url).await.map_err(|e| {
        Failure::usage(format!(
            "cannot open the database {}: {e}",
            redact_url(&db_url)
        ))
    })?;
    let result = async {
        let store = Store::for_outbox(&outbox).await?;
        let hasher = PasswordHasherConfig::recommended()?;
        vipps_om_console::add_user(&store, &hasher, name, role, &password, replace).await
    }
    .await;
    outbox.close().await;
    let user = result.map_err(|e| match e {
        AddUserError::Store(vipps_om_console::StoreError::UserExists(_)) => Failure::usage(
            format!("{e}; give --replace to change its password and role"),
        ),
        e => Failure::usage(e.to_string()),
    })?;
    ctx.emit(
        |_| format!("Account {} added with role {}.\n", user.username, user.role),
        || serde_json::json!({"username": user.username, "role": user.role.as_str(), "replaced": replace}),
    );
    Ok(())
}

/// The database URL: the flag or variable, else the outbox's default
/// SQLite file in the user's data directory.
fn database_url(given: Option<&str>) -> Result<String, Failure> {
    // One reading of database URLs for every command (any spelling
    // `Outbox::connect` accepts; the default file in the data directory).
    super::outbox::database_url(given)
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

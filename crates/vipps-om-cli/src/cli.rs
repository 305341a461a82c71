//! The command line: every subcommand, flag and its help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use vipps_om::PaymentType;

/// Vipps MobilePay Order Management: attach and read order details,
/// categories and images, check a go-live, and run a local simulator.
///
/// Exit codes: 0 ok, 1 the API refused the request, 2 usage, configuration
/// or local validation, 3 network/timeout/rate limit/5xx after retries,
/// 4 authentication or access (401/403).
#[derive(Debug, Parser)]
#[command(
    name = "vipps-om",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub(crate) struct Cli {
    /// Print results and errors as JSON (stable shapes, see the README).
    #[arg(long, global = true)]
    pub(crate) json: bool,

    /// More logging on stderr: -v one line per API call (endpoint, order
    /// id, status, attempt, latency), -vv this tool's debug level, -vvv
    /// everything. Secrets are never logged.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub(crate) verbose: u8,

    // Connection flags given before the subcommand (`vipps-om --base-url
    // URL order get ID`), as earlier versions had them: still read, no
    // longer shown in the help.
    #[command(flatten)]
    pub(crate) leading: LeadingConnection,

    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Defines a struct of the connection flags. `global` says whether they
/// reach every subcommand below the one that flattens the struct (for
/// command groups whose subcommands all call the API); the help of
/// commands that do not call the API never shows them.
macro_rules! connection_args {
    ($(#[$meta:meta])* $name:ident, global = $global:literal) => {
        $(#[$meta])*
        #[derive(Debug, Args, Clone, Default)]
        pub(crate) struct $name {
            /// Profile in the config file (default: its `default_profile`).
            #[arg(long, global = $global, env = "VIPPS_OM_PROFILE")]
            pub(crate) profile: Option<String>,

            /// `production`, `test`, or a base URL such as http://127.0.0.1:8080.
            #[arg(long, global = $global, value_name = "URL")]
            pub(crate) base_url: Option<String>,

            /// Client id of the sales unit.
            #[arg(long, global = $global)]
            pub(crate) client_id: Option<String>,

            /// Client secret (prefer VIPPS_CLIENT_SECRET or a profile: flags show up in `ps`).
            #[arg(long, global = $global, hide = true)]
            pub(crate) client_secret: Option<String>,

            /// Subscription key (prefer VIPPS_SUBSCRIPTION_KEY or a profile).
            #[arg(long, global = $global, hide = true)]
            pub(crate) subscription_key: Option<String>,

            /// Merchant-Serial-Number of the sales unit (required with partner
            /// keys and with --keyring: the merchant to act for).
            #[arg(long = "msn", global = $global, value_name = "MSN")]
            pub(crate) merchant_serial_number: Option<String>,

            /// A keyring of merchants' own keys (TOML: [[merchant]] msn,
            /// client_id, client_secret_env|_file, subscription_key_env|_file);
            /// --msn picks the merchant.
            #[arg(long = "keyring", global = $global, value_name = "FILE")]
            pub(crate) keyring: Option<std::path::PathBuf>,
        }
    };
}

connection_args!(
    /// Where to connect and as whom, for a command that calls the API.
    /// Flags win over `VIPPS_*` environment variables, which win over the
    /// profile in the config file.
    Connection,
    global = false
);

connection_args!(
    /// [`Connection`] for a command group whose subcommands all call the
    /// API: the flags may follow any of its subcommands.
    GroupConnection,
    global = true
);

impl From<GroupConnection> for Connection {
    fn from(c: GroupConnection) -> Self {
        Connection {
            profile: c.profile,
            base_url: c.base_url,
            client_id: c.client_id,
            client_secret: c.client_secret,
            subscription_key: c.subscription_key,
            merchant_serial_number: c.merchant_serial_number,
            keyring: c.keyring,
        }
    }
}

impl Connection {
    /// Each flag given here, else the one given before the subcommand.
    pub(crate) fn or_leading(self, leading: LeadingConnection) -> Connection {
        Connection {
            profile: self.profile.or(leading.profile),
            base_url: self.base_url.or(leading.base_url),
            client_id: self.client_id.or(leading.client_id),
            client_secret: self.client_secret.or(leading.client_secret),
            subscription_key: self.subscription_key.or(leading.subscription_key),
            merchant_serial_number: self
                .merchant_serial_number
                .or(leading.merchant_serial_number),
            keyring: self.keyring.or(leading.keyring),
        }
    }
}

/// The connection flags before the subcommand, hidden from the help (ids
/// of their own, so they never collide with a subcommand's flags).
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct LeadingConnection {
    #[arg(long = "profile", id = "leading_profile", hide = true)]
    pub(crate) profile: Option<String>,
    #[arg(long = "base-url", id = "leading_base_url", hide = true)]
    pub(crate) base_url: Option<String>,
    #[arg(long = "client-id", id = "leading_client_id", hide = true)]
    pub(crate) client_id: Option<String>,
    #[arg(long = "client-secret", id = "leading_client_secret", hide = true)]
    pub(crate) client_secret: Option<String>,
    #[arg(
        long = "subscription-key",
        id = "leading_subscription_key",
        hide = true
    )]
    pub(crate) subscription_key: Option<String>,
    #[arg(long = "msn", id = "leading_msn", hide = true)]
    pub(crate) merchant_serial_number: Option<String>,
    #[arg(long = "keyring", id = "leading_keyring", hide = true)]
    pub(crate) keyring: Option<std::path::PathBuf>,
}

/// The payment API that created the payment.
#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub(crate) enum PaymentTypeArg {
    /// eCom or ePayment payment.
    #[default]
    Ecom,
    /// Recurring charge.
    Recurring,
}

impl From<PaymentTypeArg> for PaymentType {
    fn from(value: PaymentTypeArg) -> Self {
        match value {
            PaymentTypeArg::Ecom => PaymentType::Ecom,
            PaymentTypeArg::Recurring => PaymentType::Recurring,
        }
    }
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the whole merchant flow on an embedded simulator (no credentials, no network).
    Demo,
    /// Read orders.
    Order(OrderArgs),
    /// Send or check order details (receipts).
    #[command(subcommand)]
    Receipt(ReceiptCommand),
    /// Set or manage the category link button; check a link as the customer's phone opens it.
    Category(CategoryArgs),
    /// Check or upload images.
    Image(ImageArgs),
    /// Fetch an access token and show when it expires.
    Token {
        /// Also print the token itself.
        #[arg(long)]
        show_secret: bool,
        #[command(flatten)]
        connection: Connection,
    },
    /// Check a configuration before going live: a pass/fail list with what to do.
    Doctor {
        #[command(flatten)]
        connection: Connection,
    },
    /// Durable delivery: queue order details and deliver them with retries (SQLite or PostgreSQL).
    Outbox(OutboxArgs),
    /// The support console: a web page where support staff see and fix order details.
    Console(crate::commands::console::ConsoleArgs),
    /// Run the local simulator.
    Sim(crate::commands::sim::SimArgs),
    /// Grade an integration against the merchant's checklist from what a running simulator saw.
    Checklist(crate::commands::checklist::ChecklistArgs),
    /// Print shell completions.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

impl Command {
    /// The connection flags of a command that calls the API; `None` for
    /// the others (`demo`, `sim`, `receipt validate`, `completions`).
    pub(crate) fn connection(&self) -> Option<Connection> {
        match self {
            Command::Order(args) => Some(args.connection.clone().into()),
            Command::Receipt(ReceiptCommand::Add(args)) => Some(args.connection.clone()),
            Command::Category(args) => Some(args.connection.clone().into()),
            Command::Image(args) => Some(args.connection.clone().into()),
            Command::Token { connection, .. } | Command::Doctor { connection } => {
                Some(connection.clone())
            }
            Command::Outbox(args) => Some(args.connection.clone().into()),
            Command::Console(args) => Some(args.connection.clone()),
            Command::Receipt(ReceiptCommand::Validate { .. })
            | Command::Demo
            | Command::Sim(_)
            | Command::Checklist(_)
            | Command::Completions { .. } => None,
        }
    }
}

/// `order` arguments.
#[derive(Debug, Args)]
pub(crate) struct OrderArgs {
    #[command(flatten)]
    pub(crate) connection: GroupConnection,
    #[command(subcommand)]
    pub(crate) command: OrderCommand,
}

/// `category` arguments.
#[derive(Debug, Args)]
pub(crate) struct CategoryArgs {
    #[command(flatten)]
    pub(crate) connection: GroupConnection,
    #[command(subcommand)]
    pub(crate) command: CategoryCommand,
}

/// `image` arguments.
#[derive(Debug, Args)]
pub(crate) struct ImageArgs {
    #[command(flatten)]
    pub(crate) connection: GroupConnection,
    #[command(subcommand)]
    pub(crate) command: ImageCommand,
}

/// `order` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum OrderCommand {
    /// Show an order as the customer sees it in the app.
    Get {
        /// The orderId (eCom/Recurring) or reference (ePayment).
        order_id: String,
        /// Which payment API created the payment.
        #[arg(long, value_enum, default_value_t)]
        payment_type: PaymentTypeArg,
    },
}

/// `receipt` subcommands.
// Parsed once per run: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub(crate) enum ReceiptCommand {
    /// Send order details for one payment (`--file`), or many (`--bulk`).
    #[command(
        after_help = "Examples (in the repository's examples/ folder):\n  vipps-om receipt add order-1001 --file examples/receipt.json\n  vipps-om receipt add --bulk examples/receipts.jsonl"
    )]
    Add(ReceiptAddArgs),
    /// Check a receipt file offline; lists every problem with its field path.
    #[command(
        after_help = "Examples (in the repository's examples/ folder):\n  vipps-om receipt validate --file examples/receipt.json          # a valid shop order\n  vipps-om receipt validate --file examples/receipt-invalid.json  # the common mistakes, all reported"
    )]
    Validate {
        /// The receipt JSON, or `-` for stdin.
        #[arg(long, short)]
        file: PathBuf,
    },
}

/// `receipt add` arguments.
#[derive(Debug, Args)]
pub(crate) struct ReceiptAddArgs {
    /// The orderId or reference of the payment (not with --bulk).
    #[arg(required_unless_present = "bulk", conflicts_with = "bulk")]
    pub(crate) order_id: Option<String>,
    /// The receipt JSON, or `-` for stdin.
    #[arg(long, short, required_unless_present = "bulk", conflicts_with = "bulk")]
    pub(crate) file: Option<PathBuf>,
    /// Which payment API created the payment.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) payment_type: PaymentTypeArg,
    /// JSON Lines: one `{"orderId": .., "paymentType": .., "receipt": {..}}` per line.
    #[arg(long, value_name = "FILE.jsonl")]
    pub(crate) bulk: Option<PathBuf>,
    /// Receipts sent at the same time with --bulk.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub(crate) concurrency: u16,
    /// Where --bulk writes the lines that failed, with reasons (default: FILE.failed.jsonl
    /// beside FILE; given to --bulk again, that file is replaced by what still fails).
    #[arg(long, value_name = "FILE")]
    pub(crate) failed_out: Option<PathBuf>,
    /// Send without local validation (the API still validates).
    #[arg(long)]
    pub(crate) no_validate: bool,
    #[command(flatten)]
    pub(crate) connection: Connection,
}

/// `category` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum CategoryCommand {
    /// Set the link button of a payment (v2; replaces the previous one).
    #[command(
        after_help = "Example (the values of examples/category.json; upload its image first):\n  vipps-om image upload examples/logo.png --id example-logo\n  vipps-om category set order-1001 --category RECEIPT --url https://shop.example/orders/1001 --image-id example-logo"
    )]
    Set {
        /// The orderId or reference.
        order_id: String,
        /// GENERAL, RECEIPT, ORDER_CONFIRMATION, DELIVERY, TICKET or BOOKING
        /// (`--type` is accepted too).
        #[arg(long, alias = "type", value_name = "CATEGORY")]
        category: String,
        /// Where the button leads (https).
        #[arg(long)]
        url: String,
        /// An uploaded image to show with it.
        #[arg(long)]
        image_id: Option<String>,
        /// Which payment API created the payment.
        #[arg(long, value_enum, default_value_t)]
        payment_type: PaymentTypeArg,
    },
    /// Add a category (v3).
    Add {
        /// The orderId or reference.
        order_id: String,
        /// GENERAL, RECEIPT, ORDER_CONFIRMATION, DELIVERY, TICKET or BOOKING
        /// (`--type` is accepted too).
        #[arg(long = "category", alias = "type", value_name = "CATEGORY")]
        category_type: String,
        /// Where the button leads (https).
        #[arg(long)]
        url: String,
        /// An uploaded image to show with it.
        #[arg(long)]
        image_id: Option<String>,
        /// Which payment API created the payment.
        #[arg(long, value_enum, default_value_t)]
        payment_type: PaymentTypeArg,
    },
    /// List the categories of an order (v3).
    List {
        /// The orderId or reference.
        order_id: String,
    },
    /// Show one category (v3).
    Get {
        /// The category id (a UUID).
        category_id: String,
    },
    /// Delete a category (v3).
    Delete {
        /// The category id (a UUID).
        category_id: String,
    },
    /// Open a link as the customer's phone would (no cookies, not signed in) and
    /// report sign-in pages, 401/403, errors, plain http and slow answers.
    Check(CategoryCheckArgs),
}

/// `category check` arguments.
#[derive(Debug, Args)]
pub(crate) struct CategoryCheckArgs {
    /// The link to check, e.g. https://shop.example/orders/1001.
    pub(crate) url: String,
    /// Warn when the first byte of the page (redirects included) takes longer than this.
    // At most the whole fetch's timeout (`check::FETCH_TIMEOUT`, 15 s).
    #[arg(long, value_name = "MS", default_value_t = crate::commands::check::DEFAULT_SLOW_AFTER_MS,
          value_parser = clap::value_parser!(u64).range(1..=15_000))]
    pub(crate) slow_after_ms: u64,
    /// Plain http is a warning instead of a failure (a shop's test server; production links
    /// must be https).
    #[arg(long)]
    pub(crate) allow_http: bool,
}

/// `image` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum ImageCommand {
    /// Upload a PNG or JPEG (checked locally first).
    #[command(after_help = "Example: vipps-om image upload examples/logo.png --id example-logo")]
    Upload {
        /// The image file.
        file: PathBuf,
        /// The image id (default: derived from the content, so re-running
        /// is safe); `--image-id` is accepted too, as categories name it.
        #[arg(long, alias = "image-id")]
        id: Option<String>,
    },
    /// Check an image file against the API's rules (PNG/JPEG, at least 167 px high,
    /// at most 2 MB, square recommended) without uploading it.
    Check {
        /// The image file, or `-` for stdin.
        file: PathBuf,
    },
}

/// `outbox` arguments.
#[derive(Debug, Args)]
pub(crate) struct OutboxArgs {
    /// The outbox database: sqlite://PATH?mode=rwc, postgres://USER:PASSWORD@HOST/DB or
    /// mysql://USER:PASSWORD@HOST/DB (MySQL 8, MariaDB 10.6+)
    /// (default: outbox.db in the user's data directory, e.g. ~/.local/share/vipps-om).
    #[arg(
        long,
        global = true,
        env = "VIPPS_OM_DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub(crate) database_url: Option<String>,

    #[command(flatten)]
    pub(crate) connection: GroupConnection,

    #[command(subcommand)]
    pub(crate) command: OutboxCommand,
}

/// `outbox` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum OutboxCommand {
    /// Queue a receipt, category or image (`--file`), or many receipts (`--bulk`); returns at once.
    Enqueue(OutboxEnqueueArgs),
    /// Deliver queued jobs of this merchant until Ctrl-C/SIGTERM (in-flight jobs finish or are released).
    Run(OutboxRunArgs),
    /// Queue numbers; with ORDER_ID every job of that order; with --job one job and its request.
    Status {
        /// The orderId whose jobs to show.
        order_id: Option<String>,
        /// Show one job with its request body.
        #[arg(long, value_name = "JOB_ID", conflicts_with = "order_id")]
        job: Option<i64>,
    },
    /// Jobs that failed for good, with the API's reasons and every rejected field.
    Failed {
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Send failed jobs again, after fixing them.
    Retry(OutboxRetryArgs),
    /// A drop-in gateway: the Order Management paths, answered once the job is committed to the outbox.
    Serve(crate::commands::outbox::serve::OutboxServeArgs),
    /// Print the outbox's DDL for a database (its migrations, in order), e.g. to review the
    /// table that plain-SQL enqueueing writes to (the enqueue contract).
    Schema {
        /// The database whose dialect to print.
        #[arg(long, value_enum)]
        backend: SchemaBackendArg,
    },
}

/// A database dialect, for `outbox schema`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum SchemaBackendArg {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL 8 and MariaDB 10.6+.
    Mysql,
}

/// What an outbox job delivers.
#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub(crate) enum JobKindArg {
    /// Order details (`POST /v2/{paymentType}/receipts/{orderId}`).
    #[default]
    Receipt,
    /// The v2 category link button (`PUT /v2/{paymentType}/categories/{orderId}`).
    Category,
    /// A v3 category (`POST /v3/categories`).
    CategoryV3,
    /// An image: a PNG/JPEG file (id from its content) or the upload JSON.
    Image,
}

/// `outbox enqueue` arguments.
#[derive(Debug, Args)]
pub(crate) struct OutboxEnqueueArgs {
    /// The request JSON (or a PNG/JPEG for --kind image), or `-` for stdin.
    #[arg(
        long,
        short,
        required_unless_present = "bulk",
        conflicts_with = "bulk",
        requires = "order_id"
    )]
    pub(crate) file: Option<PathBuf>,
    /// The orderId the job belongs to (jobs of one order are delivered in order).
    #[arg(long, conflicts_with = "bulk")]
    pub(crate) order_id: Option<String>,
    /// Which payment API created the payment.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) payment_type: PaymentTypeArg,
    /// What the file holds.
    #[arg(long, value_enum, default_value_t)]
    pub(crate) kind: JobKindArg,
    /// JSON Lines of receipts, as for `receipt add --bulk`; valid lines are queued in one transaction.
    #[arg(long, value_name = "FILE.jsonl")]
    pub(crate) bulk: Option<PathBuf>,
    /// Queue without local validation (the worker still validates before sending).
    #[arg(long)]
    pub(crate) no_validate: bool,
}

/// `outbox run` arguments.
#[derive(Debug, Args)]
pub(crate) struct OutboxRunArgs {
    /// Deliveries at once in this process (with SQLite, run one process per database).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub(crate) workers: u16,
    /// Deliveries of one merchant at once (default 4; a run for one merchant: --workers).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub(crate) per_merchant_concurrency: Option<u16>,
    /// Serve Prometheus metrics at http://ADDR/metrics, with /healthz and /readyz.
    #[arg(long, value_name = "ADDR")]
    pub(crate) metrics_listen: Option<std::net::SocketAddr>,
    /// Stop when nothing of this merchant is left to deliver (exit 1 if some jobs failed).
    #[arg(long)]
    pub(crate) drain: bool,
    /// Lease on a claimed job: a crashed worker's jobs are taken over after this long (at most 3600).
    #[arg(long, default_value_t = 30, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub(crate) lease_secs: u64,
    /// On shutdown, how long deliveries in flight may take before their jobs are released.
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    pub(crate) grace_secs: u64,
    /// How often to look for due jobs when idle (PostgreSQL wakes workers at once on enqueue; SQLite in another process waits for this).
    #[arg(long, default_value_t = 200, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) poll_ms: u64,
    /// Mark a job failed after this many transient failures (default: keep trying).
    #[arg(long, value_name = "N")]
    pub(crate) max_attempts: Option<u32>,
    /// Stop (exit 3) when the database has failed every claim for this long.
    #[arg(long, default_value_t = 300, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) max_db_outage_secs: u64,
    /// Webhooks for the shop.
    #[command(flatten)]
    pub(crate) webhook: crate::commands::outbox::webhook::WebhookArgs,
}

/// `outbox retry` arguments.
#[derive(Debug, Args)]
pub(crate) struct OutboxRetryArgs {
    /// The job to send again.
    #[arg(required_unless_present = "all_failed", conflicts_with = "all_failed")]
    pub(crate) job_id: Option<i64>,
    /// Send every failed job again.
    #[arg(long)]
    pub(crate) all_failed: bool,
    /// Replace the job's request with this JSON first (checked like `enqueue`).
    #[arg(long, short, requires = "job_id")]
    pub(crate) file: Option<PathBuf>,
}

//! `vipps-om console --demo`: the console on the embedded simulator, with
//! a temporary SQLite database, an outbox worker, sample orders (one with
//! a failed delivery to fix) and two accounts with random passwords.

use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use vipps_om::builder::{LineBuilder, ReceiptBuilder};
use vipps_om::{
    Amount, BarcodeFormat, Category, CategoryType, Currency, Image, ImageId, OrderId, PaymentType,
    TaxRate,
};
use vipps_om_outbox::{Backoff, NewJob, Outbox, Worker, WorkerConfig};
use vipps_om_sim::RunningSim;

use crate::auth::random_password;
use crate::{Console, ConsoleConfig, PasswordHasherConfig, Role};

/// An account made for the demo.
#[derive(Clone)]
pub struct DemoAccount {
    /// Login name.
    pub username: String,
    /// Its role.
    pub role: Role,
    /// Its random password (printed once at start-up).
    pub password: String,
}

impl std::fmt::Debug for DemoAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoAccount")
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// A sample order of the demo.
#[derive(Debug, Clone)]
pub struct DemoOrder {
    /// Its id.
    pub order_id: String,
    /// `ecom` or `recurring`.
    pub payment_type: &'static str,
    /// What it shows.
    pub about: &'static str,
}

/// Why the demo could not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// Something of the demo failed to start.
    #[error("the demo could not start: {0}")]
    Start(String),
}

fn start<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> DemoError + '_ {
    move |e| DemoError::Start(format!("{what}: {e}"))
}

/// A running demo: keep it alive while the console serves.
pub struct Demo {
    /// The console (serve its router).
    pub console: Console,
    /// The simulator it talks to.
    pub sim: RunningSim,
    /// The accounts, with their passwords.
    pub accounts: Vec<DemoAccount>,
    /// The sample orders.
    pub orders: Vec<DemoOrder>,
    worker: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
    _dir: tempfile::TempDir,
}

impl std::fmt::Debug for Demo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Demo")
            .field("sim", &self.sim.base_url())
            .field("accounts", &self.accounts)
            .field("orders", &self.orders)
            .finish_non_exhaustive()
    }
}

/// A PNG header: what the API's image check reads (type and size).
pub fn demo_png(width: u32, height: u32) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend_from_slice(&13u32.to_be_bytes());
    v.extend_from_slice(b"IHDR");
    v.extend_from_slice(&width.to_be_bytes());
    v.extend_from_slice(&height.to_be_bytes());
    v.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    v
}

/// The first sample order's category image: a real 400×400 PNG (a
/// made-up logo), so the order page shows a picture.
pub const DEMO_LOGO: &[u8] = include_bytes!("../static/demo-logo.png");

/// The image the third sample order's category names but nobody uploaded.
pub const MISSING_IMAGE_ID: &str = "shop-logo";

fn worker_config() -> WorkerConfig {
    WorkerConfig::default()
        .poll_interval(Duration::from_millis(200))
        .backoff(Backoff {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(5),
        })
}

impl Demo {
    /// Starts the simulator, a temporary database, an outbox worker and a
    /// console, and loads the sample orders and accounts.
    pub async fn start(hasher: PasswordHasherConfig) -> Result<Demo, DemoError> {
        let sim = vipps_om_sim::spawn_default()
            .await
            .map_err(start("the simulator"))?;
        let client = sim.demo_client().map_err(start("the demo client"))?;
        let dir = tempfile::tempdir().map_err(start("a temporary directory"))?;
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("console.db").display()
        );
        let outbox = Outbox::connect(&url).await.map_err(start("the database"))?;
        let msn = client.merchant_serial_number().clone();
        let orders = seed(&outbox, &msn).await?;

        let (stop, stopped) = oneshot::channel::<()>();
        let worker = Worker::new(outbox.clone(), client.clone()).with_config(worker_config());
        let handle = tokio::spawn(async move {
            if let Err(e) = worker
                .run(async {
                    let _ = stopped.await;
                })
                .await
            {
                tracing::error!(error = %e, "the demo's outbox worker stopped");
            }
        });
        // Wait until the worker has delivered (or failed) the samples.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let left = outbox
                .outstanding(msn.as_str())
                .await
                .map_err(start("the outbox"))?;
            if left == 0 {
                break;
            }
            if tokio::time::Instant::now() > deadline {
                return Err(DemoError::Start(format!(
                    "{left} sample deliveries did not finish within 20 s"
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        let console = Console::new(outbox, client, hasher, ConsoleConfig::default())
            .await
            .map_err(start("the console"))?;
        let mut accounts = Vec::new();
        for (username, role) in [
            ("admin", Role::Admin),
            ("editor", Role::Editor),
            ("viewer", Role::Viewer),
        ] {
            let password = random_password().map_err(start("a password"))?;
            console
                .add_user(username, role, &password, false)
                .await
                .map_err(start("an account"))?;
            accounts.push(DemoAccount {
                username: username.to_owned(),
                role,
                password,
            });
        }
        Ok(Demo {
            console,
            sim,
            accounts,
            orders,
            worker: Some((stop, handle)),
            _dir: dir,
        })
    }

    /// Stops the worker and the simulator.
    pub async fn shutdown(mut self) {
        if let Some((stop, handle)) = self.worker.take() {
            let _ = stop.send(());
            let _ = handle.await;
        }
        self.console.outbox().close().await;
        let _ = self.sim.shutdown().await;
    }
}

async fn seed(
    outbox: &Outbox,
    msn: &vipps_om::MerchantSerialNumber,
) -> Result<Vec<DemoOrder>, DemoError> {
    let ecom = PaymentType::Ecom;
    let id = |s: &str| OrderId::new(s).map_err(start("an order id"));
    let image_id = |s: &str| ImageId::new(s).map_err(start("an image id"));
    let build = |b: ReceiptBuilder| {
        b.build()
            .map_err(|report| DemoError::Start(format!("a sample receipt: {report}")))
    };
    let job = |r: Result<NewJob, vipps_om_outbox::OutboxError>| r.map_err(start("a sample job"));

    let first = id("demo-1001")?;
    let logo = image_id("demo-logo")?;
    let receipt = build(
        ReceiptBuilder::new(Currency::Nok)
            .line(
                LineBuilder::new("sku-socks", "Wool socks")
                    .unit_price(Amount::minor(14_900))
                    .quantity("2")
                    .tax_rate(TaxRate::from_percent(25))
                    .product_url("https://shop.example/p/wool-socks"),
            )
            .line(
                LineBuilder::new("sku-coffee", "Coffee beans 1 kg")
                    .unit_price(Amount::minor(34_900))
                    .tax_rate(TaxRate::from_percent(15))
                    .discount(Amount::minor(5_000)),
            )
            .line(
                LineBuilder::new("sku-cap", "Knitted cap")
                    .unit_price(Amount::minor(19_900))
                    .tax_rate(TaxRate::from_percent(25))
                    .returned(),
            )
            .shipping(
                "Home delivery",
                Amount::minor(9_900),
                TaxRate::from_percent(25),
            )
            .receipt_number("R-1001")
            .barcode(BarcodeFormat::Ean13, "7038010055720"),
    )?;
    let jobs = vec![
        job(NewJob::image(
            msn,
            &ecom,
            &first,
            &Image::from_bytes(logo.clone(), DEMO_LOGO),
        ))?,
        job(NewJob::category(
            msn,
            &ecom,
            &first,
            &Category::new(
                CategoryType::Receipt,
                "https://shop.example/orders/demo-1001",
            )
            .with_image_id(logo),
        ))?,
        job(NewJob::receipt(msn, &ecom, &first, &receipt))?,
    ];

    let second = id("demo-1002")?;
    let subscription = build(
        ReceiptBuilder::new(Currency::Nok)
            .line(
                LineBuilder::new("plan-m", "Newspaper subscription, December")
                    .unit_price(Amount::minor(39_900))
                    .tax_rate(TaxRate::from_percent(0)),
            )
            .receipt_number("R-1002"),
    )?;
    let mut jobs = jobs;
    jobs.push(job(NewJob::receipt(
        msn,
        &PaymentType::Recurring,
        &second,
        &subscription,
    ))?);

    let third = id("demo-1003")?;
    jobs.push(job(NewJob::category(
        msn,
        &ecom,
        &third,
        &Category::new(
            CategoryType::Delivery,
            "https://shop.example/track/demo-1003",
        )
        .with_image_id(image_id(MISSING_IMAGE_ID)?),
    ))?);
    jobs.push(job(NewJob::receipt(
        msn,
        &ecom,
        &third,
        &build(
            ReceiptBuilder::new(Currency::Nok)
                .line(
                    LineBuilder::new("sku-boots", "Winter boots")
                        .unit_price(Amount::minor(129_900))
                        .tax_rate(TaxRate::from_percent(25)),
                )
                .receipt_number("R-1003"),
        )?,
    ))?);
    outbox
        .enqueue_many(&jobs)
        .await
        .map_err(start("the sample jobs"))?;
    Ok(vec![
        DemoOrder {
            order_id: "demo-1001".into(),
            payment_type: "ecom",
            about: "category with image, receipt with two tax rates, shipping, a return and a barcode",
        },
        DemoOrder {
            order_id: "demo-1002".into(),
            payment_type: "recurring",
            about: "a Recurring charge with a receipt",
        },
        DemoOrder {
            order_id: "demo-1003".into(),
            payment_type: "ecom",
            about: "failed delivery: its category names image \"shop-logo\", which was never uploaded; upload it, then retry",
        },
    ])
}

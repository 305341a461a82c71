//! `vipps-om category set|add|list|get|delete`: the link button (v2) and
//! the category list (v3).

use serde_json::json;
use vipps_om::{
    AddCategoryRequest, Category, CategoryId, CategoryType, CategoryV3, ImageId, PaymentType,
    Validate, ValidationReport,
};

use super::{Context, order_id};
use crate::cli::{CategoryCheckArgs, CategoryCommand, PaymentTypeArg};
use crate::commands::check::{self as checks, LinkOptions};
use crate::commands::receipt::warnings_text;
use crate::failure::{ExitCode, Failure};
use crate::style::{Style, clean};

/// Runs a `category` subcommand.
pub(crate) async fn run(ctx: &Context, command: &CategoryCommand) -> Result<(), Failure> {
    match command {
        CategoryCommand::Set {
            order_id: raw,
            category,
            url,
            image_id,
            payment_type,
        } => set(ctx, raw, category, url, image_id.as_deref(), *payment_type).await,
        CategoryCommand::Add {
            order_id: raw,
            category_type,
            url,
            image_id,
            payment_type,
        } => {
            let mut request = AddCategoryRequest::new(
                order_id(raw)?,
                PaymentType::from(*payment_type),
                category_type_arg(category_type)?,
                url.clone(),
            );
            request.image_id = image_id_arg(image_id.as_deref())?;
            let warnings = check("the category", &request)?;
            let id = ctx
                .client()?
                .categories()
                .without_validation()
                .add(&request)
                .await?;
            ctx.emit(
                |style| {
                    let mut out = format!(
                        "{} {} ({}) for order {}\n",
                        style.ok("✓ Category added:"),
                        clean(&id.to_string()),
                        clean(request.category_type.as_str()),
                        clean(request.order_id.as_str())
                    );
                    out.push_str(&warnings_text(&warnings, style));
                    out
                },
                || json!({"categoryId": id, "orderId": request.order_id, "warnings": warnings.problems()}),
            );
            Ok(())
        }
        CategoryCommand::List { order_id: raw } => {
            let order_id = order_id(raw)?;
            let categories = ctx.client()?.categories().list(&order_id).await?;
            ctx.emit(
                |style| {
                    if categories.is_empty() {
                        return format!("No v3 categories for order {order_id}\n");
                    }
                    categories.iter().map(|c| describe(c, style)).collect()
                },
                || json!({"orderId": order_id, "categories": categories}),
            );
            Ok(())
        }
        CategoryCommand::Get { category_id } => {
            let id = category_id_arg(category_id)?;
            let category = ctx.client()?.categories().get(&id).await?;
            ctx.emit(|style| describe(&category, style), || json!(category));
            Ok(())
        }
        CategoryCommand::Check(args) => check_link(ctx, args).await,
        CategoryCommand::Delete { category_id } => {
            let id = category_id_arg(category_id)?;
            ctx.client()?.categories().delete(&id).await?;
            ctx.emit(
                |style| format!("{} {id}\n", style.ok("✓ Category deleted:")),
                || json!({"categoryId": id, "deleted": true}),
            );
            Ok(())
        }
    }
}

async fn set(
    ctx: &Context,
    raw_order: &str,
    category: &str,
    url: &str,
    image_id: Option<&str>,
    payment_type: PaymentTypeArg,
) -> Result<(), Failure> {
    let order_id = order_id(raw_order)?;
    let payment_type = PaymentType::from(payment_type);
    let mut body = Category::new(category_type_arg(category)?, url);
    body.image_id = image_id_arg(image_id)?;
    let warnings = check("the category", &body)?;
    let id = ctx
        .client()?
        .categories()
        .without_validation()
        .set(&payment_type, &order_id, &body)
        .await?;
    ctx.emit(
        |style| {
            let mut out = format!(
                "{} {payment_type} order {order_id} now shows the button {} linking to {}\n",
                style.ok("✓ Category set:"),
                style.strong(&format!("[{}]", body.category.button_label())),
                clean(&body.order_details_url)
            );
            out.push_str(&warnings_text(&warnings, style));
            out
        },
        || json!({"orderId": order_id, "paymentType": payment_type, "category": body, "id": id, "warnings": warnings.problems()}),
    );
    Ok(())
}

/// Validates a request here, so its warnings are printed once with the
/// result (the library would log them); errors stop the command.
fn check(what: &str, request: &impl Validate) -> Result<ValidationReport, Failure> {
    let report = request.validate();
    if report.has_errors() {
        return Err(Failure::invalid(what, &report));
    }
    Ok(report)
}

fn describe(c: &CategoryV3, style: &Style) -> String {
    let image = c
        .image_id
        .as_ref()
        .map(|i| format!(", image {}", clean(i.as_str())))
        .unwrap_or_default();
    format!(
        "{}  {} [{}] {} order {} → {}{image}\n",
        clean(&c.category_id.to_string()),
        style.strong(&clean(c.category_type.as_str())),
        c.category_type.button_label(),
        clean(c.payment_type.as_str()),
        clean(c.order_id.as_str()),
        clean(&c.url)
    )
}

fn category_type_arg(value: &str) -> Result<CategoryType, Failure> {
    value
        .trim()
        .to_ascii_uppercase()
        .parse::<CategoryType>()
        .map_err(|e| Failure::usage(e.to_string()))
}

fn image_id_arg(value: Option<&str>) -> Result<Option<ImageId>, Failure> {
    value
        .map(|v| ImageId::new(v).map_err(|e| Failure::usage(e.to_string())))
        .transpose()
}

fn category_id_arg(value: &str) -> Result<CategoryId, Failure> {
    value
        .parse()
        .map_err(|e: vipps_om::IdError| Failure::usage(e.to_string()))
}

/// `category check URL`: opens the link as the customer's phone would and
/// prints a verdict per check (exit 0 when none failed, 1 when one did, 3
/// when nothing answered).
async fn check_link(ctx: &Context, args: &CategoryCheckArgs) -> Result<(), Failure> {
    let url = checks::parse_link(&args.url)?;
    let options = LinkOptions {
        slow_after: std::time::Duration::from_millis(args.slow_after_ms),
        allow_http: args.allow_http,
    };
    let report = checks::check_link(&url, options).await?;
    ctx.emit(
        |style| {
            let mut out = format!("Link {}\n", clean(&report.url));
            for hop in &report.hops {
                let next = hop
                    .location
                    .as_deref()
                    .map(|l| format!(" → {}", clean(l)))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "  {} {}{next} ({} ms)\n",
                    hop.status,
                    clean(&hop.url),
                    hop.elapsed_ms
                ));
            }
            out.push_str(&checks::render_checks(&report.checks, style));
            out
        },
        || {
            let mut value = json!(report);
            value["ok"] = json!(report.ok());
            value
        },
    );
    match report.exit_code() {
        ExitCode::Ok => Ok(()),
        code => Err(Failure {
            code,
            kind: "link_check",
            message:
                "the link will not show the order to a customer on a phone; see the checks above"
                    .into(),
            problems: Vec::new(),
            status: report.status,
        }),
    }
}

use proptest::prelude::*;

use super::*;
use crate::ids::ImageId;
use crate::image::fixtures;
use crate::models::PaymentSources;

fn line(total: i64, excl: i64, tax: i64) -> OrderLine {
    OrderLine {
        name: "socks".into(),
        id: "line_1".into(),
        total_amount: Amount::minor(total),
        total_amount_excluding_tax: Amount::minor(excl),
        total_tax_amount: Amount::minor(tax),
        tax_rate: Some(2500),
        tax_percentage: None,
        unit_info: None,
        discount: None,
        product_url: None,
        is_return: None,
        is_shipping: None,
    }
}

fn receipt(lines: Vec<OrderLine>) -> Receipt {
    Receipt {
        order_lines: lines,
        bottom_line: BottomLine::new(Currency::Nok),
    }
}

fn paths(report: &ValidationReport, severity: Severity) -> Vec<String> {
    report
        .problems()
        .iter()
        .filter(|p| p.severity == severity)
        .map(|p| p.path.clone())
        .collect()
}

#[test]
fn a_correct_receipt_has_no_problems() {
    let report = receipt(vec![line(1000, 800, 200)]).validate();
    assert!(report.is_empty(), "{report}");
}

#[test]
fn reports_every_problem_at_once_with_paths() {
    let mut bad = line(1000, 800, 100);
    bad.name = " ".into();
    bad.unit_info = Some(UnitInfo {
        unit_price: Some(Amount::minor(400)),
        quantity: "2,5".into(),
        quantity_unit: None,
    });
    let mut other = line(-5, -5, 0);
    other.tax_rate = Some(20_000);
    let report = receipt(vec![line(1000, 800, 200), bad, other]).validate();
    let errors = paths(&report, Severity::Error);
    for expected in [
        "orderLines[1].name",
        "orderLines[1].totalAmount",
        "orderLines[1].unitInfo.quantity",
        "orderLines[2].totalAmount",
        "orderLines[2].totalAmountExcludingTax",
        "orderLines[2].taxRate",
    ] {
        assert!(
            errors.iter().any(|p| p == expected),
            "missing {expected} in {report}"
        );
    }
}

#[test]
fn empty_receipt_is_an_error() {
    assert_eq!(
        paths(&receipt(vec![]).validate(), Severity::Error),
        vec!["orderLines"]
    );
}

#[test]
fn total_must_be_excluding_plus_tax() {
    let report = receipt(vec![line(1001, 800, 200)]).validate();
    let p = report.errors().next().unwrap();
    assert_eq!(p.path, "orderLines[0].totalAmount");
    assert!(p.message.contains("= 1000"), "{}", p.message);
}

#[test]
fn tax_rate_rules() {
    let mut both = line(1000, 800, 200);
    both.tax_percentage = Some(25);
    assert_eq!(
        paths(&receipt(vec![both]).validate(), Severity::Error),
        vec!["orderLines[0].taxPercentage"]
    );

    let mut neither = line(1000, 800, 200);
    neither.tax_rate = None;
    assert_eq!(
        paths(&receipt(vec![neither]).validate(), Severity::Error),
        vec!["orderLines[0].taxRate"]
    );

    let mut free_shipping = line(0, 0, 0);
    free_shipping.tax_rate = None;
    free_shipping.is_shipping = Some(true);
    let report = receipt(vec![free_shipping]).validate();
    assert!(!report.has_errors());
    assert_eq!(
        paths(&report, Severity::Warning),
        vec!["orderLines[0].taxRate"]
    );

    let mut deprecated = line(1000, 800, 200);
    deprecated.tax_rate = None;
    deprecated.tax_percentage = Some(25);
    let report = receipt(vec![deprecated]).validate();
    assert!(!report.has_errors(), "{report}");
    assert!(
        report
            .warnings()
            .next()
            .unwrap()
            .message
            .contains("taxRate 2500")
    );

    let mut pct_out = line(1000, 800, 200);
    pct_out.tax_rate = None;
    pct_out.tax_percentage = Some(101);
    assert_eq!(
        paths(&receipt(vec![pct_out]).validate(), Severity::Error),
        vec!["orderLines[0].taxPercentage"]
    );
}

#[test]
fn tax_must_match_rate_within_rounding() {
    // 25 % of 799 = 199.75 → 200 is fine, 198 is off by 1.75.
    assert!(!receipt(vec![line(999, 799, 200)]).validate().has_errors());
    let report = receipt(vec![line(997, 799, 198)]).validate();
    assert_eq!(
        paths(&report, Severity::Error),
        vec!["orderLines[0].totalTaxAmount"]
    );
    // Per-item rounding: 3 items may drift up to 3 minor units.
    let mut per_item = line(3003, 2400, 603);
    per_item.unit_info = Some(UnitInfo {
        unit_price: Some(Amount::minor(1001)),
        quantity: "3".into(),
        quantity_unit: None,
    });
    assert!(!receipt(vec![per_item]).validate().has_errors());
}

#[test]
fn negative_amounts_point_to_is_return() {
    let mut ret = line(-1000, -800, -200);
    ret.is_return = Some(true);
    let report = receipt(vec![ret]).validate();
    assert!(
        report.errors().all(|p| p.message.contains("isReturn")),
        "{report}"
    );
    let mut ok_return = line(1000, 800, 200);
    ok_return.is_return = Some(true);
    let report = receipt(vec![line(2000, 1600, 400), ok_return]).validate();
    assert!(report.is_empty(), "{report}");
}

#[test]
fn spec_example_receipt_is_valid() {
    // The spec's ReceiptExample, rebuilt in Rust (taxPercentage → warnings only).
    let json = serde_json::json!({
        "orderLines": [
            {"name":"socks","id":"line_item_1","totalAmount":1000,"totalAmountExcludingTax":800,"totalTaxAmount":200,
             "taxPercentage":25,"unitInfo":{"unitPrice":400,"quantity":"2.5","quantityUnit":"KG"},"discount":0,
             "productUrl":"https://example.com/store/socks","isReturn":false,"isShipping":false},
            {"name":"flip-flops","id":"line_item_2","totalAmount":5000,"totalAmountExcludingTax":4000,"totalTaxAmount":1000,
             "taxPercentage":25,"unitInfo":{"unitPrice":2500,"quantity":"3","quantityUnit":"PCS"},"discount":2500,
             "productUrl":"https://example.com/store/flipflops","isReturn":false,"isShipping":false}
        ],
        "bottomLine": {"currency":"NOK","tipAmount":0,"posId":"pos_122",
            "barcode":{"format":"CODE 39","data":"SC0527013501 "},"receiptNumber":"0527013501"}
    });
    let r: Receipt = serde_json::from_value(json).unwrap();
    let report = r.validate();
    assert!(!report.has_errors(), "{report}");
}

#[test]
fn unit_price_mismatch_is_only_a_warning() {
    let mut l = line(1000, 800, 200);
    l.unit_info = Some(UnitInfo {
        unit_price: Some(Amount::minor(400)),
        quantity: "2".into(),
        quantity_unit: Some(QuantityUnit::Pcs),
    });
    let report = receipt(vec![l]).validate();
    assert!(!report.has_errors());
    assert_eq!(
        paths(&report, Severity::Warning),
        vec!["orderLines[0].unitInfo.unitPrice"]
    );
}

#[test]
fn unknown_enums_and_urls() {
    let mut l = line(1000, 800, 200);
    l.unit_info = Some(UnitInfo {
        unit_price: None,
        quantity: "1".into(),
        quantity_unit: Some(QuantityUnit::Unknown("BOX".into())),
    });
    l.product_url = Some("/store/socks".into());
    let mut r = receipt(vec![l]);
    r.bottom_line.currency = Currency::Unknown("SEK".into());
    let report = r.validate();
    assert_eq!(
        paths(&report, Severity::Error),
        vec![
            "orderLines[0].unitInfo.quantityUnit",
            "orderLines[0].productUrl",
            "bottomLine.currency"
        ]
    );

    let mut report = ValidationReport::new();
    check_url("http://shop.example/o/1", "url", &mut report);
    assert_eq!(paths(&report, Severity::Warning), vec!["url"]);
}

#[test]
fn barcode_rules() {
    let check = |format: BarcodeFormat, data: &str| {
        let mut r = receipt(vec![line(1000, 800, 200)]);
        r.bottom_line.barcode = Some(Barcode {
            format,
            data: Some(data.into()),
        });
        let report = r.validate();
        (
            paths(&report, Severity::Error),
            paths(&report, Severity::Warning),
        )
    };
    assert_eq!(
        check(BarcodeFormat::Ean13, "4006381333931"),
        (vec![], vec![])
    );
    assert_eq!(
        check(BarcodeFormat::Ean13, "4006381333932").1,
        vec!["bottomLine.barcode.data"]
    );
    assert_eq!(
        check(BarcodeFormat::Ean13, "12AB").0,
        vec!["bottomLine.barcode.data"]
    );
    assert_eq!(
        check(BarcodeFormat::Code39, "SC0527013501 "),
        (vec![], vec![])
    );
    assert_eq!(
        check(BarcodeFormat::Code39, "lower").0,
        vec!["bottomLine.barcode.data"]
    );
    assert_eq!(check(BarcodeFormat::Code128, "Abc-123"), (vec![], vec![]));
    assert_eq!(
        check(BarcodeFormat::Code128, "ø").0,
        vec!["bottomLine.barcode.data"]
    );
    assert_eq!(
        check(BarcodeFormat::Unknown("QR".into()), "x").0,
        vec!["bottomLine.barcode.format"]
    );
    assert_eq!(
        check(BarcodeFormat::Code39, "").0,
        vec!["bottomLine.barcode.data"]
    );
}

#[test]
fn payment_sources_and_deprecated_bottom_line_fields() {
    let mut r = receipt(vec![line(1000, 800, 200)]);
    r.bottom_line.payment_sources = Some(PaymentSources {
        card: Some(Amount::minor(900)),
        cash: Some(Amount::minor(-1)),
        ..Default::default()
    });
    r.bottom_line.total_amount = Some(Amount::minor(1000));
    r.bottom_line.shipping_amount = Some(Amount::minor(0));
    r.bottom_line.terminal_id = Some("t1".into());
    let report = r.validate();
    assert_eq!(
        paths(&report, Severity::Error),
        vec!["bottomLine.paymentSources.cash"]
    );
    assert_eq!(
        paths(&report, Severity::Warning),
        vec![
            "bottomLine.paymentSources",
            "bottomLine.totalAmount",
            "bottomLine.shippingAmount",
            "bottomLine.terminalId"
        ]
    );
}

#[test]
fn receipt_must_match_the_payment_amount() {
    let mut r = receipt(vec![line(1000, 800, 200)]);
    r.bottom_line.tip_amount = Some(Amount::minor(500));
    assert!(r.check_against_payment(Amount::minor(1500)).is_empty());
    let report = r.check_against_payment(Amount::minor(1000));
    assert!(
        report.errors().next().unwrap().message.contains("15,00 kr"),
        "{report}"
    );
}

#[test]
fn categories_are_checked() {
    let c = Category {
        category: CategoryType::Unknown("RECEIPTS".into()),
        order_details_url: "".into(),
        image_id: None,
    };
    assert_eq!(
        paths(&c.validate(), Severity::Error),
        vec!["category", "orderDetailsUrl"]
    );
    let v3 = AddCategoryRequest {
        order_id: crate::ids::OrderId::new("o1").unwrap(),
        payment_type: PaymentType::Unknown("CARD".into()),
        category_type: CategoryType::Ticket,
        url: "https://example.com/t/1".into(),
        image_id: None,
    };
    assert_eq!(paths(&v3.validate(), Severity::Error), vec!["paymentType"]);
}

#[test]
fn images_are_checked_by_content() {
    let id = ImageId::new("img").unwrap();
    assert!(
        Image::from_bytes(id.clone(), &fixtures::png(200, 200))
            .validate()
            .is_empty()
    );
    assert!(
        Image::from_bytes(id.clone(), &fixtures::jpeg(400, 400))
            .validate()
            .is_empty()
    );

    let small = Image::from_bytes(id.clone(), &fixtures::png(300, 100)).validate();
    assert_eq!(paths(&small, Severity::Error), vec!["src"]);
    assert!(small.errors().next().unwrap().message.contains("167"));
    assert_eq!(paths(&small, Severity::Warning), vec!["src"]);

    let gif = Image::from_bytes(
        id.clone(),
        &[b"GIF89a\x10\x00\x10\x00".as_slice(), &[0; 32]].concat(),
    )
    .validate();
    assert!(gif.errors().next().unwrap().message.contains("GIF"));

    let mut big = fixtures::png(500, 500);
    big.resize(MAX_IMAGE_BYTES + 1, 0);
    assert!(
        Image::from_bytes(id.clone(), &big)
            .validate()
            .errors()
            .any(|p| p.message.contains("2 MB"))
    );

    let not_b64 = Image {
        image_id: id,
        src: "%%%".into(),
        encoding: ImageEncoding::Base64,
    };
    assert!(
        not_b64
            .validate()
            .errors()
            .next()
            .unwrap()
            .message
            .contains("base64")
    );
}

#[test]
fn quantity_format() {
    for ok in ["0", "2", "2.5", "0.822", "12345.1234", "1.12345678"] {
        assert!(Quantity::parse(ok).is_some(), "{ok}");
    }
    for bad in [
        "",
        "2,5",
        ".5",
        "5.",
        "-1",
        "1e3",
        "12345678901",
        "1.123456789",
        " 1",
    ] {
        assert!(Quantity::parse(bad).is_none(), "{bad}");
    }
    assert_eq!(
        Quantity::parse("2.5").unwrap().times(Amount::minor(400)),
        Some(Amount::minor(1000))
    );
    assert_eq!(
        Quantity::parse("0.822")
            .unwrap()
            .times(Amount::minor(15000)),
        Some(Amount::minor(12330))
    );
    assert_eq!(
        Quantity::parse("2").unwrap().times(Amount::minor(i64::MAX)),
        None,
        "beyond an amount is None, not a clamped number"
    );
    assert_eq!(Quantity::parse("2.5").unwrap().ceil_units(), 3);
}

#[test]
fn report_display_lists_every_problem() {
    let report = receipt(vec![line(1001, 800, 200)]).validate();
    let text = report.to_string();
    assert!(text.starts_with("1 error(s), 0 warning(s)"));
    assert!(text.contains("error: orderLines[0].totalAmount: "));
}

proptest! {
    /// Any line whose amounts are split by the documented rule validates.
    #[test]
    fn consistent_lines_always_validate(gross in 0i64..10_000_000_000, rate in 0u32..=10_000) {
        let excl = div_round_half_away(i128::from(gross) * 10_000, 10_000 + i128::from(rate));
        let excl = i64::try_from(excl).unwrap();
        let mut l = line(gross, excl, gross - excl);
        l.tax_rate = Some(i64::from(rate));
        let report = receipt(vec![l]).validate();
        prop_assert!(!report.has_errors(), "{}", report);
    }

    /// Quantities matching the spec's pattern parse; mangled ones never panic.
    #[test]
    fn quantity_parse_matches_the_spec_pattern(s in "[0-9]{1,5}(\\.[0-9]{1,4})?") {
        prop_assert!(Quantity::parse(&s).is_some());
    }

    #[test]
    fn quantity_parse_never_panics(s in "\\PC{0,12}") {
        let _ = Quantity::parse(&s);
    }
}

#[test]
fn deprecated_bottom_line_amounts_must_not_be_negative() {
    let mut r = receipt(vec![line(1000, 800, 200)]);
    r.bottom_line.total_tax = Some(Amount::minor(-1));
    r.bottom_line.shipping_info = Some(crate::models::ShippingInfo {
        amount: Some(Amount::minor(-5)),
        amount_excluding_tax: Some(Amount::minor(0)),
        tax_amount: Some(Amount::minor(0)),
        tax_percentage: Some(250),
    });
    let report = r.validate();
    assert_eq!(
        paths(&report, Severity::Error),
        vec![
            "bottomLine.totalTax",
            "bottomLine.shippingInfo.amount",
            "bottomLine.shippingInfo.taxPercentage"
        ]
    );
}

/// Amounts beyond what any receipt holds (issue 10): every sum that does
/// not fit is an error naming the field where the running sum stops
/// fitting; nothing wraps or saturates.
#[test]
fn sums_beyond_an_amount_are_refused_with_the_field_named() {
    let big = |is_return: bool| OrderLine {
        tax_rate: Some(0),
        is_return: is_return.then_some(true),
        ..line(i64::MAX, i64::MAX, 0)
    };
    // A purchase and a return of i64::MAX: the signed total would be a
    // small number, but the returns and items shown apart cannot be added
    // up with the rest, so the receipt is refused at the line that overflows.
    let r = receipt(vec![line(1000, 800, 200), big(false), big(true)]);
    let report = r.validate();
    assert_eq!(
        paths(&report, Severity::Error),
        [
            "orderLines[1].totalAmount",
            "orderLines[1].totalAmountExcludingTax"
        ]
    );
    let message = &report.errors().next().expect("an error").message;
    assert!(
        message.contains("the sum of the lines' totalAmount does not fit in an amount"),
        "{message}"
    );
    assert_eq!(r.total(), None);

    // The lines fit, the tip does not.
    let mut r = receipt(vec![big(false)]);
    r.bottom_line.tip_amount = Some(Amount::minor(1));
    assert_eq!(
        paths(&r.validate(), Severity::Error),
        ["bottomLine.tipAmount"]
    );
    assert_eq!(r.total(), Some(Amount::minor(i64::MAX)));
    assert_eq!(r.amount_paid(), None);
    assert_eq!(
        paths(
            &r.check_against_payment(Amount::minor(100)),
            Severity::Error
        ),
        ["orderLines"]
    );

    // Payment sources and discounts have their own sums.
    let mut r = receipt(vec![
        OrderLine {
            discount: Some(Amount::minor(i64::MAX)),
            ..line(1000, 800, 200)
        },
        OrderLine {
            discount: Some(Amount::minor(1)),
            ..line(1000, 800, 200)
        },
    ]);
    r.bottom_line.payment_sources = Some(PaymentSources {
        card: Some(Amount::minor(i64::MAX)),
        cash: Some(Amount::minor(1)),
        ..PaymentSources::default()
    });
    assert_eq!(
        paths(&r.validate(), Severity::Error),
        ["orderLines[1].discount", "bottomLine.paymentSources.cash"]
    );

    // One line whose excl + tax does not fit, and a unit price × quantity
    // that does not fit.
    let mut r = receipt(vec![line(i64::MAX, i64::MAX, 1)]);
    r.order_lines[0].tax_rate = Some(0);
    r.order_lines[0].unit_info = Some(UnitInfo {
        unit_price: Some(Amount::minor(i64::MAX)),
        quantity: "3".into(),
        quantity_unit: None,
    });
    let report = r.validate();
    let errors = paths(&report, Severity::Error);
    assert!(
        errors.contains(&"orderLines[0].totalAmount".to_owned()),
        "{report}"
    );
    assert!(
        errors.contains(&"orderLines[0].unitInfo.unitPrice".to_owned()),
        "{report}"
    );
}

//! Money as integer minor units (øre, cents) and its display to people.
//! Floats never touch an amount anywhere in this crate.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::enums::Currency;

/// An amount in minor units: `Amount::minor(12_345)` is 123.45 NOK/DKK/EUR
/// ([`Amount::minor_units`] reads it back).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Amount(i64);

impl Amount {
    /// Zero.
    pub const ZERO: Amount = Amount(0);

    /// An amount from minor units.
    pub const fn minor(units: i64) -> Self {
        Amount(units)
    }

    /// An amount from whole major units (`Amount::major(10)` is 10.00).
    ///
    /// # Panics
    /// When `units × 100` does not fit (more than 92 233 720 368 547 758
    /// major units): meant for amounts written in code, never for input.
    pub const fn major(units: i64) -> Self {
        match units.checked_mul(100) {
            Some(minor) => Amount(minor),
            None => panic!("Amount::major: the amount does not fit in minor units"),
        }
    }

    /// The amount in minor units.
    pub const fn minor_units(self) -> i64 {
        self.0
    }

    /// Whether the amount is below zero.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// The amount as a person reads it in the given currency:
    /// `1 234,50 kr` (NOK, DKK) or `1 234,50 €` (EUR); unknown currencies
    /// get their code after the number.
    pub fn display(self, currency: &Currency) -> String {
        let number = self.display_number();
        match currency {
            Currency::Nok | Currency::Dkk => format!("{number} kr"),
            Currency::Eur => format!("{number} €"),
            other => format!("{number} {}", other.as_str()),
        }
    }

    /// The number part with Norwegian grouping: `-1 234 567,08`.
    pub fn display_number(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let major = (abs / 100).to_string();
        let minor = abs % 100;
        let mut grouped = String::with_capacity(major.len() + major.len() / 3);
        for (i, ch) in major.chars().enumerate() {
            if i > 0 && (major.len() - i).is_multiple_of(3) {
                grouped.push(' ');
            }
            grouped.push(ch);
        }
        format!("{sign}{grouped},{minor:02}")
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_number())
    }
}

impl Amount {
    /// `self + other`, or `None` when the sum does not fit in an amount.
    /// Money is never added with a silently wrapping or saturating `+`.
    pub const fn checked_add(self, other: Amount) -> Option<Amount> {
        match self.0.checked_add(other.0) {
            Some(sum) => Some(Amount(sum)),
            None => None,
        }
    }

    /// `self - other`, or `None` when the difference does not fit.
    pub const fn checked_sub(self, other: Amount) -> Option<Amount> {
        match self.0.checked_sub(other.0) {
            Some(difference) => Some(Amount(difference)),
            None => None,
        }
    }

    /// `-self`, or `None` for the one amount whose negation does not fit
    /// (`i64::MIN`).
    pub const fn checked_neg(self) -> Option<Amount> {
        match self.0.checked_neg() {
            Some(negated) => Some(Amount(negated)),
            None => None,
        }
    }

    /// The sum of `amounts`, or `None` as soon as a partial sum does not fit.
    pub fn checked_sum(amounts: impl IntoIterator<Item = Amount>) -> Option<Amount> {
        amounts
            .into_iter()
            .try_fold(Amount::ZERO, Amount::checked_add)
    }
}

/// A sum of amounts shown to people (receipt totals, totals per tax rate):
/// the amount, or [`Total::Overflow`] when the amounts added up do not fit
/// in an `i64` of minor units. No real receipt comes near that
/// (92 233 720 368 547 758,07); when the API sends one anyway, the front
/// ends show [`Total::OVERFLOW_MARKER`] instead of a wrong number.
///
/// In JSON a total is a number, or `null` when it overflowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Total {
    /// The sum.
    Amount(Amount),
    /// The sum does not fit in an amount.
    Overflow,
}

impl Total {
    /// Zero.
    pub const ZERO: Total = Total::Amount(Amount::ZERO);

    /// What a person sees instead of a sum that does not fit.
    pub const OVERFLOW_MARKER: &'static str = "(too large to add up)";

    /// A sum computed with checked arithmetic: `None` is an overflow.
    pub const fn from_checked(sum: Option<Amount>) -> Total {
        match sum {
            Some(amount) => Total::Amount(amount),
            None => Total::Overflow,
        }
    }

    /// The sum of `amounts` (checked: [`Total::Overflow`] when a partial sum
    /// does not fit).
    pub fn of(amounts: impl IntoIterator<Item = Amount>) -> Total {
        Amount::checked_sum(amounts).map_or(Total::Overflow, Total::Amount)
    }

    /// This total plus `amount`; an overflow stays an overflow.
    #[must_use]
    pub fn plus(self, amount: Amount) -> Total {
        match self {
            Total::Amount(sum) => sum
                .checked_add(amount)
                .map_or(Total::Overflow, Total::Amount),
            Total::Overflow => Total::Overflow,
        }
    }

    /// The sum of two totals; an overflow in either stays an overflow.
    #[must_use]
    pub fn plus_total(self, other: Total) -> Total {
        match other {
            Total::Amount(amount) => self.plus(amount),
            Total::Overflow => Total::Overflow,
        }
    }

    /// The amount, or `None` when the sum did not fit.
    pub const fn amount(self) -> Option<Amount> {
        match self {
            Total::Amount(amount) => Some(amount),
            Total::Overflow => None,
        }
    }

    /// As [`Amount::display`], or [`Total::OVERFLOW_MARKER`].
    pub fn display(self, currency: &Currency) -> String {
        match self {
            Total::Amount(amount) => amount.display(currency),
            Total::Overflow => Total::OVERFLOW_MARKER.to_owned(),
        }
    }
}

impl Default for Total {
    fn default() -> Self {
        Total::ZERO
    }
}

impl From<Amount> for Total {
    fn from(amount: Amount) -> Self {
        Total::Amount(amount)
    }
}

impl PartialEq<Amount> for Total {
    fn eq(&self, other: &Amount) -> bool {
        *self == Total::Amount(*other)
    }
}

impl fmt::Display for Total {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Total::Amount(amount) => fmt::Display::fmt(amount, f),
            Total::Overflow => f.write_str(Total::OVERFLOW_MARKER),
        }
    }
}

impl Serialize for Total {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.amount().serialize(serializer)
    }
}

/// A tax rate in hundredths of a percent, as the API's `taxRate`:
/// `TaxRate::new(2500)` is 25 %. Never above [`TaxRate::MAX`] (100 %):
/// [`TaxRate::new`] and deserialisation both refuse a higher rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct TaxRate(u32);

/// The highest `taxRate` the API accepts, in hundredths of a percent
/// (10000 = 100 %; the spec's `maximum` for `taxRate`).
pub const MAX_TAX_RATE_BASIS: u32 = 10_000;

/// A tax rate above [`TaxRate::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "taxRate {basis} is above the maximum {MAX_TAX_RATE_BASIS} (100 %); it is in hundredths of a percent, so 25 % is 2500"
)]
pub struct TaxRateError {
    basis: u64,
}

impl TaxRateError {
    /// The refused rate in hundredths of a percent.
    pub fn basis(&self) -> u64 {
        self.basis
    }
}

impl TaxRate {
    /// 0 %.
    pub const ZERO: TaxRate = TaxRate(0);

    /// The highest rate the API accepts: 100 %.
    pub const MAX: TaxRate = TaxRate(MAX_TAX_RATE_BASIS);

    /// A rate in hundredths of a percent (2500 is 25 %); an error above
    /// [`TaxRate::MAX`].
    pub const fn new(basis: u32) -> Result<Self, TaxRateError> {
        if basis > MAX_TAX_RATE_BASIS {
            Err(TaxRateError {
                basis: basis as u64,
            })
        } else {
            Ok(TaxRate(basis))
        }
    }

    /// A rate from whole percent (`from_percent(25)` is 25 %), for rates
    /// written in code; [`TaxRate::try_from_percent`] for input.
    ///
    /// # Panics
    /// Above 100 %.
    pub const fn from_percent(percent: u32) -> Self {
        match Self::try_from_percent(percent) {
            Ok(rate) => rate,
            Err(_) => panic!("TaxRate::from_percent: a tax rate cannot be above 100 %"),
        }
    }

    /// A rate from whole percent; an error above 100 %.
    pub const fn try_from_percent(percent: u32) -> Result<Self, TaxRateError> {
        match percent.checked_mul(100) {
            Some(basis) => Self::new(basis),
            None => Err(TaxRateError {
                basis: percent as u64 * 100,
            }),
        }
    }

    /// The rate in hundredths of a percent.
    pub const fn basis(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for TaxRate {
    type Error = TaxRateError;
    fn try_from(basis: u32) -> Result<Self, Self::Error> {
        Self::new(basis)
    }
}

impl From<TaxRate> for u32 {
    fn from(rate: TaxRate) -> u32 {
        rate.0
    }
}

impl fmt::Display for TaxRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / 100;
        let frac = self.0 % 100;
        if frac == 0 {
            write!(f, "{whole} %")
        } else if frac.is_multiple_of(10) {
            write!(f, "{whole},{} %", frac / 10)
        } else {
            write!(f, "{whole},{frac:02} %")
        }
    }
}

/// Integer division rounding half away from zero: the one rounding rule
/// this crate uses for every computed amount.
pub(crate) fn div_round_half_away(numerator: i128, denominator: i128) -> i128 {
    debug_assert!(denominator > 0);
    let quotient = numerator / denominator;
    let remainder = numerator % denominator;
    if remainder.abs() * 2 >= denominator {
        quotient + numerator.signum()
    } else {
        quotient
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_a_norwegian_receipt() {
        assert_eq!(Amount(123_450).display(&Currency::Nok), "1 234,50 kr");
        assert_eq!(Amount(5).display(&Currency::Eur), "0,05 €");
        assert_eq!(
            Amount(-100_000_000).display(&Currency::Dkk),
            "-1 000 000,00 kr"
        );
        assert_eq!(
            Amount(99).display(&Currency::Unknown("SEK".into())),
            "0,99 SEK"
        );
        assert_eq!(
            Amount(i64::MIN).display_number(),
            "-92 233 720 368 547 758,08"
        );
    }

    #[test]
    fn adding_money_is_checked_never_wrapped_or_saturated() {
        assert_eq!(Amount(1).checked_add(Amount(2)), Some(Amount(3)));
        assert_eq!(Amount(i64::MAX).checked_add(Amount(1)), None);
        assert_eq!(Amount(i64::MIN).checked_sub(Amount(1)), None);
        assert_eq!(Amount(i64::MIN).checked_neg(), None);
        assert_eq!(Amount(-5).checked_neg(), Some(Amount(5)));
        assert_eq!(
            Amount::checked_sum([Amount(i64::MAX), Amount(1), Amount(-1)]),
            None,
            "a partial sum that does not fit is an overflow"
        );
        assert_eq!(
            Amount::checked_sum([Amount(10), Amount(-3)]),
            Some(Amount(7))
        );
    }

    #[test]
    fn totals_show_a_marker_instead_of_a_wrong_number() {
        let total = Total::of([Amount(i64::MAX), Amount(i64::MAX)]);
        assert_eq!(total, Total::Overflow);
        assert_eq!(total.plus(Amount(-1)), Total::Overflow, "overflow sticks");
        assert_eq!(total.display(&Currency::Nok), "(too large to add up)");
        assert_eq!(serde_json::to_string(&total).unwrap(), "null");
        let ok = Total::of([Amount(100), Amount(250)]);
        assert_eq!(ok, Amount(350));
        assert_eq!(ok.display(&Currency::Nok), "3,50 kr");
        assert_eq!(serde_json::to_string(&ok).unwrap(), "350");
        assert_eq!(Total::ZERO.plus_total(total), Total::Overflow);
    }

    #[test]
    fn tax_rate_display() {
        assert_eq!(TaxRate::from_percent(25).to_string(), "25 %");
        assert_eq!(TaxRate::new(1250).unwrap().to_string(), "12,5 %");
        assert_eq!(TaxRate::new(1111).unwrap().to_string(), "11,11 %");
    }

    #[test]
    fn a_tax_rate_above_100_percent_is_refused_by_new_and_by_deserialisation() {
        assert_eq!(TaxRate::new(10_000), Ok(TaxRate::MAX));
        let err = TaxRate::new(10_001).unwrap_err();
        assert_eq!(err.basis(), 10_001);
        assert!(err.to_string().contains("maximum 10000"), "{err}");
        assert!(TaxRate::try_from_percent(101).is_err());
        assert!(TaxRate::try_from_percent(u32::MAX).is_err(), "no overflow");
        assert_eq!(TaxRate::try_from_percent(100), Ok(TaxRate::MAX));

        let parsed: TaxRate = serde_json::from_str("2500").unwrap();
        assert_eq!(parsed.basis(), 2500);
        assert_eq!(serde_json::to_string(&parsed).unwrap(), "2500");
        let refused = serde_json::from_str::<TaxRate>("10001").unwrap_err();
        assert!(refused.to_string().contains("maximum 10000"), "{refused}");
        assert!(serde_json::from_str::<TaxRate>("-1").is_err());
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(div_round_half_away(5, 2), 3);
        assert_eq!(div_round_half_away(-5, 2), -3);
        assert_eq!(div_round_half_away(4, 3), 1);
        assert_eq!(div_round_half_away(-4, 3), -1);
        assert_eq!(div_round_half_away(0, 7), 0);
    }
}

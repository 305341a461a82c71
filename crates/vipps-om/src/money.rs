//! Money as integer minor units (øre, cents) and its display to people.
//! Floats never touch an amount anywhere in this crate.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, Neg, Sub};

use serde::{Deserialize, Serialize};

use crate::enums::Currency;

/// An amount in minor units: `Amount(12_345)` is 123.45 NOK/DKK/EUR.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Amount(pub i64);

impl Amount {
    /// Zero.
    pub const ZERO: Amount = Amount(0);

    /// An amount from minor units.
    pub const fn minor(units: i64) -> Self {
        Amount(units)
    }

    /// An amount from whole major units (`Amount::major(10)` is 10.00).
    pub const fn major(units: i64) -> Self {
        Amount(units * 100)
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

impl Add for Amount {
    type Output = Amount;
    fn add(self, rhs: Amount) -> Amount {
        Amount(self.0.saturating_add(rhs.0))
    }
}

impl Sub for Amount {
    type Output = Amount;
    fn sub(self, rhs: Amount) -> Amount {
        Amount(self.0.saturating_sub(rhs.0))
    }
}

impl Neg for Amount {
    type Output = Amount;
    fn neg(self) -> Amount {
        Amount(self.0.saturating_neg())
    }
}

impl Sum for Amount {
    fn sum<I: Iterator<Item = Amount>>(iter: I) -> Amount {
        iter.fold(Amount::ZERO, Add::add)
    }
}

/// A tax rate in hundredths of a percent, as the API's `taxRate`:
/// `TaxRate(2500)` is 25 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TaxRate(pub u32);

impl TaxRate {
    /// The highest rate the API accepts: 100 %.
    pub const MAX: TaxRate = TaxRate(10_000);

    /// A rate from whole percent (`from_percent(25)` is 25 %).
    pub const fn from_percent(percent: u32) -> Self {
        TaxRate(percent * 100)
    }

    /// The rate in hundredths of a percent.
    pub const fn basis(self) -> u32 {
        self.0
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
    fn tax_rate_display() {
        assert_eq!(TaxRate(2500).to_string(), "25 %");
        assert_eq!(TaxRate(1250).to_string(), "12,5 %");
        assert_eq!(TaxRate(1111).to_string(), "11,11 %");
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

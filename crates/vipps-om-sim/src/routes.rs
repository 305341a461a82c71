//! The real API surface as data: every [`Route`] with its method and path
//! template, and the matcher that maps a request line to a route and its
//! path parameters.
//!
//! The matcher is ours rather than axum's router because three things need
//! the same answer to "which operation is this?": dispatch, fault injection
//! (faults name a route template) and the counters. It also has to match
//! the token path case-insensitively (`/accesstoken/get` and
//! `/accessToken/get` both appear in official examples) and tell a
//! deprecated v1 path, a known path with the wrong method and an unknown
//! path apart.

use std::fmt;
use std::str::FromStr;

use axum::http::Method;

/// The prefix of every Order Management path.
pub const OM_PREFIX: &str = "/order-management";

/// One operation of the simulated API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Route {
    /// `POST /accesstoken/get`
    AccessToken,
    /// `POST /order-management/v1/images`
    UploadImage,
    /// `PUT /order-management/v2/{paymentType}/categories/{orderId}`
    SetCategoryV2,
    /// `POST /order-management/v2/{paymentType}/receipts/{orderId}`
    AddReceipt,
    /// `GET /order-management/v2/{paymentType}/{orderId}`
    GetOrder,
    /// `POST /order-management/v3/categories`
    AddCategoryV3,
    /// `GET /order-management/v3/categories` (with `?orderId=`)
    ListCategoriesV3,
    /// `GET /order-management/v3/categories/{categoryId}`
    GetCategoryV3,
    /// `DELETE /order-management/v3/categories/{categoryId}`
    DeleteCategoryV3,
    /// `POST /epayment/v1/payments` (ePayment createPayment; see
    /// the simulator README's ePayment section)
    CreatePayment,
    /// `GET /epayment/v1/payments/{reference}` (ePayment getPayment)
    GetPayment,
}

impl Route {
    /// Every route, in the order of the spec.
    pub const ALL: &'static [Route] = &[
        Route::AccessToken,
        Route::UploadImage,
        Route::SetCategoryV2,
        Route::AddReceipt,
        Route::GetOrder,
        Route::AddCategoryV3,
        Route::ListCategoriesV3,
        Route::GetCategoryV3,
        Route::DeleteCategoryV3,
        Route::CreatePayment,
        Route::GetPayment,
    ];

    /// Method and path template, e.g.
    /// `POST /order-management/v2/{paymentType}/receipts/{orderId}`: the
    /// name used by faults, counters and the request log (the same strings
    /// as `vipps_om::Endpoint::template`).
    pub fn template(self) -> &'static str {
        match self {
            Route::AccessToken => "POST /accesstoken/get",
            Route::UploadImage => "POST /order-management/v1/images",
            Route::SetCategoryV2 => "PUT /order-management/v2/{paymentType}/categories/{orderId}",
            Route::AddReceipt => "POST /order-management/v2/{paymentType}/receipts/{orderId}",
            Route::GetOrder => "GET /order-management/v2/{paymentType}/{orderId}",
            Route::AddCategoryV3 => "POST /order-management/v3/categories",
            Route::ListCategoriesV3 => "GET /order-management/v3/categories",
            Route::GetCategoryV3 => "GET /order-management/v3/categories/{categoryId}",
            Route::DeleteCategoryV3 => "DELETE /order-management/v3/categories/{categoryId}",
            Route::CreatePayment => "POST /epayment/v1/payments",
            Route::GetPayment => "GET /epayment/v1/payments/{reference}",
        }
    }

    /// The HTTP method of the route.
    pub fn method(self) -> Method {
        match self {
            Route::AccessToken
            | Route::UploadImage
            | Route::AddReceipt
            | Route::AddCategoryV3
            | Route::CreatePayment => Method::POST,
            Route::GetPayment => Method::GET,
            Route::SetCategoryV2 => Method::PUT,
            Route::GetOrder | Route::ListCategoriesV3 | Route::GetCategoryV3 => Method::GET,
            Route::DeleteCategoryV3 => Method::DELETE,
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.template())
    }
}

/// A string that is not a route template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a route; use \"*\" or one of: {list}", list = templates())]
pub struct UnknownRoute(pub String);

fn templates() -> String {
    Route::ALL
        .iter()
        .map(|r| r.template())
        .collect::<Vec<_>>()
        .join(", ")
}

impl FromStr for Route {
    type Err = UnknownRoute;

    /// Parses a template such as `post /order-management/v1/images`: the
    /// method in any case, one or more spaces, the template exactly (the
    /// token path in any case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut words = s.split_whitespace();
        let (Some(method), Some(path), None) = (words.next(), words.next(), words.next()) else {
            return Err(UnknownRoute(s.to_owned()));
        };
        Route::ALL
            .iter()
            .copied()
            .find(|route| {
                let (m, p) = route.template().split_once(' ').unwrap_or_default();
                m.eq_ignore_ascii_case(method)
                    && (p == path || (*route == Route::AccessToken && p.eq_ignore_ascii_case(path)))
            })
            .ok_or_else(|| UnknownRoute(s.to_owned()))
    }
}

/// Path parameters of a matched route, percent-decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PathParams {
    /// `{paymentType}` as written.
    pub(crate) payment_type: Option<String>,
    /// `{orderId}` as written.
    pub(crate) order_id: Option<String>,
    /// `{categoryId}` as written.
    pub(crate) category_id: Option<String>,
    /// `{reference}` of an ePayment path as written.
    pub(crate) reference: Option<String>,
}

/// What a request line is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Matched {
    /// A live operation.
    Route(Route, PathParams),
    /// A removed v1 operation; the text names its replacement.
    Deprecated {
        /// The v2 operation to use instead.
        replacement: &'static str,
    },
    /// A known path asked with a method it does not have.
    WrongMethod {
        /// The methods the path has.
        allowed: &'static str,
    },
    /// Nothing here.
    Unknown,
}

/// Matches a request line against the surface.
pub(crate) fn match_request(method: &Method, path: &str) -> Matched {
    if path.eq_ignore_ascii_case("/accesstoken/get") {
        return with_method(method, Route::AccessToken, PathParams::default(), "POST");
    }
    if let Some(rest) = path.strip_prefix("/epayment/v1/payments") {
        return match rest.strip_prefix('/') {
            None if rest.is_empty() => {
                with_method(method, Route::CreatePayment, PathParams::default(), "POST")
            }
            Some(reference) if !reference.is_empty() && !reference.contains('/') => with_method(
                method,
                Route::GetPayment,
                PathParams {
                    reference: Some(percent_decode(reference)),
                    ..PathParams::default()
                },
                "GET",
            ),
            _ => Matched::Unknown,
        };
    }
    let Some(rest) = path.strip_prefix(OM_PREFIX) else {
        return Matched::Unknown;
    };
    let Some(rest) = rest.strip_prefix('/') else {
        return Matched::Unknown;
    };
    let segments: Vec<&str> = rest.split('/').collect();
    if segments.iter().any(|s| s.is_empty()) {
        return Matched::Unknown;
    }
    let params = |payment_type: Option<&str>, order_id: Option<&str>, category_id: Option<&str>| {
        PathParams {
            payment_type: payment_type.map(percent_decode),
            order_id: order_id.map(percent_decode),
            category_id: category_id.map(percent_decode),
            reference: None,
        }
    };
    match segments.as_slice() {
        ["v1", "images"] => with_method(method, Route::UploadImage, PathParams::default(), "POST"),
        ["v1", "orders", _] => Matched::Deprecated {
            replacement: "PUT /order-management/v2/{paymentType}/categories/{orderId} to add a category, GET /order-management/v2/{paymentType}/{orderId} to read it",
        },
        ["v1", "receipts", _] => Matched::Deprecated {
            replacement: "POST /order-management/v2/{paymentType}/receipts/{orderId} to add order details, GET /order-management/v2/{paymentType}/{orderId} to read them",
        },
        ["v2", payment_type, "categories", order_id] => with_method(
            method,
            Route::SetCategoryV2,
            params(Some(payment_type), Some(order_id), None),
            "PUT",
        ),
        ["v2", payment_type, "receipts", order_id] => with_method(
            method,
            Route::AddReceipt,
            params(Some(payment_type), Some(order_id), None),
            "POST",
        ),
        ["v2", payment_type, order_id] => with_method(
            method,
            Route::GetOrder,
            params(Some(payment_type), Some(order_id), None),
            "GET",
        ),
        ["v3", "categories"] => match *method {
            Method::POST => Matched::Route(Route::AddCategoryV3, PathParams::default()),
            Method::GET => Matched::Route(Route::ListCategoriesV3, PathParams::default()),
            _ => Matched::WrongMethod {
                allowed: "GET, POST",
            },
        },
        ["v3", "categories", category_id] => {
            let params = params(None, None, Some(category_id));
            match *method {
                Method::GET => Matched::Route(Route::GetCategoryV3, params),
                Method::DELETE => Matched::Route(Route::DeleteCategoryV3, params),
                _ => Matched::WrongMethod {
                    allowed: "GET, DELETE",
                },
            }
        }
        _ => Matched::Unknown,
    }
}

fn with_method(
    method: &Method,
    route: Route,
    params: PathParams,
    allowed: &'static str,
) -> Matched {
    if *method == route.method() {
        Matched::Route(route, params)
    } else {
        Matched::WrongMethod { allowed }
    }
}

/// Decodes `%XX` escapes; bytes that do not form UTF-8 become U+FFFD, so a
/// path parameter is always text that validation can name.
pub(crate) fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_path_matches_in_any_case() {
        for path in ["/accesstoken/get", "/accessToken/get", "/ACCESSTOKEN/GET"] {
            assert!(matches!(
                match_request(&Method::POST, path),
                Matched::Route(Route::AccessToken, _)
            ));
        }
        assert!(matches!(
            match_request(&Method::GET, "/accesstoken/get"),
            Matched::WrongMethod { allowed: "POST" }
        ));
    }

    #[test]
    fn v2_paths_carry_their_parameters_decoded() {
        let Matched::Route(route, params) = match_request(
            &Method::POST,
            "/order-management/v2/eCom/receipts/order%201",
        ) else {
            panic!("not matched");
        };
        assert_eq!(route, Route::AddReceipt);
        assert_eq!(params.payment_type.as_deref(), Some("eCom"));
        assert_eq!(params.order_id.as_deref(), Some("order 1"));
        assert!(matches!(
            match_request(&Method::GET, "/order-management/v2/ecom/o-1"),
            Matched::Route(Route::GetOrder, _)
        ));
    }

    #[test]
    fn deprecated_unknown_and_wrong_method_are_told_apart() {
        assert!(matches!(
            match_request(&Method::PUT, "/order-management/v1/orders/x"),
            Matched::Deprecated { .. }
        ));
        assert!(matches!(
            match_request(&Method::POST, "/order-management/v1/receipts/x"),
            Matched::Deprecated { .. }
        ));
        assert_eq!(
            match_request(&Method::GET, "/order-management/v1/images"),
            Matched::WrongMethod { allowed: "POST" }
        );
        assert_eq!(
            match_request(&Method::GET, "/order-management/v2//x"),
            Matched::Unknown
        );
        assert_eq!(match_request(&Method::GET, "/elsewhere"), Matched::Unknown);
    }

    #[test]
    fn templates_parse_back_to_their_route() {
        for &route in Route::ALL {
            assert_eq!(route.template().parse::<Route>(), Ok(route));
        }
        assert_eq!(
            "post  /accessToken/get".parse::<Route>(),
            Ok(Route::AccessToken)
        );
        let err = "GET /nope".parse::<Route>().unwrap_err();
        assert!(err.to_string().contains("POST /order-management/v1/images"));
    }

    #[test]
    fn percent_decoding_is_lossless_for_text_and_safe_for_garbage() {
        assert_eq!(percent_decode("a%2Fb"), "a/b");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%ff"), "\u{fffd}");
    }
}

//! Messages in support staff's terms: what the console says when the
//! library reports a failure whose fix is not staff's (refused keys).

use vipps_om_sim::{Fault, Route};

mod common;
use common::*;

#[tokio::test]
async fn refused_keys_say_whom_to_ask_not_how_the_api_works() {
    let env = env().await;
    let (cookie, _) = login(&env.router, "vi", VIEWER_PW).await;
    env.sim
        .inject_fault(Fault::status(Route::GetOrder, 403).times(10))
        .unwrap();
    let order = send(
        &env.router,
        get(
            "/order?order_id=order-failed&payment_type=ecom",
            Some(&cookie),
        ),
    )
    .await;
    assert!(
        order
            .body
            .contains("Ask whoever runs the console to check its client id, secret, subscription key and Merchant-Serial-Number"),
        "{}",
        order.body
    );
    assert!(!order.body.contains("portal.vipps.no"), "{}", order.body);
}

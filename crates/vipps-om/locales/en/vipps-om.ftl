# Messages of the vipps-om library, in English (the default language).
#
# One file per language: locales/<code>/vipps-om.ftl. Every file has every
# message, with the same placeables ({ $name }); a test checks both.
# Placeables are filled in by the library; keep each one in the text.
# The files are built into the library: after an edit, rebuild.

## Customer messages (Error::customer_message_in): shown to the paying
## customer. No internals, no blame, no advice meant for staff.

customer-already-registered = Your order details are already registered.
customer-not-found = We could not find the order details for this payment.
customer-retrying = The order details are not available in the app yet. They will be sent again shortly.
customer-failed = The order details could not be added to the app. Our staff have been notified.

## Staff messages (Error::staff_message_in): what happened and what to do,
## one line. $api_says is the API's own explanation starting with ": ", or
## empty; $detail is the API's explanation in parentheses starting with a
## space, or empty. Both stay in the API's words.

staff-validation = the request was not sent because it has problems: { $errors } error(s), { $warnings } warning(s)
# $path: the field; $message: what is wrong with it.
staff-validation-first = the request was not sent because it has problems: { $errors } error(s), { $warnings } warning(s); first: { $path }: { $message }
staff-receipt-exists = order details (receipt) for { $payment_type } order { $order_id } were already sent and cannot be changed; nothing to do unless they were wrong (then contact Vipps MobilePay)
staff-image-exists = an image with id { $image_id } was already uploaded and cannot be replaced; reuse it, or upload the new picture under a new id
staff-image-not-uploaded = there is no image with id { $image_id } for this merchant; upload the image under that id first, then send the category again
# $what: what was looked for, e.g. "ECOM order 123".
staff-not-found = { $what } was not found{ $api_says }; check the id and the payment type (ECOM or RECURRING), and that it belongs to this merchant
staff-bad-request = Vipps MobilePay rejected the request{ $api_says }
staff-unauthorized-subscription-key = unauthorized: the subscription key (Ocp-Apim-Subscription-Key) was not accepted; copy the primary key of the sales unit from portal.vipps.no and check it belongs to the same environment (production or test){ $detail }
staff-unauthorized-access-token = unauthorized: the access token was not accepted, even a fresh one; check that client id, secret, subscription key and Merchant-Serial-Number all belong to the same sales unit{ $detail }
staff-unauthorized-client-credentials = unauthorized: the client id or client secret was not accepted by the token service; copy them again from portal.vipps.no (they differ between production and test){ $detail }
staff-forbidden = access denied{ $detail }: the sales unit may not have Order Management activated, or the Merchant-Serial-Number does not belong to these API keys; check both on portal.vipps.no
# $msn: the Merchant-Serial-Number of the sales unit.
staff-partner-not-linked = access denied{ $detail }: these partner keys are not linked to sales unit { $msn }: link it in the partner portal, or use the merchant's own keys
staff-rate-limited = Vipps MobilePay is limiting the request rate; slow down and try again
staff-rate-limited-wait = Vipps MobilePay is limiting the request rate (asked to wait { $seconds } s); slow down and try again
# $status: the HTTP status code.
staff-api = Vipps MobilePay answered { $status }{ $api_says }
staff-api-server = Vipps MobilePay answered { $status }{ $api_says }; this is a problem on Vipps MobilePay's side, try again later
staff-api-conflict = Vipps MobilePay answered { $status }{ $api_says }; the data conflicts with what is already stored
# $endpoint: e.g. POST /v2/{paymentType}/receipts/{orderId}.
staff-timeout = Vipps MobilePay did not answer { $endpoint } within the time limit; it may be slow or down, try again later
staff-transport = could not reach Vipps MobilePay ({ $message }); check the network and the base URL
staff-decode = Vipps MobilePay answered { $status } with a body this client cannot read ({ $reason }): { $snippet }
staff-encode = the { $what } could not be encoded as JSON ({ $reason }); nothing was sent
staff-config = configuration problem: { $message }

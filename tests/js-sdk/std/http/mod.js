// Stand-in for JSR @std/http: the status codes and predicates the SDK uses.
export const STATUS_CODE = {
  OK: 200,
  Created: 201,
  Accepted: 202,
  NoContent: 204,
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  TooManyRequests: 429,
  InternalServerError: 500,
  BadGateway: 502,
  ServiceUnavailable: 503,
  GatewayTimeout: 504,
};

export const isSuccessfulStatus = (status) => status >= 200 && status < 300;
export const isServerErrorStatus = (status) => status >= 500 && status < 600;
export const isClientErrorStatus = (status) => status >= 400 && status < 500;

// Stand-in for JSR @std/http: the status helpers the SDK imports.
export const STATUS_CODE = Object.freeze({
  OK: 200,
  Created: 201,
  NoContent: 204,
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  TooManyRequests: 429,
  InternalServerError: 500,
  ServiceUnavailable: 503,
});
export const isSuccessfulStatus = (status) => status >= 200 && status < 300;
export const isServerErrorStatus = (status) => status >= 500 && status < 600;

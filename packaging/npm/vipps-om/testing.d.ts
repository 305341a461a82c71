/** A merchant's keys for the simulator. */
export interface Credentials {
  merchantSerialNumber: string;
  clientId: string;
  clientSecret: string;
  subscriptionKey: string;
}

/** A fault for `injectFault`: see `POST /_sim/faults` in the simulator's README. */
export interface FaultSpec {
  /** A route template such as ROUTES.addReceipt, or "*" (the default) for every route. */
  route?: string;
  /** The status to answer with (400–599); without one, only `delayMs` applies. */
  status?: number;
  /** How many requests it hits (default 1). */
  count?: number;
  /** Adds `Retry-After: <seconds>` to the answer. */
  retryAfter?: number;
  /** Holds the request this long first (at most 120 s). */
  delayMs?: number;
  /** Only this merchant's requests. */
  msn?: string;
}

export interface StartOptions {
  /** More `vipps-om sim` options, e.g. ["--strict"]. */
  args?: string[];
  /** Address to listen on (default "127.0.0.1:0", a free port). */
  listen?: string;
  /** The binary (default: VIPPS_OM_BIN, or the one installed with this package). */
  binary?: string;
  /** More environment variables for the simulator. */
  env?: Record<string, string>;
  /** Longest wait for the simulator to serve (default STARTUP_TIMEOUT_MS). */
  startupTimeoutMs?: number;
}

/** A running `vipps-om sim`. */
export declare class Simulator {
  /** The base URL, e.g. http://127.0.0.1:41039 (no trailing slash). */
  readonly baseUrl: string;
  /** The demo merchant's credentials. */
  readonly credentials: Credentials;
  readonly pid: number;
  readonly running: boolean;
  /** VIPPS_BASE_URL, VIPPS_CLIENT_ID, ... for this simulator as the demo merchant. */
  env(): Record<string, string>;
  /** The newest part of the simulator's log. */
  log(): string;
  /** Stops the simulator; calling it again does nothing. */
  stop(): Promise<void>;
  reset(): Promise<void>;
  injectFault(fault: FaultSpec): Promise<Record<string, unknown>>;
  faults(): Promise<Record<string, unknown>[]>;
  clearFaults(): Promise<void>;
  requests(): Promise<Record<string, unknown>[]>;
  orders(): Promise<Record<string, unknown>[]>;
  counters(): Promise<Record<string, unknown>>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts `vipps-om sim` on a free loopback port; resolves once it serves. */
export function startSimulator(options?: StartOptions): Promise<Simulator>;

export const DEMO_MERCHANT: Readonly<Credentials>;
export const ROUTES: Readonly<{
  token: string;
  uploadImage: string;
  setCategory: string;
  addReceipt: string;
  getOrder: string;
}>;
export const BIN_ENV: "VIPPS_OM_BIN";
export const STARTUP_TIMEOUT_MS: number;
export const STOP_TIMEOUT_MS: number;
export const CONTROL_TIMEOUT_MS: number;
export class SimulatorError extends Error {}
export class BinaryNotFoundError extends Error {}
export function findBinary(): string;

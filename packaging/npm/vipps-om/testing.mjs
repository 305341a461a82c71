// ESM entry of `vipps-om/testing` (the implementation is testing.cjs).
import testing from "./testing.cjs";

export const {
  BIN_ENV,
  BinaryNotFoundError,
  CONTROL_TIMEOUT_MS,
  DEMO_MERCHANT,
  ROUTES,
  STARTUP_TIMEOUT_MS,
  STOP_TIMEOUT_MS,
  Simulator,
  SimulatorError,
  findBinary,
  startSimulator,
} = testing;

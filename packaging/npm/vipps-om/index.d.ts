/** Environment variable naming a `vipps-om` binary to use instead of the installed one. */
export const BIN_ENV: "VIPPS_OM_BIN";

/** Neither VIPPS_OM_BIN nor the binary of this platform's package was found. */
export class BinaryNotFoundError extends Error {}

/**
 * The path of the `vipps-om` binary: VIPPS_OM_BIN when set, otherwise the
 * binary of this platform's package (`@vipps-om/cli-<platform>`).
 * @throws BinaryNotFoundError saying what to do when neither exists.
 */
export function findBinary(): string;

/** This platform's package, or undefined when none is built for it. */
export function platformPackage(): { name: string; exe: string; key: string } | undefined;

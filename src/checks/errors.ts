/**
 * The one error of `baseline check` that is the user's input, not the
 * network's: kept apart from types.ts so that the modules that throw it
 * (context, routing data) need not import the check shapes.
 */

/** A domain name or option the user gave that cannot be checked: exit 2, one line. */
export class CheckInputError extends Error {
  override name = "CheckInputError";
}

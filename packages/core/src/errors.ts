import type { Diagnostic } from '@slipway/contract';

/**
 * The kinds of failure the domain reports, typed once: the server maps each to one HTTP status,
 * the CLI to one exit code. Messages are for the user and never carry internals.
 */
export class SlipwayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request or document is invalid; `diagnostics` says where and what would be right. */
export class InputError extends SlipwayError {
  constructor(
    message: string,
    readonly diagnostics: Diagnostic[] = [],
  ) {
    super(message);
  }
}

export class NotFoundError extends SlipwayError {}
export class ConflictError extends SlipwayError {}
/** Authenticated, but the role does not allow it. */
export class NotAllowedError extends SlipwayError {}
/** No credentials, or credentials that are not valid. */
export class AuthenticationError extends SlipwayError {}

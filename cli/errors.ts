import { defineErrors, errorFactory } from '../core/errors.js';

export const CLI_ERRORS = defineErrors({
  CLI_UNKNOWN_COMMAND: { kind: 'invalid', message: 'Unknown command.' },
  CLI_UNKNOWN_FLAG: { kind: 'invalid', message: 'Unknown flag.' },
  CLI_BAD_FLAG: { kind: 'invalid', message: 'A flag is missing its value or has a bad one.' },
  CLI_BAD_ARGUMENT: { kind: 'invalid', message: 'Missing or unexpected argument.' },
  CLI_OUTPUT_UNWRITABLE: { kind: 'invalid', message: 'The output file cannot be written.' },
});
export const cliError = errorFactory(CLI_ERRORS);

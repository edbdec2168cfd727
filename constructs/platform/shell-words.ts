import { quote } from 'shell-quote';

/** Words the shell reads as they are: names, numbers, URLs, host:port lists. */
const PLAIN_WORD = /^[\w.,:=/@+-]+$/;

/** One shell command line: plain words stay readable, anything else is quoted by `shell-quote`. */
export function shellLine(args: readonly string[]): string {
  return args.map((a) => (PLAIN_WORD.test(a) ? a : quote([a]))).join(' ');
}

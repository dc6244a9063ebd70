/**
 * The run's logger: pino, writing JSON lines to <run>/log.jsonl (every level from debug) and a
 * readable line per message to the console (info and above, through pino-pretty's formatter). The
 * console writer is replaceable, so that a progress bar can print lines above itself.
 */
import { pino, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';

export interface RunLoggerOptions {
  /** The JSON-lines file; none: no file. */
  file?: string;
  /** Print readable lines (default true). */
  console?: boolean;
  /** Where console lines go (default: stderr). */
  write?: (line: string) => void;
  colorize?: boolean;
}

export interface RunLogger {
  logger: Logger;
  /** Redirects console lines (e.g. through a progress bar); undefined restores stderr. */
  setConsoleWriter(write: ((line: string) => void) | undefined): void;
  /** Flushes the file. */
  close(): void;
}

export function createRunLogger(options: RunLoggerOptions = {}): RunLogger {
  const streams: { stream: { write(s: string): void }; level: 'debug' | 'info' }[] = [];
  const file = options.file
    ? pino.destination({ dest: options.file, append: true, mkdir: true, sync: true })
    : undefined;
  if (file) streams.push({ stream: file, level: 'debug' });
  const fallback = options.write ?? ((line: string) => void process.stderr.write(line));
  let write = fallback;
  if (options.console ?? true) {
    const pretty = pinoPretty.prettyFactory({
      colorize: options.colorize ?? false,
      ignore: 'pid,hostname',
      translateTime: 'SYS:HH:MM:ss',
      singleLine: true,
      hideObject: true,
    });
    streams.push({
      stream: {
        write: (s: string) => {
          const line = pretty(s);
          write(line.endsWith('\n') ? line : `${line}\n`);
        },
      },
      level: 'info',
    });
  }
  const logger = streams.length
    ? pino({ level: 'debug', base: undefined }, pino.multistream(streams))
    : pino({ enabled: false });
  return {
    logger,
    setConsoleWriter: (w) => {
      write = w ?? fallback;
    },
    close: () => {
      file?.flushSync();
    },
  };
}

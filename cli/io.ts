/** What a command may touch of the outside world; tests pass their own. */
export interface IO {
  /** Settles, if it returns a promise, once `data` is written or copied: a buffer may be reused then. */
  stdout(data: string | Uint8Array): void | Promise<void>;
  stderr(text: string): void;
  /** Whether standard error is a terminal, where progress may be drawn. */
  terminal?: boolean;
  env: Record<string, string | undefined>;
  /** Reads a secret from the terminal without echo, or null when there is no terminal. */
  prompt(question: string): Promise<string | null>;
}

/** Per-run state that handlers share with `run`: the result they want to exit with. */
export interface Session {
  io: IO;
  exit: number;
  /** The words after `pkgin` in `pkgkeys [OPTIONS] pkgin ARGS...`: pkgin's, never parsed here. */
  wrapped: string[];
}

/** Global options every command has (cli/main.ts). */
export interface GlobalArgs {
  json: boolean;
  now: string | undefined;
  /** pkgkeys.conf(5) to read instead of the default. */
  config: string | undefined;
  session: Session;
}

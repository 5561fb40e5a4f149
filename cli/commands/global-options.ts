// The options every command shares (given before the command: objstore --json nodes list).
export interface GlobalOptions {
  url?: string;
  token?: string;
  ca?: string;
  json?: boolean;
}

export type Globals = () => GlobalOptions;

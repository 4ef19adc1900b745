export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * Parses `--listen`: `host:port`, `[v6]:port` or `:port` (all interfaces, like
 * Go's net.Listen). Port 0 asks the system for a free port.
 */
export function parseListen(text: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = Number(m?.[3]);
  if (!m || port > 65_535) {
    throw new TypeError(
      `invalid listen address "${text}": use host:port, e.g. 0.0.0.0:8080, [::]:8080 or :8080`,
    );
  }
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
}

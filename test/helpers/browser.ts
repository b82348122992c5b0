/**
 * A minimal browser for protocol tests: keeps cookies per origin and follows redirects one hop at a time,
 * so a test can stop at the app's redirect_uri (which needs no server) and inspect every hop.
 */
export interface Hop {
  url: string;
  status: number;
  location?: string;
}

export class Browser {
  readonly jar = new Map<string, Map<string, string>>();
  readonly hops: Hop[] = [];

  setCookie(origin: string, name: string, value: string): void {
    const cookies = this.jar.get(origin) ?? new Map<string, string>();
    cookies.set(name, value);
    this.jar.set(origin, cookies);
  }

  cookies(origin: string): Map<string, string> {
    return this.jar.get(origin) ?? new Map();
  }

  /** One request, storing Set-Cookie (Max-Age=0 / past Expires deletes). */
  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const { origin } = new URL(url);
    const cookieHeader = [...this.cookies(origin)].map(([k, v]) => `${k}=${v}`).join('; ');
    const headers = new Headers(init.headers);
    if (cookieHeader) headers.set('cookie', cookieHeader);
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) < Date.now()));
      if (expired) this.cookies(origin).delete(name);
      else this.setCookie(origin, name, value);
    }
    this.hops.push({ url, status: response.status, ...(response.headers.get('location') && { location: response.headers.get('location')! }) });
    return response;
  }

  /**
   * Follows redirects from `url` until a response is not a redirect or the next location starts with `stopAt`.
   * Returns the last response and, when stopped, the location that was not followed.
   */
  async follow(url: string, stopAt: string, maxHops = 10): Promise<{ response: Response; stoppedAt?: URL }> {
    let current = url;
    for (let i = 0; i < maxHops; i++) {
      const response = await this.request(current);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return { response };
      const next = new URL(location, current).href;
      if (next.startsWith(stopAt)) return { response, stoppedAt: new URL(next) };
      current = next;
    }
    throw new Error(`more than ${maxHops} redirects from ${url}`);
  }
}

// A cap on requests held open at once (live feeds, stream reads): each holds a socket and looks at Postgres
// now and then, so without one a caller with any token could open enough of them to starve the pool.
import { HTTPException } from "hono/http-exception";

export class ConnectionCap {
  private open = 0;

  constructor(
    private readonly max: number,
    private readonly what: string,
  ) {}

  /** Counts one in, or throws 429 (clients retry later); call the returned function when it ends. */
  enter(): () => void {
    if (this.open >= this.max)
      throw new HTTPException(429, { message: `Too many ${this.what} open at once (${this.max}): close some, or retry later` });
    this.open++;
    let left = false;
    return () => {
      if (!left) this.open--;
      left = true;
    };
  }
}

import nock from "nock";
import { afterAll, beforeAll } from "vitest";

/**
 * For a test file that mocks nothing and talks only to real servers on 127.0.0.1 (Prometheus,
 * VictoriaMetrics, the loopback Kubernetes API, the app's own server): nock's interception
 * (test/setup.ts) is turned off for the file, so requests go out as the product sends them.
 *
 * Through nock's interceptor a passed-through request carries `Connection: close` whatever the
 * agent asks, and when the server then ends the connection after a streamed answer the
 * interceptor may abort the answer mid-body ("ECONNRESET aborted"). VictoriaMetrics streams its
 * query answers that way: under load, 11 snapshots in 15 failed so through nock and none in 15
 * without it.
 */
export function withoutInterception(): void {
  beforeAll(() => nock.restore());
  afterAll(() => {
    if (!nock.isActive()) nock.activate();
  });
}

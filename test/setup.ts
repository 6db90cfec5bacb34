import fc from "fast-check";
import nock from "nock";

// GitHub is nock; every real server a test starts (Prometheus, the loopback Kubernetes API,
// git) listens on 127.0.0.1, so that is the only address a test may reach.
nock.disableNetConnect();
nock.enableNetConnect("127.0.0.1");

// Property and fuzz tests run with one fixed seed, so a CI run is reproducible and never red by
// chance; FUZZ_SEED=<n> replays another seed, FUZZ_SEED=random explores (with FUZZ_RUNS for more).
const fuzzSeed = process.env.FUZZ_SEED;
if (fuzzSeed !== "random") fc.configureGlobal({ seed: fuzzSeed ? Number(fuzzSeed) : 20261201 });

import nock from "nock";

// GitHub is nock; every real server a test starts (Prometheus, the loopback Kubernetes API,
// git) listens on 127.0.0.1, so that is the only address a test may reach.
nock.disableNetConnect();
nock.enableNetConnect("127.0.0.1");
